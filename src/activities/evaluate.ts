import { ApplicationFailure, Context } from '@temporalio/activity';
import { z } from 'zod';
import { EvaluationError, type EvalContext, type EvalRequest, type Evaluator } from '../evaluators';
import { deviceError, deviceFailureLine } from '../evaluators/device-errors';
import { evalRequestSchema, evalResultSchema } from '../evaluators/contract';
import { MAX_JSON_DEPTH, jsonShapeProblem } from '../lib/plain-json';
import type { EvalResult } from '../search/types';
import { DeviceSlots } from './device-slots';
import { evalFailure } from './eval-failure';

export interface EvalActivityOptions {
  /** The evaluators this worker serves, by name. */
  evaluators: Map<string, Evaluator>;
  /** One slot per device; the worker's concurrency equals their number. */
  devices: readonly string[];
  /**
   * Pretend each evaluation trains for this long. A table answers at once; a
   * delay makes a tabular search behave like a real one (progress to watch,
   * work in flight when a worker dies).
   */
  simulateMs?: number;
}

/** Activities served on the eval task queue (GPU workers). */
export function createEvalActivities(options: EvalActivityOptions) {
  const slots = new DeviceSlots(options.devices);

  /** Adds what the cost evaluator measures (latency on this machine, memory...) to the evaluator's result. */
  async function withMeasuredCosts(result: EvalResult, request: EvalRequest, context: EvalContext): Promise<EvalResult> {
    const name = request.costEvaluator!;
    const measurer = options.evaluators.get(name);
    if (!measurer?.measure) {
      throw ApplicationFailure.nonRetryable(`evaluation.costEvaluator: this eval worker does not measure with '${name}'`, 'UnknownEvaluator');
    }
    const measured = await measurer.measure({ ...request, evaluator: name, options: request.costOptions ?? {} }, context);
    return {
      ...result,
      // The constraint's latency is the measured one when the cost evaluator measures its device.
      cost: { ...result.cost, ...(request.latencyFrom === 'cost' ? { latencyMs: measured.cost.latencyMs } : {}) },
      metrics: { ...result.metrics, ...measured.metrics },
    };
  }

  /** One evaluation; `evaluate` below turns whatever it throws into a failure. */
  async function serve(input: EvalRequest): Promise<EvalResult> {
    // Any sender can reach this queue: a prototype key or a request nested 10,000 deep is
    // refused for good, naming where, as the Python worker refuses it (plain_json.py).
    const shape = jsonShapeProblem(input, MAX_JSON_DEPTH, '(request)');
    if (shape) throw ApplicationFailure.nonRetryable(`evaluate: bad request: ${shape}`, 'BadEvalRequest');
    // The contract is checked on both sides of the queue, whoever is on the other.
    const checked = evalRequestSchema.safeParse(input);
    if (!checked.success) throw ApplicationFailure.nonRetryable(`evaluate: bad request: ${z.prettifyError(checked.error)}`, 'BadEvalRequest');
    const request = checked.data;
    const evaluator = options.evaluators.get(request.evaluator);
    if (!evaluator) {
      throw ApplicationFailure.nonRetryable(
        `evaluation.evaluator: this eval worker has no evaluator '${request.evaluator}' (it serves ${[...options.evaluators.keys()].join(', ')})`,
        'UnknownEvaluator',
      );
    }
    const ctx = Context.current();
    const device = await slots.acquire();
    const started = Date.now();
    // Heartbeat at least every second so a dead worker is noticed quickly.
    const sleep = async (ms: number): Promise<void> => {
      for (let left = ms; left > 0; left -= 1000) {
        await ctx.sleep(Math.min(1000, left));
        ctx.heartbeat({ device });
      }
    };
    try {
      ctx.heartbeat({ device });
      const context = { device, heartbeat: (details?: unknown) => ctx.heartbeat(details ?? { device }), sleep, signal: ctx.cancellationSignal };
      // A latency device the cost evaluator measures is none of the evaluator's business.
      const { latencyDevice: _measuredElsewhere, ...forEvaluator } = request;
      let result = await onDevice(device, () => evaluator.evaluate(request.latencyFrom === 'cost' ? forEvaluator : request, context));
      if (request.costEvaluator) result = await onDevice(device, () => withMeasuredCosts(result, request, context));
      if (options.simulateMs) await sleep(options.simulateMs);
      const out = evalResultSchema.safeParse({ ...result, device, ms: Date.now() - started });
      if (!out.success) {
        throw ApplicationFailure.nonRetryable(`evaluator ${request.evaluator} returned a bad result: ${z.prettifyError(out.error)}`, 'BadEvalResult');
      }
      return out.data;
    } finally {
      slots.release(device);
    }
  }
  return {
    async evaluate(input: EvalRequest): Promise<EvalResult> {
      try {
        return await serve(input);
      } catch (err) {
        // Every failure leaves here, its message bounded; errors that know whether a retry can
        // help (EvaluationError, ArchitectureError) say so.
        throw evalFailure(err);
      }
    },
  };
}

/**
 * Runs an evaluator's step on `device`: an error that says the device is
 * missing or broken (not an EvaluationError, which knows its own retry) fails
 * without retries, naming the worker and the device.
 */
async function onDevice<T>(device: string, step: () => Promise<T>): Promise<T> {
  try {
    return await step();
  } catch (err) {
    const line = err instanceof Error && !(err instanceof EvaluationError) ? deviceFailureLine(err.message) : undefined;
    throw line ? deviceError(device, line) : err;
  }
}

export type EvalActivities = ReturnType<typeof createEvalActivities>;
