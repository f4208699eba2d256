import type { SearchSpace } from '../types';
import { checkOfaArch, formatOfa, listChoices, ofaArchSchema, parseOfa, type OfaArch } from './arch';
import { costOfaMbv3 } from './cost';
import { PAPER_RESOLUTIONS, widthsFor } from './layout';
import { mutateOfa, sampleOfa } from './neighbours';

export { archIssues, canonicalOfa, checkOfaArch, formatOfa, ofaArchSchema, parseOfa, type Issue, type OfaArch, type Resolutions } from './arch';
export { costOfaMbv3, countOfaMbv3, type Count } from './cost';
export {
  CLASSES,
  convOutSide,
  BASE_WIDTHS,
  DEPTHS,
  EXPAND_RATIOS,
  KERNEL_SIZES,
  MAX_DEPTH,
  PAPER_RESOLUTIONS,
  SLOT_COUNT,
  STAGE_COUNT,
  STAGES,
  makeDivisible,
  slotActive,
  widthsFor,
} from './layout';
export { mutateOfa, sampleOfa } from './neighbours';

/** The datasets the supernet was trained on (and that costs are defined for). */
export const OFA_MBV3_DATASETS = ['imagenet'] as const;

export interface OfaMbv3Options {
  /** Width multiplier of the supernet (OFA publishes 1.0 and 1.2). */
  widthMult: number;
  /** Default `ofa-mbv3-w10` for 1.0, `ofa-mbv3-w12` for 1.2. */
  name?: string;
  /** Resolutions a search may use; default the paper's 160-224 in steps of 16. */
  resolutions?: readonly number[];
}

function checkResolutions(resolutions: readonly number[]): number[] {
  if (resolutions.length === 0 || !resolutions.every((r) => Number.isInteger(r) && r > 0)) {
    throw new RangeError(`resolutions: must be a non-empty list of positive integers (got ${JSON.stringify(resolutions)})`);
  }
  // Sorted and deduplicated, so that the schema, prompts and sampling do not depend on how the list was written.
  return [...new Set(resolutions)].sort((a, b) => a - b);
}

function describe(widthMult: number, resolutions: readonly number[]): string {
  const w = widthsFor(widthMult);
  return (
    'A MobileNetV3-style convolutional image classifier; every architecture is a subnetwork of one trained ' +
    'supernetwork, so its weights come from the supernetwork. ' +
    `Fixed parts: a 3x3 stride-2 stem convolution to ${w.stem} channels, one depthwise-separable block to ` +
    `${w.firstBlock} channels, and a head (1x1 convolution to ${w.finalExpand} channels, global average pooling, ` +
    `1x1 convolution to ${w.featureMix}, linear classifier). ` +
    `Between them 5 stages of inverted-bottleneck blocks with ${w.stages.join(', ')} output channels; ` +
    'stage strides 2, 2, 2, 1, 2; activations ReLU in stages 1-2 and hard-swish in 3-5; squeeze-and-excitation ' +
    'in stages 2, 4 and 5. A block is a 1x1 expansion to (input channels x expand ratio) channels, a k x k ' +
    "depthwise convolution, and a 1x1 projection; a stage's first block downsamples, the others have a residual " +
    'connection. Choices: the input resolution r (one of ' +
    `${listChoices(resolutions)} pixels); the depth of each stage (2, 3 or 4 blocks, the first d blocks of the ` +
    "stage's 4 slots are used); and for each of the 20 block slots a kernel size (3, 5 or 7) and an expand ratio " +
    '(3, 4 or 6). Values in slots past a stage\'s depth have no effect and are written as 0. ' +
    'More depth, larger kernels, larger expand ratios and higher resolution usually raise accuracy and cost: ' +
    'multiply-accumulates grow with the square of the resolution, and expand ratios in late, wide stages cost the ' +
    'most parameters. ' +
    'Representation: {"r": resolution, "d": [5 depths], "ks": [20 kernel sizes], "e": [20 expand ratios]}, ' +
    'slots listed stage by stage, 4 per stage.'
  );
}

function jsonFormat(resolutions: readonly number[]): string {
  // The example uses a resolution of this space, so that it is always legal.
  const r = resolutions[Math.floor(resolutions.length / 2)]!;
  return (
    `an object {"r": R, "d": [5 depths], "ks": [20 kernel sizes], "e": [20 expand ratios]}: r is the input ` +
    `resolution, one of ${listChoices(resolutions)}; d[0] to d[4] (each 2, 3 or 4) are the numbers of blocks in ` +
    'stages 1 to 5; ks and e have 4 entries per stage, stage by stage (entries 0-3 for stage 1, 4-7 for stage 2, ' +
    '...), kernel size 3, 5 or 7 and expand ratio 3, 4 or 6 for each block in use, and 0 for the slots past the ' +
    `stage's depth; e.g. {"r": ${r}, "d": [2, 3, 4, 2, 3], ` +
    '"ks": [3, 5, 0, 0, 3, 3, 5, 0, 5, 7, 3, 3, 5, 5, 0, 0, 7, 5, 3, 0], ' +
    '"e": [3, 4, 0, 0, 4, 3, 6, 0, 6, 4, 4, 3, 6, 3, 0, 0, 6, 6, 4, 0]}'
  );
}

/** A search space over the subnets of OFA's MobileNetV3 supernet at one width. */
export function createOfaMbv3Space(options: OfaMbv3Options): SearchSpace<OfaArch> {
  const { widthMult } = options;
  widthsFor(widthMult); // fails fast on a bad multiplier
  const resolutions = checkResolutions(options.resolutions ?? PAPER_RESOLUTIONS);
  const schema = ofaArchSchema(resolutions);
  const name = options.name ?? `ofa-mbv3-w${Math.round(widthMult * 10)}`;
  return {
    name,
    // OFA's own accuracy predictor (trained for the width-1.2 supernet) runs anywhere without
    // supernet weights; the width-1.0 space has no predictor, so the training-free proxy.
    defaultEvaluator: widthMult === 1.2 ? 'ofa-predictor' : 'naswot',
    datasets: OFA_MBV3_DATASETS,
    schema,
    description: describe(widthMult, resolutions),
    dimensions: [
      'Input resolution (r)',
      'Depth of each stage (d)',
      'Kernel sizes of the blocks in use (ks)',
      'Expand ratios of the blocks in use (e)',
    ],
    jsonFormat: jsonFormat(resolutions),
    parse: (text) => parseOfa(text, resolutions),
    // OFA's cost model holds at any resolution (its published subnets go up to 260).
    parseForCost: (text) => parseOfa(text, 'any'),
    format: (arch) => formatOfa(checkOfaArch(arch, resolutions)),
    key: (arch) => formatOfa(checkOfaArch(arch, resolutions)),
    sample: (rng) => sampleOfa(rng, resolutions),
    mutate: (arch, rng) => mutateOfa(arch, rng, resolutions),
    cost(arch, dataset) {
      if (!(OFA_MBV3_DATASETS as readonly string[]).includes(dataset)) {
        throw new Error(`dataset: the ${name} space has costs for ${OFA_MBV3_DATASETS.join(', ')} only (got '${dataset}')`);
      }
      // Any resolution is costed (a seed may come from outside the searched list); legality is parse's job.
      return costOfaMbv3(arch, widthMult);
    },
  };
}

export const ofaMbv3W10Space = createOfaMbv3Space({ widthMult: 1.0 });
export const ofaMbv3W12Space = createOfaMbv3Space({ widthMult: 1.2 });
