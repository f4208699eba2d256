import { checkOfaArch, type OfaArch } from '../../spaces/ofa-mbv3';
import { STAGES, makeDivisible, roundHalfEven, slotIndex, widthsFor } from '../../spaces/ofa-mbv3/layout';
import { BATCH, NetBuilder, type Tensor } from './builder';
import { FLOPS_CONVENTION } from '../count/count';
import type { BuiltGraph } from './graph';

/**
 * A subnet of once-for-all's MobileNetV3 supernet as `get_active_subnet`
 * extracts it, the network src/spaces/ofa-mbv3/cost.ts counts:
 *
 * - stem: 3x3 stride-2 conv + BN + h-swish;
 * - first block: depthwise 3x3 + BN + ReLU, 1x1 project + BN, identity skip;
 * - 5 stages of inverted bottlenecks: 1x1 expand + BN + act, k x k depthwise
 *   (stride on the stage's first block) + BN + act, [SE], 1x1 project + BN,
 *   identity skip on all but a stage's first block;
 * - head: 1x1 conv + BN + h-swish, global average pool, 1x1 conv (no BN, no
 *   bias) + h-swish, flatten, linear classifier with bias.
 *
 * SE: global pool, 1x1 conv (bias) + ReLU to make_divisible(mid // 4), 1x1
 * conv (bias) back, h-sigmoid, channel scaling. Widths, padding (k // 2) and
 * middle widths follow the space's layout.ts, so any resolution works.
 */

const CLASSES = 1000;

function act(g: NetBuilder, x: Tensor, kind: 'relu' | 'h_swish', name: string): Tensor {
  return kind === 'relu' ? g.relu(x, name) : g.hardSwish(x, name);
}

function convBnAct(g: NetBuilder, x: Tensor, name: string, o: { cout: number; k: number; stride?: number; groups?: number; gain?: number }, kind: 'relu' | 'h_swish' | 'none'): Tensor {
  const y = g.batchNorm(g.conv2d(x, `${name}.conv`, o), `${name}.bn`);
  return kind === 'none' ? y : act(g, y, kind, `${name}.act`);
}

function squeezeExcite(g: NetBuilder, x: Tensor, name: string): Tensor {
  const mid = x.shape[1] as number;
  const reduced = makeDivisible(Math.floor(mid / 4));
  const pooled = g.globalAvgPool(x, `${name}.pool`);
  const r = g.relu(g.conv2d(pooled, `${name}.reduce`, { cout: reduced, k: 1, bias: true, gain: 1 }), `${name}.relu`);
  const gate = g.hardSigmoid(g.conv2d(r, `${name}.expand`, { cout: mid, k: 1, bias: true }), `${name}.h_sigmoid`);
  return g.mul(x, gate, `${name}.scale`);
}

interface Block {
  cout: number;
  k: number;
  e: number;
  stride: number;
  se: boolean;
  act: 'relu' | 'h_swish';
}

function mbConv(g: NetBuilder, x: Tensor, b: Block, name: string): Tensor {
  const cin = x.shape[1] as number;
  // Expand ratio 1 (the first block) has no expand conv; otherwise the middle width is OFA's rounding of cin * e.
  let y = x;
  let mid = cin;
  if (b.e !== 1) {
    mid = makeDivisible(roundHalfEven(cin * b.e));
    y = convBnAct(g, y, `${name}.inverted_bottleneck`, { cout: mid, k: 1 }, b.act);
  }
  y = convBnAct(g, y, `${name}.depth_conv`, { cout: mid, k: b.k, stride: b.stride, groups: mid }, b.act);
  if (b.se) y = squeezeExcite(g, y, `${name}.depth_conv.se`);
  y = convBnAct(g, y, `${name}.point_linear`, { cout: b.cout, k: 1 }, 'none');
  // OFA adds an identity shortcut exactly when the block keeps shape (stride 1, same width).
  return b.stride === 1 && cin === b.cout ? g.add(y, x, `${name}.add`) : y;
}

export function buildOfaMbv3(arch: OfaArch, widthMult: number, seed: number, exposeActivations: boolean, spaceName: string): BuiltGraph {
  const a = checkOfaArch(arch, 'any');
  const w = widthsFor(widthMult);
  const g = new NetBuilder(spaceName, seed);
  const input = g.input('input', [BATCH, 3, a.r, a.r]);
  let x = convBnAct(g, input, 'first_conv', { cout: w.stem, k: 3, stride: 2, gain: 1 }, 'h_swish');
  x = mbConv(g, x, { cout: w.firstBlock, k: 3, e: 1, stride: 1, se: false, act: 'relu' }, 'blocks.0');
  let index = 1;
  STAGES.forEach((stage, s) => {
    for (let b = 0; b < a.d[s]!; b++) {
      const slot = slotIndex(s, b);
      const block: Block = { cout: w.stages[s]!, k: a.ks[slot]!, e: a.e[slot]!, stride: b === 0 ? stage.stride : 1, se: stage.se, act: stage.act };
      x = mbConv(g, x, block, `blocks.${index++}`);
    }
  });
  x = convBnAct(g, x, 'final_expand_layer', { cout: w.finalExpand, k: 1 }, 'h_swish');
  x = g.globalAvgPool(x, 'global_avg_pool');
  x = g.hardSwish(g.conv2d(x, 'feature_mix_layer.conv', { cout: w.featureMix, k: 1 }), 'feature_mix_layer.act');
  g.output(g.gemm(g.flatten(x, 'flatten'), 'classifier', CLASSES, { gain: 2 }));
  return g.build({ exposeActivations, metadata: { [FLOPS_CONVENTION]: 'conv-linear', space: spaceName, resolution: String(a.r) } });
}
