import { ApplicationFailure, Context } from '@temporalio/activity';
import { TableError } from '../evaluators/nb201-table';
import type { EvalRequest, Evaluator } from '../evaluators';
import { ArchitectureError } from '../spaces/types';
import type { EvalResult } from '../search/types';
import { DeviceSlots } from './device-slots';

export interface EvalActivityOptions {
  evaluators: Map<string, Evaluator>;
  /** One slot per device; the worker's concurrency equals their number. */
  devices: readonly string[];
}

/** Activities served on the eval task queue (GPU workers). */
export function createEvalActivities(options: EvalActivityOptions) {
  const slots = new DeviceSlots(options.devices);
  return {
    async evaluate(request: EvalRequest): Promise<EvalResult> {
      const evaluator = options.evaluators.get(request.space);
      if (!evaluator) {
        throw ApplicationFailure.nonRetryable(
          `space: this eval worker has no evaluator for '${request.space}' (it serves ${[...options.evaluators.keys()].join(', ')})`,
          'UnknownSpace',
        );
      }
      const ctx = Context.current();
      const device = await slots.acquire();
      const started = Date.now();
      try {
        ctx.heartbeat({ device });
        const result = await evaluator.evaluate(request, {
          device,
          heartbeat: (details) => ctx.heartbeat(details ?? { device }),
          sleep: async (ms) => {
            // Heartbeat at least every second so a dead worker is noticed quickly.
            for (let left = ms; left > 0; left -= 1000) {
              await ctx.sleep(Math.min(1000, left));
              ctx.heartbeat({ device });
            }
          },
        });
        return { ...result, device, ms: Date.now() - started };
      } catch (err) {
        if (err instanceof TableError || err instanceof ArchitectureError) {
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
