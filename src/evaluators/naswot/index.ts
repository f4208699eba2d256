import { InferenceSession, Tensor } from 'onnxruntime-node';
import { z } from 'zod';
import { buildOnnx, GRAPH_SPACES } from '../../onnx';
import { getSpace } from '../../spaces';
import type { EvaluatorPlugin } from '../types';
import { inputBatch, loadImages, type ImageSet } from './images';
import { ActivationCodes, logAbsDet } from './score';

export { inputBatch, loadImages, imagesDir, IMAGES_HELP, type ImageSet, type InputKind } from './images';
export { ActivationCodes, logAbsDet, spearman } from './score';

const options = z
  .object({
    /** What the network looks at: the sample images, the same flipped and cropped, or noise (the control). */
    input: z.enum(['images', 'augmented', 'noise']).default('images'),
    /** Seed of the random weights (and of the crops and noise). */
    seed: z.number().int().default(0),
  })
  .strict();

export type NaswotOptions = z.output<typeof options>;

/** Which sample images suit a dataset: CIFAR-100's for CIFAR-100, CIFAR-10's for the other small ones, ImageNet's otherwise. */
function imageSet(dataset: string): ImageSet {
  if (dataset === 'cifar100') return 'cifar100';
  return dataset.startsWith('cifar') || dataset.startsWith('imagenet16') ? 'cifar10' : 'imagenet';
}

/**
 * The NASWOT score of one architecture: its ONNX graph with random weights,
 * one forward pass per sample image, the log-determinant of the kernel of
 * their binary ReLU codes.
 */
export async function naswotScore(space: string, arch: unknown, dataset: string, o: NaswotOptions): Promise<{ score: number; units: number; flopsM: number; paramsM: number }> {
  const built = buildOnnx(space, arch, dataset, { seed: o.seed, exposeActivations: true });
  const [, channels, height] = built.inputShape as [number, number, number, number];
  const batch = inputBatch(imageSet(dataset), o.input, height, o.seed);
  const session = await InferenceSession.create(built.model, { executionProviders: ['cpu'], graphOptimizationLevel: 'all' });
  try {
    const codes = new ActivationCodes(batch.n);
    const size = channels * height * height;
    for (let i = 0; i < batch.n; i++) {
      const input = new Tensor('float32', batch.data.subarray(i * size, (i + 1) * size), [1, channels, height, height]);
      // Every output is fetched: onnxruntime-node mislabels a subset of outputs (see src/onnx/run/measure.ts).
      const out = await session.run({ [built.inputName]: input });
      codes.add(i, built.activationOutputs.map((name) => out[name]!.data as Float32Array));
    }
    return { score: logAbsDet(codes.kernel()), units: codes.units, flopsM: built.flopsM, paramsM: built.paramsM };
  } finally {
    await session.release();
  }
}

/**
 * The training-free NASWOT proxy (Mellor et al., 2021) as an evaluator: it
 * runs anywhere, with no training and no supernet weights, on the sample
 * images that `npm run setup` extracts. Its "accuracy" is the score (higher
 * is better), not a percentage; BENCHMARKS.md reports how well it ranks
 * NAS-Bench-201 architectures.
 */
export const naswotEvaluator: EvaluatorPlugin<NaswotOptions> = {
  name: 'naswot',
  description: 'training-free NASWOT score: log-determinant of the ReLU-code kernel of a mini-batch, random weights',
  accuracyLabel: 'NASWOT score (training-free proxy; higher is better, not a percentage)',
  unit: '',
  spaces: GRAPH_SPACES,
  options,
  create: () => ({
    check() {
      loadImages('cifar10');
      loadImages('imagenet');
    },
    async evaluate(request) {
      const space = getSpace(request.space);
      const arch = space.parse(request.arch);
      const r = await naswotScore(space.name, arch, request.dataset, request.options);
      return { valAcc: r.score, cost: space.cost(arch, request.dataset), metrics: { naswotUnits: r.units } };
    },
  }),
};
