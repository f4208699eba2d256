import type { WorkflowHandle } from '@temporalio/client';
import { formatResult, watchSearch } from '../client/search';
import type { SearchResult } from '../search/summary';
import type { TemporalTarget } from '../temporal/connection';
import { printJson } from './command';
import { explain } from './errors';
import { EXIT } from './exit-codes';
import { createProgressView } from './progress';

/**
 * Shows a search's progress until it closes, then its result (as text, or as
 * JSON with no progress, for scripts). Ctrl-C stops watching, not the search.
 */
export async function followSearch(
  handle: WorkflowHandle,
  target: TemporalTarget,
  options: { json?: boolean; intervalMs?: number } = {},
): Promise<SearchResult> {
  const view = options.json ? undefined : createProgressView();
  const onInterrupt = (): void => {
    view?.finish();
    process.stderr.write(`stopped watching; search '${handle.workflowId}' keeps running: \`collm-nas watch ${handle.workflowId}\` to come back\n`);
    process.exit(EXIT.interrupted);
  };
  process.once('SIGINT', onInterrupt);
  try {
    const result = await watchSearch(handle, (p) => view?.update(p), options.intervalMs ?? 500);
    view?.finish();
    return result;
  } catch (err) {
    view?.finish();
    throw explain(err, target, handle.workflowId);
  } finally {
    process.off('SIGINT', onInterrupt);
  }
}

export function printResult(result: SearchResult, json: boolean | undefined): void {
  if (json) printJson(result);
  else console.log(formatResult(result));
}
