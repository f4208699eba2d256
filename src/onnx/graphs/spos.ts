import { BLOCKS, checkSpos, type BlockShape, type SposArch } from '../../spaces/spos';
import { CLASSES, INPUT_SIDE, LAST_CHANNELS, STEM_CHANNELS } from '../../spaces/spos/network';
import { BATCH, NetBuilder, type Tensor } from './builder';
import { FLOPS_CONVENTION } from '../count/count';
import type { BuiltGraph } from './graph';

/**
 * The stand-alone SPOS ShuffleNetV2 (megvii-model/SinglePathOneShot,
 * src/Evaluation/template/network.py), the network src/spaces/spos/cost.ts
 * counts: 3x3 stride-2 stem conv + BN + ReLU, 20 blocks from network.ts's
 * BLOCKS, 1x1 conv to 1024 + BN + ReLU, global average pool (the 7x7 pool of
 * the original), linear classifier without bias. All convs are bias-free.
 *
 * A stride-1 block channel-shuffles its input into two halves: the even
 * channels pass through, the odd ones go through the op, and the two are
 * concatenated. (The original reshapes to [N*C/2, 2, H*W] and permutes; two
 * stride-2 channel Slices pick the same channels without folding the batch.)
 * A stride-2 block feeds its whole input to the op and to a projection branch
 * (depthwise k x k with the stride + BN, 1x1 + BN + ReLU).
 */

const KERNELS = [3, 5, 7, 3] as const;

function convBn(g: NetBuilder, x: Tensor, name: string, o: { cout: number; k: number; stride?: number; groups?: number; gain?: number }, relu: boolean): Tensor {
  const y = g.batchNorm(g.conv2d(x, `${name}.conv`, o), `${name}.bn`);
  return relu ? g.relu(y, `${name}.relu`) : y;
}

/** Depthwise conv + BN (no activation, as in ShuffleNetV2). */
function dw(g: NetBuilder, x: Tensor, name: string, k: number, stride = 1): Tensor {
  const c = x.shape[1] as number;
  return convBn(g, x, name, { cout: c, k, stride, groups: c }, false);
}

/** 1x1 -> depthwise k x k (stride) -> 1x1 to the channels the concat still needs. */
function shuffleMain(g: NetBuilder, x: Tensor, b: BlockShape, k: number, name: string): Tensor {
  let y = convBn(g, x, `${name}.pw1`, { cout: b.mid, k: 1 }, true);
  y = dw(g, y, `${name}.dw`, k, b.stride);
  return convBn(g, y, `${name}.pw2`, { cout: b.out - b.inp, k: 1, gain: 1 }, true);
}

/** Three depthwise 3x3 + pointwise pairs; the first depthwise carries the stride. */
function xceptionMain(g: NetBuilder, x: Tensor, b: BlockShape, name: string): Tensor {
  let y = dw(g, x, `${name}.dw1`, 3, b.stride);
  y = convBn(g, y, `${name}.pw1`, { cout: b.mid, k: 1, gain: 1 }, true);
  y = dw(g, y, `${name}.dw2`, 3);
  y = convBn(g, y, `${name}.pw2`, { cout: b.mid, k: 1, gain: 1 }, true);
  y = dw(g, y, `${name}.dw3`, 3);
  return convBn(g, y, `${name}.pw3`, { cout: b.out - b.inp, k: 1, gain: 1 }, true);
}

function block(g: NetBuilder, x: Tensor, b: BlockShape, op: number, name: string): Tensor {
  const k = KERNELS[op]!;
  const main = (input: Tensor): Tensor => (op === 3 ? xceptionMain(g, input, b, `${name}.main`) : shuffleMain(g, input, b, k, `${name}.main`));
  if (b.stride === 1) {
    const c = x.shape[1] as number;
    const half = (start: number, part: string): Tensor => g.slice(x, `${name}.${part}`, { starts: [start], ends: [c], axes: [1], steps: [2] });
    return g.concat([half(0, 'shuffle_even'), main(half(1, 'shuffle_odd'))], `${name}.concat`, 1);
  }
  const proj = convBn(g, dw(g, x, `${name}.proj.dw`, k, 2), `${name}.proj.pw`, { cout: b.inp, k: 1, gain: 1 }, true);
  return g.concat([proj, main(x)], `${name}.concat`, 1);
}

export function buildSpos(arch: SposArch, seed: number, exposeActivations: boolean): BuiltGraph {
  const { ops } = checkSpos(arch);
  const g = new NetBuilder('spos-shufflenetv2', seed);
  const input = g.input('input', [BATCH, 3, INPUT_SIDE, INPUT_SIDE]);
  let x = convBn(g, input, 'first_conv', { cout: STEM_CHANNELS, k: 3, stride: 2, gain: 1 }, true);
  BLOCKS.forEach((b, i) => {
    x = block(g, x, b, ops[i]!, `features.${i}`);
  });
  x = convBn(g, x, 'conv_last', { cout: LAST_CHANNELS, k: 1 }, true);
  const pooled = g.flatten(g.globalAvgPool(x, 'globalpool'), 'flatten');
  g.output(g.gemm(pooled, 'classifier', CLASSES, { bias: false, gain: 2 }));
  return g.build({ exposeActivations, metadata: { [FLOPS_CONVENTION]: 'conv-linear', space: 'spos-shufflenetv2' } });
}
