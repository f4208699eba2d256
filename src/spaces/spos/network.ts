/**
 * The fixed backbone of the single-path one-shot ShuffleNetV2 supernet: only
 * the op inside each of the 20 blocks varies, so every block's shape (input and
 * output channels, branch width, stride, feature-map side) is known up front.
 *
 * Source: megvii-model/SinglePathOneShot, src/Supernet/network.py (the same
 * backbone is repeated in src/Evaluation/template/network.py and flops.py).
 */

export const INPUT_SIDE = 224;
export const STEM_CHANNELS = 16;
export const STAGE_REPEATS = [4, 4, 8, 4] as const;
export const STAGE_CHANNELS = [64, 160, 320, 640] as const;
export const LAST_CHANNELS = 1024;
export const CLASSES = 1000;

export interface BlockShape {
  /** 0-based position in the architecture's `ops` list. */
  index: number;
  /** 0-based stage. */
  stage: number;
  /**
   * Channels the block's main branch reads: all of the previous output in a
   * stride-2 block (both branches see the whole input), half of it otherwise
   * (the channel split hands the other half straight through).
   */
  inp: number;
  /** Channels after the concat of the two branches. */
  out: number;
  /** Width inside the main branch: always out / 2 (channel scales fixed at 1.0). */
  mid: number;
  stride: 1 | 2;
  /** Side of the feature map the block reads, and of the one it writes. */
  inSide: number;
  outSide: number;
}

/**
 * The 20 blocks in order. The stem is a stride-2 3x3 conv with no max-pool
 * after it (unlike the original ShuffleNetV2), so the first block reads
 * 112x112 and its stride 2 brings it to 56x56; the last stage runs at 7x7,
 * which the final 7x7 average pool collapses.
 */
export const BLOCKS: readonly BlockShape[] = (() => {
  const blocks: BlockShape[] = [];
  let channels: number = STEM_CHANNELS;
  let side = INPUT_SIDE / 2;
  STAGE_REPEATS.forEach((repeats, stage) => {
    const out = STAGE_CHANNELS[stage]!;
    for (let i = 0; i < repeats; i++) {
      const stride = i === 0 ? 2 : 1;
      const inp = i === 0 ? channels : out / 2;
      const outSide = side / stride;
      blocks.push({ index: blocks.length, stage, inp, out, mid: out / 2, stride, inSide: side, outSide });
      channels = out;
      side = outSide;
    }
  });
  return blocks;
})();

export const NUM_BLOCKS = BLOCKS.length;
