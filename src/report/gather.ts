import type { Client } from '@temporalio/client';
import { fetchRuns } from '../client/history';
import { reportFromHistories, type GatheredReport } from './history';

/** Fetches the histories a report reads (the search log reads the same): see `fetchRuns` in src/client/history.ts. */
export { fetchRuns };

export async function gatherSearch(client: Client, workflowId: string): Promise<GatheredReport> {
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
