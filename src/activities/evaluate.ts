import { ApplicationFailure, Context } from '@temporalio/activity';
import { z } from 'zod';
import { EvaluationError, type EvalContext, type EvalRequest, type Evaluator } from '../evaluators';
import { deviceError, deviceFailureLine } from '../evaluators/device-errors';
import { evalRequestSchema, evalResultSchema, scoreRequestSchema, type ScoreRequest } from '../evaluators/contract';
import type { ScoreOutcome } from '../search/rank';
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

  /** One evaluation of a checked request; `simulate`: add the worker's pretend training time. */
  async function serve(request: EvalRequest, evaluator: Evaluator, simulate: boolean): Promise<EvalResult> {
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
      if (simulate && options.simulateMs) await sleep(options.simulateMs);
      const out = evalResultSchema.safeParse({ ...result, device, ms: Date.now() - started });
      if (!out.success) {
        throw ApplicationFailure.nonRetryable(`evaluator ${request.evaluator} returned a bad result: ${z.prettifyError(out.error)}`, 'BadEvalResult');
      }
      return out.data;
    } finally {
      slots.release(device);
    }
  }
  /**
   * A ranking stage's pool, scored one candidate after another in one
   * activity (each heartbeats). A candidate whose evaluation fails fails
   * alone, as an outcome with its error; only a request no candidate can
   * pass (a bad request, an evaluator not served here, every one failing)
   * fails the activity.
   */
  async function scorePool(request: ScoreRequest): Promise<ScoreOutcome[]> {
    const evaluator = evaluatorFor(request.evaluator, 'rank.by');
    const { archs, ...common } = request;
    const outcomes: ScoreOutcome[] = [];
    let firstFailure: unknown;
    for (const arch of archs) {
      try {
        const result = await serve({ ...common, arch }, evaluator, false);
        outcomes.push({ score: result.valAcc, ...(result.ms !== undefined ? { ms: result.ms } : {}) });
      } catch (err) {
        if (Context.current().cancellationSignal.aborted) throw err;
        firstFailure ??= err;
        const failure = evalFailure(err);
        outcomes.push({ error: failure instanceof Error ? failure.message : String(failure) });
      }
    }
    if (firstFailure !== undefined && outcomes.every((o) => 'error' in o)) throw firstFailure;
    return outcomes;
  }

  return {
    async evaluate(input: EvalRequest): Promise<EvalResult> {
      try {
        const request = checkedRequest('evaluate', evalRequestSchema, input);
        return await serve(request, evaluatorFor(request.evaluator, 'evaluation.evaluator'), true);
      } catch (err) {
        // Every failure leaves here, its message bounded; errors that know whether a retry can
        // help (EvaluationError, ArchitectureError) say so.
        throw evalFailure(err);
      }
    },

    async scoreBatch(input: ScoreRequest): Promise<ScoreOutcome[]> {
      try {
        return await scorePool(checkedRequest('scoreBatch', scoreRequestSchema, input));
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
