import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import { reportFromHistories, type RunHistory } from './history';
import type { SearchReportData } from './types';

/**
 * Fetches the histories a report reads. The chain of continue-as-new runs is
 * followed backwards from the latest run through each run's predecessor
 * (recorded in its first event), so only this search's runs are read, even
 * when its workflow id was used before, and without waiting for visibility.
 */
export async function fetchRuns(client: Client, workflowId: string): Promise<RunHistory[]> {
  const latest = await client.workflow.getHandle(workflowId).describe().catch((err: unknown) => {
    throw err instanceof WorkflowNotFoundError ? new Error(`no search with workflow id ${workflowId} (in namespace ${client.options.namespace})`) : err;
  });
  if (latest.type !== 'nasSearch') throw new Error(`${workflowId} is a ${latest.type} workflow, not a search (nasSearch)`);
  const runs: RunHistory[] = [];
  for (let runId: string | undefined = latest.runId; runId; ) {
    const events: RunHistory['events'] = (await client.workflow.getHandle(workflowId, runId).fetchHistory()).events ?? [];
    runs.unshift({ runId, events });
    runId = events[0]?.workflowExecutionStartedEventAttributes?.continuedExecutionRunId || undefined;
  }
  return runs;
}

export async function gatherSearch(client: Client, workflowId: string): Promise<SearchReportData> {
  return reportFromHistories(workflowId, await fetchRuns(client, workflowId));
}

/** Workflow ids of the searches a visibility query finds, oldest first, e.g. `WorkflowId STARTS_WITH "benchc-"`. */
export async function searchesMatching(client: Client, query: string): Promise<string[]> {
  const found: { id: string; start: number }[] = [];
  for await (const wf of client.workflow.list({ query: `WorkflowType = "nasSearch" AND (${query})` })) {
    found.push({ id: wf.workflowId, start: wf.startTime.getTime() });
  }
  // Continue-as-new lists one execution per run: one id each.
  return [...new Set(found.sort((a, b) => a.start - b.start).map((f) => f.id))];
}
