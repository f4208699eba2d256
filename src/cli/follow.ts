import type { WorkflowHandle } from '@temporalio/client';
import { formatResult, watchSearch } from '../client/search';
import type { SearchResult } from '../search/summary';
import type { TemporalTarget } from '../temporal/connection';
import type { SearchProgress } from '../workflows/api';
import { printJson } from './command';
import { CliError, explain } from './errors';
import { EXIT } from './exit-codes';
import { idleQueues, idleQueuesMessage, type SearchQueues } from './pollers';
import { createProgressView, finalProgress } from './progress';

export interface FollowOptions {
  json?: boolean;
  intervalMs?: number;
  /** The queues to check for workers while watching (see pollers.ts); none: no check (the workers are ours). */
  queues?: SearchQueues;
  /** What Ctrl-C says; by default that the search goes on without this watch. */
  interrupted?: string;
}

/**
 * Shows a search's progress until it closes, then its result (as text, or as
 * JSON with no progress, for scripts). Ctrl-C stops watching, not the search:
 * it rejects with exit code 130, after the caller's cleanup (in-process
 * workers shut down gracefully). With `queues`, says on stderr when no
 * worker polls one of them, and goes on watching.
 */
export async function followSearch(handle: WorkflowHandle, target: TemporalTarget, options: FollowOptions = {}): Promise<SearchResult> {
  const view = options.json ? undefined : createProgressView();
  let interrupt: (err: CliError) => void = () => undefined;
  const interrupted = new Promise<never>((_, reject) => (interrupt = reject));
  const onInterrupt = (): void => {
    view?.finish();
    interrupt(new CliError(options.interrupted ?? `stopped watching; search '${handle.workflowId}' keeps running: \`collm-nas watch ${handle.workflowId}\` to come back`, EXIT.interrupted));
  };
  process.once('SIGINT', onInterrupt);
  const checked = new AbortController();
  const checking = options.queues ? warnIfIdle(handle, target, options.queues, checked.signal, () => view?.finish()) : Promise.resolve();
  let last: SearchProgress | undefined;
  try {
    const watched = watchSearch(
      handle,
      (p) => {
        last = p;
        view?.update(p);
      },
      options.intervalMs ?? 500,
    );
    const result = await Promise.race([watched, interrupted]);
    // The last answer to the query may predate the final evaluations: the bar ends at the result.
    if (last) view?.update(finalProgress(last, result));
    view?.finish();
    return result;
  } catch (err) {
    view?.finish();
    throw explain(err, target, handle.workflowId);
  } finally {
    process.off('SIGINT', onInterrupt);
    checked.abort();
    await checking;
  }
}

/** The check of followSearch, off the bar's line: `beforeSaying` ends a bar drawn in place. */
async function warnIfIdle(handle: WorkflowHandle, target: TemporalTarget, queues: SearchQueues, signal: AbortSignal, beforeSaying: () => void): Promise<void> {
  const idle = await idleQueues(handle.client.workflowService, target.namespace, queues, { signal });
  if (idle.length === 0) return;
  beforeSaying();
  process.stderr.write(`collm-nas: ${idleQueuesMessage(idle)}\n`);
}

export function printResult(result: SearchResult, json: boolean | undefined): void {
  if (json) printJson(result);
  else console.log(formatResult(result));
}
