import type { Cost } from '../types';
import { checkOfaArch, type OfaArch } from './arch';
import { CLASSES, STAGES, convOutSide, makeDivisible, roundHalfEven, slotIndex, widthsFor } from './layout';

/**
 * FLOPs and parameters of one subnet, counted the way once-for-all's own
 * profiler counts them (ofa/utils/flops_counter.py), so that budgets mean
 * what OFA's published "flops@389M" figures mean:
 *
 * - FLOPs are multiply-accumulates of every Conv2d
 *   (cin * out_h * out_w * cout * k^2 / groups, the squeeze-and-excitation
 *   1x1 convs at 1x1 spatial size included) and every Linear (in * out).
 *   Batch norm, activations, pooling, the SE's channel scaling, residual adds
 *   and biases count nothing.
 * - Parameters are every weight and bias of the extracted subnet: conv
 *   weights, SE conv biases, the classifier's bias, and batch norm's affine
 *   weight and bias (2 per channel; running statistics are buffers, not
 *   parameters). The profiler sums `p.numel()` over each leaf module's
 *   parameters, which is exactly this.
 *
 * Layer shapes follow `OFAMobileNetV3.get_active_subnet`: a block's middle
 * width is make_divisible(round(in * e), 8) of its *actual* input width, and
 * an SE's is make_divisible(mid // 4, 8).
 */
export interface Count {
  macs: number;
  params: number;
}

const ZERO: Count = { macs: 0, params: 0 };

function add(a: Count, b: Count): Count {
  return { macs: a.macs + b.macs, params: a.params + b.params };
}

/** Conv2d without bias unless asked; `side` is the output side. */
function conv(cin: number, cout: number, k: number, side: number, groups = 1, bias = false): Count {
  const weights = (cin / groups) * cout * k * k;
  return { macs: weights * side * side, params: weights + (bias ? cout : 0) };
}

function bn(channels: number): Count {
  return { macs: 0, params: 2 * channels };
}

function linear(inFeatures: number, outFeatures: number): Count {
  return { macs: inFeatures * outFeatures, params: inFeatures * outFeatures + outFeatures };
}

/** Squeeze-and-excitation: two 1x1 convs with bias on the pooled 1x1 map. */
function se(mid: number): Count {
  const reduced = makeDivisible(Math.floor(mid / 4));
  return add(conv(mid, reduced, 1, 1, 1, true), conv(reduced, mid, 1, 1, 1, true));
}

interface BlockShape {
  cin: number;
  cout: number;
  k: number;
  e: number;
  stride: number;
  se: boolean;
  /** Input side. */
  side: number;
}

/** Inverted bottleneck: 1x1 expand, k x k depthwise (stride here), [SE], 1x1 project; each conv + BN. */
function mbConv(b: BlockShape): { count: Count; side: number } {
  const out = convOutSide(b.side, b.stride);
  // Expand ratio 1 (the fixed first block) has no expand conv: mid = in.
  const mid = b.e === 1 ? b.cin : makeDivisible(roundHalfEven(b.cin * b.e));
  let count = ZERO;
  if (b.e !== 1) count = add(add(count, conv(b.cin, mid, 1, b.side)), bn(mid));
  count = add(add(count, conv(mid, mid, b.k, out, mid)), bn(mid));
  if (b.se) count = add(count, se(mid));
  count = add(add(count, conv(mid, b.cout, 1, out)), bn(b.cout));
  return { count, side: out };
}

/**
 * Exact multiply-accumulates and parameters of subnet `arch` of the supernet
 * at `widthMult`, at its resolution `arch.r`, which may be any positive
 * integer (OFA's published subnets use 236 and 260, outside the searched list).
 */
export function countOfaMbv3(arch: OfaArch, widthMult: number): Count {
  checkOfaArch(arch, 'any');
  const w = widthsFor(widthMult);
  let side = convOutSide(arch.r, 2);
  // Stem: 3x3 stride-2 conv + BN (+ h-swish).
  let total = add(conv(3, w.stem, 3, side), bn(w.stem));
  // The fixed first block: depthwise 3x3, project, ReLU, no SE.
  const first = mbConv({ cin: w.stem, cout: w.firstBlock, k: 3, e: 1, stride: 1, se: false, side });
  total = add(total, first.count);
  side = first.side;
  let cin = w.firstBlock;
  STAGES.forEach((stage, s) => {
    for (let b = 0; b < arch.d[s]!; b++) {
      const i = slotIndex(s, b);
      const block = mbConv({
        cin,
        cout: w.stages[s]!,
        k: arch.ks[i]!,
        e: arch.e[i]!,
        stride: b === 0 ? stage.stride : 1,
        se: stage.se,
        side,
      });
      total = add(total, block.count);
      side = block.side;
      cin = w.stages[s]!;
    }
  });
  // Head: 1x1 final expand + BN at the last side, global pool, 1x1 feature mix
  // (no BN, no bias) on the pooled 1x1 map, linear classifier with bias.
  total = add(total, add(conv(cin, w.finalExpand, 1, side), bn(w.finalExpand)));
  total = add(total, conv(w.finalExpand, w.featureMix, 1, 1));
  return add(total, linear(w.featureMix, CLASSES));
}

/** `countOfaMbv3` in millions, the units constraints are written in. */
export function costOfaMbv3(arch: OfaArch, widthMult: number): Cost {
  const { macs, params } = countOfaMbv3(arch, widthMult);
  // Rounded so that costs computed in different orders compare exactly.
  return { flopsM: round6(macs / 1e6), paramsM: round6(params / 1e6) };
}

function round6(x: number): number {
  return Math.round(x * 1e6) / 1e6;
}
