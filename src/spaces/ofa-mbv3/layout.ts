/**
 * The fixed skeleton of the once-for-all MobileNetV3 supernet: which choices
 * exist, the channel widths at a width multiplier, and per-stage stride,
 * activation and squeeze-and-excitation. Follows once-for-all's
 * `OFAMobileNetV3` (ofa/imagenet_classification/elastic_nn/networks/ofa_mbv3.py).
 */

/** Elastic stages; the stem and the first (fixed) block come before them. */
export const STAGE_COUNT = 5;
/** Block slots per stage: the representation always lists this many per stage. */
export const MAX_DEPTH = 4;
export const SLOT_COUNT = STAGE_COUNT * MAX_DEPTH;

export const DEPTHS = [2, 3, 4] as const;
export const KERNEL_SIZES = [3, 5, 7] as const;
export const EXPAND_RATIOS = [3, 4, 6] as const;

/** The resolutions the CoLLM-NAS paper searches over (OFA's training resolutions, step 16). */
export const PAPER_RESOLUTIONS = [160, 176, 192, 208, 224] as const;

/** Classes of the classifier the supernet was trained with. */
export const CLASSES = 1000;

/**
 * Widths at multiplier 1.0: stem, first block, the five stages, final expand,
 * feature mix. Every width is scaled and rounded by `makeDivisible`.
 */
export const BASE_WIDTHS = [16, 16, 24, 40, 80, 112, 160, 960, 1280] as const;

export interface StageSpec {
  /** Stride of the stage's first block; the others have stride 1 and an identity skip. */
  stride: 1 | 2;
  act: 'relu' | 'h_swish';
  se: boolean;
}

export const STAGES: readonly StageSpec[] = [
  { stride: 2, act: 'relu', se: false },
  { stride: 2, act: 'relu', se: true },
  { stride: 2, act: 'h_swish', se: false },
  { stride: 1, act: 'h_swish', se: true },
  { stride: 2, act: 'h_swish', se: true },
];

/** Channel rounding shared by every width in the network (OFA's CHANNEL_DIVISIBLE). */
export const DIVISOR = 8;

/**
 * Rounds to a multiple of `divisor`, never below it and never more than 10%
 * down: the TensorFlow MobileNet rule that once-for-all's `make_divisible`
 * uses. `Math.trunc` matches Python's `int()` on the positive values used here.
 */
export function makeDivisible(v: number, divisor = DIVISOR): number {
  let rounded = Math.max(divisor, Math.floor(Math.trunc(v + divisor / 2) / divisor) * divisor);
  if (rounded < 0.9 * v) rounded += divisor;
  return rounded;
}

/**
 * Python's round(): halves go to the even neighbour. Expand ratios are
 * integers here so `in * e` never has a fraction, but a fractional ratio must
 * still size layers the way the supernet does.
 */
export function roundHalfEven(x: number): number {
  const floor = Math.floor(x);
  const diff = x - floor;
  if (diff < 0.5) return floor;
  if (diff > 0.5) return floor + 1;
  return floor % 2 === 0 ? floor : floor + 1;
}

export interface Widths {
  stem: number;
  firstBlock: number;
  /** Output width of each elastic stage. */
  stages: number[];
  finalExpand: number;
  featureMix: number;
}

export function widthsFor(widthMult: number): Widths {
  if (!(widthMult > 0) || !Number.isFinite(widthMult)) {
    throw new RangeError(`widthMult: must be a positive number (got ${widthMult})`);
  }
  // Same expression order as the Python (base * mult) so floats round alike.
  const w = BASE_WIDTHS.map((base) => makeDivisible(base * widthMult));
  return { stem: w[0]!, firstBlock: w[1]!, stages: w.slice(2, 7), finalExpand: w[7]!, featureMix: w[8]! };
}

/**
 * Side of a conv output with "same" padding k//2 and an odd kernel:
 * floor((side + 2(k//2) - k) / stride) + 1 = ceil(side / stride), as PyTorch
 * computes it (224 -> 112, 236 -> 118 -> 59 -> 30 -> 15 -> 8).
 */
export function convOutSide(side: number, stride: number): number {
  return Math.floor((side - 1) / stride) + 1;
}

/** Index of a block slot in `ks` and `e`. */
export function slotIndex(stage: number, block: number): number {
  return stage * MAX_DEPTH + block;
}

/** Whether slot `i` is used by an architecture with depths `d`. */
export function slotActive(d: readonly number[], i: number): boolean {
  return i % MAX_DEPTH < (d[Math.floor(i / MAX_DEPTH)] ?? 0);
}
