import { ApplicationFailure, Context } from '@temporalio/activity';
import { z } from 'zod';
import type { EvalRequest, Evaluator } from '../evaluators';
import { evalRequestSchema, evalResultSchema } from '../evaluators/contract';
import type { EvalResult } from '../search/types';
import { DeviceSlots } from './device-slots';

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
  return {
    async evaluate(input: EvalRequest): Promise<EvalResult> {
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
        const result = await evaluator.evaluate(request, {
          device,
          heartbeat: (details) => ctx.heartbeat(details ?? { device }),
          sleep,
          signal: ctx.cancellationSignal,
        });
        if (options.simulateMs) await sleep(options.simulateMs);
        const out = evalResultSchema.safeParse({ ...result, device, ms: Date.now() - started });
        if (!out.success) {
          throw ApplicationFailure.nonRetryable(`evaluator ${request.evaluator} returned a bad result: ${z.prettifyError(out.error)}`, 'BadEvalResult');
        }
        return out.data;
      } catch (err) {
        // Errors that know whether a retry can help (EvaluationError, ArchitectureError) say so.
        const retryable = (err as { retryable?: unknown }).retryable;
        if (err instanceof Error && retryable === false) {
          throw ApplicationFailure.nonRetryable(err.message, err.name);
        }
        throw err;
      } finally {
        slots.release(device);
      }
    },
  };
}

export type EvalActivities = ReturnType<typeof createEvalActivities>;
