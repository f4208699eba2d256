import { z } from 'zod';
import { EvaluationError, type EvaluatorPlugin } from './types';

const positive = z.number().int().positive();

const options = z
  .object({
    /** ImageNet root with train/ and val/ on the GPU machine; default: its IMAGENET_DIR. */
    imagenetDir: z.string().min(1).optional(),
    batchSize: positive.optional(),
    calibImages: positive.optional(),
    valImages: positive.optional(),
    loaderWorkers: positive.optional(),
    /** "bf16": validation under bfloat16 autocast (faster on recent GPUs; accuracy may move slightly); BN recalibration stays float32. */
    autocast: z.enum(['off', 'bf16']).optional(),
  })
  .strict();

/**
 * OFA subnets evaluated with inherited supernet weights on ImageNet (batch
 * norm recalibrated, then top-1 on validation), as the paper measures them.
 * The work is PyTorch's, so the Python eval worker (python/collm_eval,
 * `ofa_supernet.py`) serves it; this entry lets a search name it and checks
 * its options. Run that worker on its own task queue and point
 * `evaluation.taskQueue` at it: a TypeScript eval worker does not serve this
 * evaluator.
 */
export const ofaSupernetEvaluator: EvaluatorPlugin<z.output<typeof options>> = {
  name: 'ofa-supernet',
  description: 'OFA subnet with inherited weights, BN recalibrated, ImageNet top-1 (served by the Python eval worker)',
  accuracyLabel: 'ImageNet validation top-1 (inherited OFA weights)',
  spaces: ['ofa-mbv3-w12', 'ofa-mbv3-w10'],
  options,
  servedBy: 'the Python eval worker (python -m collm_eval)',
  create: () => ({
    check() {},
    evaluate() {
      return Promise.reject(
        new EvaluationError(
          'ofa-supernet runs on the Python eval worker (python/README.md); give it its own task queue and set evaluation.taskQueue to it',
          false,
          'ServedElsewhere',
        ),
      );
    },
  }),
};
