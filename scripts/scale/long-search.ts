/**
 * Part 2, one long search through Temporal: per continue-as-new run, its
 * history events and bytes (also per evaluation), the carried input, the
 * largest payload and the time to replay it, read back from the server.
 */
import type { Client } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { Worker } from '@temporalio/worker';
import { startSearch } from '../../src/client/search';
import { fetchRuns } from '../../src/report';
import type { SearchResult } from '../../src/search/summary';
import { WORKFLOW_BUNDLE } from '../../src/temporal/paths';
import { kb, table } from './format';

function largestPayload(event: temporal.api.history.v1.IHistoryEvent): number {
  let largest = 0;
  const walk = (x: unknown): void => {
    if (x === null || typeof x !== 'object') return;
    if (x instanceof Uint8Array) return;
    const p = x as { data?: unknown; metadata?: unknown };
    if (p.data instanceof Uint8Array && p.metadata !== undefined) largest = Math.max(largest, p.data.length);
    for (const v of Object.values(x)) walk(v);
  };
  walk(event);
  return largest;
}

const eventName = (e: temporal.api.history.v1.IHistoryEvent): string =>
  (temporal.api.enums.v1.EventType[e.eventType ?? 0] ?? '?').replace(/^EVENT_TYPE_/, '').toLowerCase().replace(/_(\w)/g, (_, c: string) => c.toUpperCase());

export async function longSearch(client: Client, queues: { control: string; eval: string }, budget: number, canEvents: number | undefined): Promise<string> {
  const id = `scale-long-${Date.now()}`;
  const t0 = performance.now();
  const handle = await startSearch(
    client,
    { budget, strategy: 'evolution', batchSize: 10, seed: 1, dataset: 'cifar10', ...(canEvents ? { continueAsNewAfterEvents: canEvents } : {}), evaluation: { taskQueue: queues.eval } },
    { taskQueue: queues.control, workflowId: id },
  );
  const result = (await handle.result()) as SearchResult;
  const wall = (performance.now() - t0) / 1000;
  const runs = await fetchRuns(client, id);

  // Replays on one worker: the first history twice, so that no run's time includes the worker's start.
  const histories = [runs[0]!, ...runs].map((r, i) => ({ workflowId: `${id}-${i}`, history: { events: [...r.events] } }));
  const replayMs: number[] = [];
  let last = performance.now();
  for await (const r of Worker.runReplayHistories({ workflowBundle: { codePath: WORKFLOW_BUNDLE }, replayName: 'bench-scale' }, histories)) {
    if (r.error) throw new Error(`run ${r.workflowId} does not replay: ${String(r.error)}`);
    const now = performance.now();
    replayMs.push(now - last);
    last = now;
  }
  replayMs.shift();

  const rows: string[][] = [];
  let totalEvents = 0;
  let totalBytes = 0;
  let totalEvaluations = 0;
  let largest = { bytes: 0, where: '' };
  for (const [i, run] of runs.entries()) {
    const events = run.events;
    const bytes = temporal.api.history.v1.History.encode({ events: [...events] }).finish().length;
    const evaluations = events.filter((e) => e.activityTaskCompletedEventAttributes).length;
    const carried = events[0]?.workflowExecutionStartedEventAttributes?.input?.payloads?.[1]?.data?.length ?? 0;
    let runLargest = { bytes: 0, where: '' };
    for (const e of events) {
      const b = largestPayload(e);
      if (b > runLargest.bytes) runLargest = { bytes: b, where: eventName(e) };
    }
    if (runLargest.bytes > largest.bytes) largest = { bytes: runLargest.bytes, where: `run ${i + 1}, ${runLargest.where}` };
    totalEvents += events.length;
    totalBytes += bytes;
    totalEvaluations += evaluations;
    rows.push([
      String(i + 1),
      String(evaluations),
      String(events.length),
      kb(bytes),
      (events.length / evaluations).toFixed(2),
      (bytes / evaluations).toFixed(0),
      carried ? kb(carried) : '-',
      `${kb(runLargest.bytes)} (${runLargest.where})`,
      replayMs[i]!.toFixed(0),
    ]);
  }
  rows.push([
    'all',
    String(totalEvaluations),
    String(totalEvents),
    kb(totalBytes),
    (totalEvents / totalEvaluations).toFixed(2),
    (totalBytes / totalEvaluations).toFixed(0),
    '',
    `${kb(largest.bytes)} (${largest.where})`,
    replayMs.reduce((a, b) => a + b, 0).toFixed(0),
  ]);
  const resultBytes = runs.at(-1)!.events.at(-1)?.workflowExecutionCompletedEventAttributes?.result?.payloads?.[0]?.data?.length ?? 0;
  // Activity results are evaluations; the config and warm start are a local activity (a marker), not counted.
  if (totalEvaluations !== result.evaluated) throw new Error(`histories hold ${totalEvaluations} evaluations, the result says ${result.evaluated}`);
  return (
    `### One ${budget.toLocaleString('en-US')}-evaluation NB201 search through Temporal (evolution, batches of 10${canEvents ? `, continue-as-new after ${canEvents} events` : ', continue-as-new when the server suggests'})\n\n` +
    table(['run', 'evaluations', 'events', 'history KB', 'events/eval', 'bytes/eval', 'carried input KB', 'largest payload KB', 'replay ms'], rows) +
    `\n\nResult payload: ${kb(resultBytes)} KB (history lists ${result.history.length} of ${result.evaluated}${result.historyTruncated ? ', truncated' : ''}); ` +
    `largest payload of the search: ${kb(largest.bytes)} KB (${largest.where}); ${runs.length} runs; wall ${wall.toFixed(0)} s, ${(result.evaluated / wall).toFixed(0)} evaluations/s.`
  );
}
