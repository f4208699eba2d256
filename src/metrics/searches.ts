import { Client, isGrpcServiceError } from '@temporalio/client';
import type { MetricMeter } from '@temporalio/common';
import type { NativeConnection } from '@temporalio/worker';
import { NAS_PAUSED } from '../workflows/search-attributes';
import { METRICS } from './names';

/** Temporal's execution statuses, as visibility names them and as the gauge's `status` label gives them; and Paused, ours. */
const STATUSES = ['Running', 'Paused', 'Completed', 'Failed', 'Canceled', 'TimedOut', 'Terminated', 'ContinuedAsNew'];

/**
 * `collm_searches{status}`: how many nasSearch workflows Temporal's
 * visibility holds in each status (finished ones for as long as the
 * namespace retains them), counted every `intervalMs` by a control worker.
 * Workflows cannot report this themselves: their metrics are skipped on
 * replay, so a count kept inside them would be lost with the worker that
 * ran them. Every control worker with metrics on reports the same figures:
 * dashboards take max() over instances.
 *
 * A paused search is Running to Temporal; it marks itself `NasPaused = true`
 * (src/workflows/paused.ts), and is counted as Paused, not Running. On a
 * server without that attribute the Paused count cannot be made: it is left
 * out, and paused searches stay in Running. A count that fails (server
 * unreachable) leaves the last figures and is tried again.
 */
export function watchSearchCounts(connection: NativeConnection, namespace: string, meter: MetricMeter, intervalMs = 15_000): () => void {
  const client = new Client({ connection, namespace });
  const gauge = meter.createGauge(METRICS.searches, 'int', undefined, 'nasSearch workflows by status (Temporal visibility; Paused apart from Running)');
  let stopped = false;
  let failing = false;
  const count = async (): Promise<void> => {
    try {
      const { groups } = await client.workflow.count(`WorkflowType = 'nasSearch' GROUP BY ExecutionStatus`);
      const byStatus = new Map(groups.map((g) => [String(g.groupValues[0]), g.count]));
      const paused = await countPaused(client);
      if (paused !== undefined) {
        byStatus.set('Paused', paused);
        byStatus.set('Running', Math.max(0, (byStatus.get('Running') ?? 0) - paused));
      }
      failing = false;
      if (stopped) return;
      for (const status of STATUSES) if (status !== 'Paused' || paused !== undefined) gauge.set(byStatus.get(status) ?? 0, { status });
    } catch (err) {
      // The round is left out (the gauge keeps the last figures) and the next one tries again; said once per outage.
      if (!failing && !stopped) console.warn(`metrics: could not count the searches in visibility (${(err as Error).message}); collm_searches keeps its last figures`);
      failing = true;
    }
  };
  void count();
  const timer = setInterval(() => void count(), intervalMs);
  timer.unref();
  return () => {
    stopped = true;
    clearInterval(timer);
  };
}

/**
 * Paused searches, or undefined where the server refuses the query as
 * invalid (NasPaused not registered). Any other failure fails the round:
 * Running less a stale Paused would count a paused search twice.
 */
async function countPaused(client: Client): Promise<number | undefined> {
  try {
    const { count } = await client.workflow.count(`WorkflowType = 'nasSearch' AND ExecutionStatus = 'Running' AND ${NAS_PAUSED.name} = true`);
    return count;
  } catch (err) {
    const grpc = [err, (err as Error)?.cause].find(isGrpcServiceError);
    if (grpc?.code === 3) return undefined; // INVALID_ARGUMENT: an attribute the server does not know
    throw err;
  }
}

/**
 * How often a control worker counts the searches: COLLM_SEARCH_COUNT_INTERVAL_MS
 * (milliseconds, at least 1000), else every 15 s. A bad value stops the worker
 * with a message, as a bad COLLM_METRICS_ADDRESS does.
 */
export function searchCountIntervalMs(env: NodeJS.ProcessEnv = process.env): number {
  const text = env.COLLM_SEARCH_COUNT_INTERVAL_MS?.trim();
  if (!text) return 15_000;
  const ms = Number(text);
  if (!Number.isInteger(ms) || ms < 1000) {
    throw new Error(`COLLM_SEARCH_COUNT_INTERVAL_MS: '${text}' is not a whole number of milliseconds of at least 1000; e.g. 15000, or unset for 15 s`);
  }
  return ms;
}

