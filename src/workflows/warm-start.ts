import { ActivityFailure, isCancellation, log, proxyActivities, workflowInfo } from '@temporalio/workflow';
import type { WarmStart, WarmStartActivities } from '../activities/warm-start';
import type { SearchConfig, WarmStartConfig } from '../search/types';
import { backoff } from './failures';
import { TEMPORAL_SCHEDULED_BY_ID } from './search-attributes';

/**
 * The seeds of a warm-started search: the best architectures of the last
 * completed run of its schedule (`fromSchedule: true` is the schedule that
 * started this run, which Temporal names in the run's search attributes).
 * Not finding them starts the search cold, with the reason in the memo:
 * a nightly run is worth more than the seeds it could not get.
 */
export async function warmStart(config: SearchConfig & { warmStart: WarmStartConfig }): Promise<WarmStart> {
  const { fromSchedule, top } = config.warmStart;
  const scheduleId = fromSchedule === true ? workflowInfo().typedSearchAttributes.get(TEMPORAL_SCHEDULED_BY_ID) : fromSchedule;
  if (!scheduleId) return { schedule: null, from: null, architectures: [], dropped: [], note: 'not started by a schedule: cold start' };

  const { findWarmStart } = proxyActivities<WarmStartActivities>({
    startToCloseTimeout: '1m',
    retry: backoff(5, '1s', '30s'),
  });
  try {
    const found = await findWarmStart({
      scheduleId,
      top,
      space: config.space,
      dataset: config.dataset,
      ...(config.constraint ? { constraint: config.constraint } : {}),
      seedArchitectures: config.seedArchitectures,
    });
    for (const d of found.dropped) log.warn('warm start: architecture left out', d);
    log.info('warm start', { schedule: scheduleId, from: found.from, seeds: found.architectures.length, ...(found.note ? { note: found.note } : {}) });
    return found;
  } catch (err) {
    if (isCancellation(err)) throw err;
    const reason = err instanceof ActivityFailure && err.cause ? err.cause.message : String(err);
    log.warn('warm start failed: starting cold', { schedule: scheduleId, reason });
    return { schedule: scheduleId, from: null, architectures: [], dropped: [], note: `warm start failed, cold start: ${reason}` };
  }
}

/** The config with the warm-start seeds after its own: the engine evaluates seeds first, in order. */
export function withSeeds(config: SearchConfig, architectures: readonly string[]): SearchConfig {
  return architectures.length === 0 ? config : { ...config, seedArchitectures: [...config.seedArchitectures, ...architectures] };
}
