import type { Rng } from '../../lib/rng';
import type { CategoricalDecisions, SearchSpace } from '../types';
import { checkDecisionIndices } from '../types';
import { OP_IDS, checkSpos, formatSpos, parseSpos, sposArchSchema, type SposArch } from './arch';
import { SPOS_DATASETS, costSpos } from './cost';
import { BLOCKS, NUM_BLOCKS, STAGE_CHANNELS, STAGE_REPEATS } from './network';

export { OPS, OP_IDS, checkSpos, formatSpos, parseSpos, sposArchSchema, type SposArch, type SposOp } from './arch';
export { SPOS_DATASETS, costSpos } from './cost';
export { BLOCKS, NUM_BLOCKS, type BlockShape } from './network';

function sampleSpos(rng: Rng): SposArch {
  return { ops: Array.from({ length: NUM_BLOCKS }, () => rng.pick(OP_IDS)) };
}

/** Changes one block to a different op: the single-choice neighbour of the search's evolution. */
function mutateSpos(arch: SposArch, rng: Rng): SposArch {
  const block = rng.int(arch.ops.length);
  const ops = arch.ops.slice();
  ops[block] = rng.pick(OP_IDS.filter((op) => op !== arch.ops[block]));
  return { ops };
}

/** "ops[4..7]" for each stage: the strategy discusses stages, whose blocks share shape and resolution. */
function stageDimensions(): string[] {
  return STAGE_REPEATS.map((_, stage) => {
    const blocks = BLOCKS.filter((b) => b.stage === stage);
    const first = blocks[0]!;
    const last = blocks[blocks.length - 1]!;
    return (
      `Stage ${stage + 1}: ops[${first.index}..${last.index}] (${blocks.length} blocks, ` +
      `${STAGE_CHANNELS[stage]} channels at ${first.outSide}x${first.outSide}; ops[${first.index}] downsamples)`
    );
  });
}

/** One decision per block, in network order, over the op ids 0-3 (an op's index is its id). */
const sposDecisions: CategoricalDecisions<SposArch> = {
  choices: BLOCKS.map(() => OP_IDS),
  encode(arch) {
    return checkSpos(arch).ops.slice();
  },
  decode(indices) {
    checkDecisionIndices(indices, sposDecisions.choices);
    return { ops: indices.map((i) => OP_IDS[i]!) };
  },
};

const EXAMPLE: SposArch = { ops: [0, 1, 2, 3, 0, 0, 1, 1, 2, 2, 3, 3, 0, 1, 2, 3, 0, 1, 2, 3] };

export const sposSpace: SearchSpace<SposArch> = {
  name: 'spos-shufflenetv2',
  // Scores a subnet with the user's supernet weights (none are bundled); not registered yet.
  defaultEvaluator: 'naswot',
  datasets: SPOS_DATASETS,
  schema: sposArchSchema,
  description:
    'A single-path ShuffleNetV2-style convolutional network for 224x224 images. A 3x3 stride-2 stem conv ' +
    '(16 channels) is followed by 20 searchable blocks in 4 stages of 4, 4, 8 and 4 blocks with 64, 160, 320 ' +
    'and 640 output channels; the first block of each stage halves the resolution (112 -> 56 -> 28 -> 14 -> 7), ' +
    'then a 1x1 conv to 1024 channels, global average pooling and a linear classifier. ' +
    'A block splits its input channels: one half passes through unchanged and the other goes through the chosen ' +
    'op (a downsampling block instead feeds its whole input both to the op and to a depthwise + 1x1 projection); ' +
    "the op's inner width is half the block's output channels. " +
    'The op of block i is ops[i]: 0 = shuffle 3x3 (1x1 conv, depthwise 3x3, 1x1 conv), ' +
    '1 = shuffle 5x5 (same with a depthwise 5x5), 2 = shuffle 7x7 (depthwise 7x7), 3 = xception (three ' +
    'depthwise 3x3 + 1x1 conv pairs: the deepest op). Larger kernels see more context; their extra FLOPs are ' +
    'largest in the early, high-resolution stages. Xception adds the most parameters (most in the last stage) ' +
    'and, in non-downsampling blocks, the most FLOPs; in a downsampling block it costs the fewest FLOPs. ' +
    'Text format: the 20 op digits joined, e.g. 01230011223301230123.',
  dimensions: stageDimensions(),
  jsonFormat:
    `an object {"ops": [...]} with ${NUM_BLOCKS} integers, the op (0 shuffle 3x3, 1 shuffle 5x5, 2 shuffle 7x7, ` +
    `3 xception) of each block in network order; e.g. ${JSON.stringify(EXAMPLE)}`,
  parse(text) {
    return parseSpos(text);
  },
  format(arch) {
    return formatSpos(arch);
  },
  /** Every op computes a different function, so the op list itself is canonical. */
  key(arch) {
    return formatSpos(arch);
  },
  sample: sampleSpos,
  mutate: mutateSpos,
  cost: costSpos,
  decisions: sposDecisions,
};
