import type { Cost } from '../types';
import { checkSpos, type SposArch } from './arch';
import { BLOCKS, CLASSES, INPUT_SIDE, LAST_CHANNELS, STAGE_CHANNELS, STEM_CHANNELS, type BlockShape } from './network';

/**
 * FLOPs and parameters of a stand-alone SPOS ShuffleNetV2, counted the way
 * the repository counts them (src/Supernet/flops.py, get_flops): every conv
 * `cout * k * k * cin / groups * outH * outW` multiply-accumulates, every
 * linear its weight count; BN, ReLU, pooling and the channel shuffle are free.
 *
 * Parameters are those of the network trained from scratch
 * (src/Evaluation/template), whose BatchNorms are affine: conv weights (no
 * biases), 2 per BN channel, and the bias-free classifier. The supernet's own
 * BNs are not affine, but its parameter count is not what a user constrains.
 */
export const SPOS_DATASETS: readonly string[] = ['imagenet'];

interface Counted {
  macs: number;
  params: number;
}

const ZERO: Counted = { macs: 0, params: 0 };

function add(...parts: Counted[]): Counted {
  return parts.reduce((a, b) => ({ macs: a.macs + b.macs, params: a.params + b.params }), ZERO);
}

/** Bias-free conv followed by an affine BN, at the given output side. */
function convBn(cin: number, cout: number, k: number, outSide: number, groups = 1): Counted {
  const weights = cout * k * k * (cin / groups);
  return { macs: weights * outSide * outSide, params: weights + 2 * cout };
}

/** Depthwise conv + BN. */
function dw(channels: number, k: number, outSide: number): Counted {
  return convBn(channels, channels, k, outSide, channels);
}

/**
 * Shuffle k x k: pointwise (at the input side) -> depthwise k x k carrying
 * the stride -> pointwise to the channels the concat still needs (out - inp).
 */
function shuffleBlock(b: BlockShape, k: number): Counted {
  return add(convBn(b.inp, b.mid, 1, b.inSide), dw(b.mid, k, b.outSide), convBn(b.mid, b.out - b.inp, 1, b.outSide));
}

/** Xception: depthwise 3x3 (carrying the stride) then three pointwise/depthwise pairs; the last pointwise gives out - inp. */
function xceptionBlock(b: BlockShape): Counted {
  return add(
    dw(b.inp, 3, b.outSide),
    convBn(b.inp, b.mid, 1, b.outSide),
    dw(b.mid, 3, b.outSide),
    convBn(b.mid, b.mid, 1, b.outSide),
    dw(b.mid, 3, b.outSide),
    convBn(b.mid, b.out - b.inp, 1, b.outSide),
  );
}

/** Stride-2 blocks add a projection branch on the full input: depthwise (the op's kernel; 3 for Xception) then 1x1. */
function projection(b: BlockShape, k: number): Counted {
  return b.stride === 2 ? add(dw(b.inp, k, b.outSide), convBn(b.inp, b.inp, 1, b.outSide)) : ZERO;
}

const KERNELS = [3, 5, 7, 3] as const;

function blockCost(b: BlockShape, op: number): Counted {
  const main = op === 3 ? xceptionBlock(b) : shuffleBlock(b, KERNELS[op]!);
  return add(main, projection(b, KERNELS[op]!));
}

/** Stem conv (stride 2), last 1x1 conv at 7x7, and the bias-free classifier. */
const FIXED: Counted = add(
  convBn(3, STEM_CHANNELS, 3, INPUT_SIDE / 2),
  convBn(STAGE_CHANNELS[STAGE_CHANNELS.length - 1]!, LAST_CHANNELS, 1, BLOCKS[BLOCKS.length - 1]!.outSide),
  { macs: LAST_CHANNELS * CLASSES, params: LAST_CHANNELS * CLASSES },
);

/** TABLE[block][op]: every block's cost is independent of the others', so a lookup per block suffices. */
const TABLE: readonly (readonly Counted[])[] = BLOCKS.map((b) => [0, 1, 2, 3].map((op) => blockCost(b, op)));

export function costSpos(arch: SposArch, dataset: string): Cost {
  if (!SPOS_DATASETS.includes(dataset)) {
    throw new Error(`dataset: unknown SPOS dataset '${dataset}'; use one of ${SPOS_DATASETS.join(', ')}`);
  }
  const rows = arch.ops.map((op, i) => TABLE[i]?.[op]);
  if (rows.length !== TABLE.length || rows.some((r) => r === undefined)) checkSpos(arch); // throws, naming the field
  const total = add(FIXED, ...(rows as Counted[]));
  return { flopsM: round6(total.macs / 1e6), paramsM: round6(total.params / 1e6) };
}

function round6(x: number): number {
  return Math.round(x * 1e6) / 1e6;
}
