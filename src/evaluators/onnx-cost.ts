import { z } from 'zod';
import { buildOnnx, GRAPH_SPACES, measureLatency } from '../onnx';
import { EvaluationError, type EvaluatorPlugin } from './types';

/** A latency device this evaluator measures: "onnx:cpu", "onnx:cuda" (the GPU build of onnxruntime). */
const DEVICE = /^onnx:(cpu|cuda)$/;

const count = (min: number) => z.number().int().min(min);

const options = z
  .object({
    /** onnxruntime intra-op threads (default: its own choice). */
    threads: count(1).optional(),
    /** Runs before timing, discarded. */
    warmup: count(0).default(3),
    /** Timed runs; the latency is their median. */
    repeats: count(3).default(10),
    /** The second batch size measured (batch 1 always is). */
    batch: count(1).max(1024).default(16),
  })
  .strict();

export type OnnxCostOptions = z.output<typeof options>;

/**
 * Measures a candidate instead of scoring it: builds its ONNX graph (random
 * weights, FLOPs and params counted from the graph) and times it with
 * onnxruntime on this worker's execution provider, at batch 1 and a larger
 * batch, with the spread and peak memory. Paired with an accuracy evaluator
 * (`evaluation.costEvaluator`, chosen automatically for a latency constraint
 * on device "onnx:cpu"), it makes a search hardware-aware for the machine
 * its eval workers run on.
 */
export const onnxCostEvaluator: EvaluatorPlugin<OnnxCostOptions> = {
  name: 'onnx-cost',
  description: "an ONNX graph of the candidate, timed with onnxruntime on the eval worker's CPU or GPU",
  accuracyLabel: 'none: it measures costs only',
  measuresOnly: true,
  spaces: GRAPH_SPACES,
  latency: (device) => DEVICE.test(device),
  options,
  create: () => ({
    check() {},
    evaluate() {
      return Promise.reject(new EvaluationError('onnx-cost measures costs only; name it as evaluation.costEvaluator beside an accuracy evaluator', false));
    },
    async measure(request, context) {
      const device = request.latencyDevice ?? 'onnx:cpu';
      const provider = DEVICE.exec(device)?.[1];
      if (!provider) throw new EvaluationError(`constraint.device: onnx-cost measures 'onnx:cpu' or 'onnx:cuda', not '${device}'`, false);
      const o = request.options;
      const built = buildOnnx(request.space, request.arch, request.dataset);
      const common = { warmup: o.warmup, repeats: o.repeats, executionProviders: [provider], ...(o.threads ? { intraOpThreads: o.threads } : {}) };
      const one = await measureLatency(built.model, built.inputShape, { ...common, batch: 1 });
      context.heartbeat({ measured: 'batch 1' });
      const many = await measureLatency(built.model, built.inputShape, { ...common, batch: o.batch });
      return {
        cost: { flopsM: built.flopsM, paramsM: built.paramsM, latencyMs: one.medianMs },
        metrics: {
          latencyP10Ms: one.p10Ms,
          latencyP90Ms: one.p90Ms,
          latencyCv: one.cv,
          [`latencyBatch${o.batch}Ms`]: many.medianMs,
          peakRssMB: Math.max(one.peakRssMB, many.peakRssMB),
        },
      };
    },
  }),
};
