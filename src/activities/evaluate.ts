import { ApplicationFailure, Context } from '@temporalio/activity';
import { z } from 'zod';
import { EvaluationError, type EvalContext, type EvalRequest, type Evaluator } from '../evaluators';
import { deviceError, deviceFailureLine } from '../evaluators/device-errors';
import { evalBatchRequestSchema, evalRequestSchema, evalResultSchema, type EvalBatchOutcome, type EvalBatchRequest } from '../evaluators/contract';
import { MAX_JSON_DEPTH, jsonShapeProblem } from '../lib/plain-json';
import type { EvalResult } from '../search/types';
import { NO_EVAL_METRICS, type EvalMetrics } from '../metrics/eval-metrics';
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
  /** Where evaluations and slot use are counted (the worker's Prometheus endpoint); default: nowhere. */
  metrics?: EvalMetrics;
}

/** Activities served on the eval task queue (GPU workers). */
export function createEvalActivities(options: EvalActivityOptions) {
  const slots = new DeviceSlots(options.devices);
  const metrics = options.metrics ?? NO_EVAL_METRICS;

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

  /** A request as the contract has it, or a failure no retry fixes. */
  function checkedRequest<T>(name: string, schema: z.ZodType<T>, input: unknown): T {
    // Any sender can reach this queue: a prototype key or a request nested 10,000 deep is
    // refused for good, naming where, as the Python worker refuses it (plain_json.py).
    const shape = jsonShapeProblem(input, MAX_JSON_DEPTH, '(request)');
    if (shape) throw ApplicationFailure.nonRetryable(`${name}: bad request: ${shape}`, 'BadEvalRequest');
    // The contract is checked on both sides of the queue, whoever is on the other.
    const checked = schema.safeParse(input);
    if (!checked.success) throw ApplicationFailure.nonRetryable(`${name}: bad request: ${z.prettifyError(checked.error)}`, 'BadEvalRequest');
    return checked.data;
  }

  function evaluatorFor(name: string, field: string): Evaluator {
    const evaluator = options.evaluators.get(name);
    if (!evaluator) {
      throw ApplicationFailure.nonRetryable(`${field}: this eval worker has no evaluator '${name}' (it serves ${[...options.evaluators.keys()].join(', ')})`, 'UnknownEvaluator');
    }
    return evaluator;
  }

  /**
   * One evaluation of a checked request, attempt `attempt` of it, counted as
   * an evaluation or (purpose "rank") as a ranked candidate; only an
   * evaluation gets the worker's pretend training time.
   */
  async function serve(request: EvalRequest, evaluator: Evaluator, purpose: 'evaluate' | 'rank', attempt: number): Promise<EvalResult> {
    const ctx = Context.current();
    const simulate = purpose === 'evaluate';
    const device = await slots.acquire();
    const started = Date.now();
    const labels = { evaluator: request.evaluator, space: request.space };
    metrics.slotTaken(device);
    if (purpose === 'evaluate') metrics.started(labels, attempt);
    let ok = false;
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
      if (simulate && options.simulateMs) await sleep(options.simulateMs);
      const out = evalResultSchema.safeParse({ ...result, device, ms: Date.now() - started });
      if (!out.success) {
        throw ApplicationFailure.nonRetryable(`evaluator ${request.evaluator} returned a bad result: ${z.prettifyError(out.error)}`, 'BadEvalResult');
      }
      ok = true;
      if (purpose === 'evaluate') metrics.completed(labels, device, (Date.now() - started) / 1000);
      return out.data;
    } finally {
      if (purpose === 'rank') metrics.ranked(labels, ok);
      else if (!ok) metrics.failed(labels);
      metrics.slotFreed(device);
      slots.release(device);
    }
  }
  /**
   * Many candidates in one activity, as many at once as this worker has
   * device slots, each heartbeating. A candidate's failure is its own
   * outcome: a retryable one is tried again (up to `attempts` in all) before
   * it is given up, so one bad candidate neither fails nor repeats the
   * others. Only a request no candidate can pass (a bad request, an
   * evaluator not served here) fails the activity.
   */
  async function serveBatch(request: EvalBatchRequest): Promise<EvalBatchOutcome[]> {
    const { archs, attempts, purpose, ...common } = request;
    const evaluator = evaluatorFor(common.evaluator, purpose === 'rank' ? 'rank.by' : 'evaluation.evaluator');
    const ctx = Context.current();
    const one = async (arch: string): Promise<EvalBatchOutcome> => {
      for (let attempt = 1; ; attempt++) {
        try {
          const result = await serve({ ...common, arch }, evaluator, purpose === 'rank' ? 'rank' : 'evaluate', attempt);
          return { result, ...(attempt > 1 ? { attempts: attempt } : {}) };
        } catch (err) {
          if (ctx.cancellationSignal.aborted) throw err;
          const failure = evalFailure(err);
          const app = failure instanceof ApplicationFailure ? failure : undefined;
          if (app?.nonRetryable !== true && attempt < attempts) {
            await ctx.sleep(Math.min(1000 * 2 ** (attempt - 1), 10_000));
            continue;
          }
          return {
            error: failure instanceof Error ? failure.message : String(failure),
            ...(app?.type ? { type: app.type } : {}),
            ...(app?.nonRetryable ? { nonRetryable: true } : {}),
            attempts: attempt,
          };
        }
      }
    };
    // The slots bound how many run at once; the outcomes keep the order of `archs`.
    return Promise.all(archs.map(one));
  }

  return {
    async evaluate(input: EvalRequest): Promise<EvalResult> {
      try {
        const request = checkedRequest('evaluate', evalRequestSchema, input);
        return await serve(request, evaluatorFor(request.evaluator, 'evaluation.evaluator'), 'evaluate', Context.current().info.attempt);
      } catch (err) {
        // Every failure leaves here, its message bounded; errors that know whether a retry can
        // help (EvaluationError, ArchitectureError) say so.
        throw evalFailure(err);
      }
    },

    async evaluateBatch(input: EvalBatchRequest): Promise<EvalBatchOutcome[]> {
      try {
        return await serveBatch(checkedRequest('evaluateBatch', evalBatchRequestSchema, input));
      } catch (err) {
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
