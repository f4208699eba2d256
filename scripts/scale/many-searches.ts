/**
 * Part 3, many searches at once on one dev server and the same three worker
 * processes: evaluations per second, progress sampled from the search
 * attributes, and each worker's memory over the run and its growth.
 */
import type { Client } from '@temporalio/client';
import { startSearch } from '../../src/client/search';
import { NAS_EVALUATED } from '../../src/workflows/search-attributes';
import type { SearchResult } from '../../src/search/summary';
import { mb, table } from './format';
import type { MemorySample, WorkerProcess } from './workers';

export async function manySearches(client: Client, queues: { control: string; eval: string }, workers: WorkerProcess[], searches: number, budget: number, canEvents: number): Promise<string> {
  const prefix = `scale-many-${Date.now()}`;
  const from = Date.now();
  const progress: { t: number; evaluated: number }[] = [];
  let sampling = true;
  const sampler = (async () => {
    while (sampling) {
      let evaluated = 0;
      for await (const wf of client.workflow.list({ query: `WorkflowId STARTS_WITH "${prefix}" AND (ExecutionStatus = "Running" OR ExecutionStatus = "Completed")` })) {
        evaluated += wf.typedSearchAttributes.get(NAS_EVALUATED) ?? 0;
      }
      progress.push({ t: Date.now(), evaluated });
      await new Promise((r) => setTimeout(r, 2000));
    }
  })();
  const handles = await Promise.all(
    Array.from({ length: searches }, (_, i) =>
      startSearch(
        client,
        { budget, strategy: i % 2 ? 'random' : 'evolution', batchSize: 10, seed: i, dataset: 'cifar100', continueAsNewAfterEvents: canEvents, evaluation: { taskQueue: queues.eval } },
        { taskQueue: queues.control, workflowId: `${prefix}-${i}` },
      ),
    ),
  );
  const results = (await Promise.all(handles.map((h) => h.result()))) as SearchResult[];
  const wall = (Date.now() - from) / 1000;
  sampling = false;
  await sampler;
  let runs = 0;
  for await (const wf of client.workflow.list({ query: `WorkflowId STARTS_WITH "${prefix}"` })) runs += wf.status.name === 'CONTINUED_AS_NEW' || wf.status.name === 'COMPLETED' ? 1 : 0;
  const evaluated = results.reduce((a, r) => a + r.evaluated, 0);
  const finished = results.filter((r) => r.evaluated === budget).length;

  // Memory at evenly spaced moments of the run, each the sample nearest in time.
  const moments = 8;
  const nearest = (samples: MemorySample[], t: number): MemorySample | undefined =>
    samples.reduce<MemorySample | undefined>((best, s) => (!best || Math.abs(s.t - t) < Math.abs(best.t - t) ? s : best), undefined);
  const rows: string[][] = [];
  for (let k = 0; k <= moments; k++) {
    const t = from + ((Date.now() - from) * k) / moments;
    const done = progress.reduce<{ t: number; evaluated: number } | undefined>((best, p) => (!best || Math.abs(p.t - t) < Math.abs(best.t - t) ? p : best), undefined);
    rows.push([
      ((t - from) / 1000).toFixed(0),
      String(k === moments ? evaluated : (done?.evaluated ?? 0)),
      ...workers.map((w) => {
        const s = nearest(w.samples.filter((x) => x.t >= from), t);
        return s ? `${mb(s.rss)} / ${mb(s.heap)}` : '-';
      }),
    ]);
  }
  // Growth: mean of the last quarter of samples minus mean of the second quarter (after warm-up).
  const signed = (bytes: number): string => `${bytes >= 0 ? '+' : ''}${mb(bytes)}`;
  const mean = (xs: MemorySample[], f: (s: MemorySample) => number): number => xs.reduce((a, s) => a + f(s), 0) / Math.max(1, xs.length);
  const growth = workers.map((w) => {
    const during = w.samples.filter((x) => x.t >= from);
    const q = Math.max(1, Math.floor(during.length / 4));
    const early = during.slice(q, 2 * q);
    const late = during.slice(during.length - q);
    return `${signed(mean(late, (s) => s.rss) - mean(early, (s) => s.rss))} / ${signed(mean(late, (s) => s.heap) - mean(early, (s) => s.heap))}`;
  });
  rows.push(['growth, last quarter vs second', '', ...growth]);
  return (
    `### ${searches} searches at once (${budget} evaluations each, evolution and random, batches of 10, continue-as-new after ${canEvents} events)\n\n` +
    `${finished} of ${searches} finished with their whole budget; ${evaluated.toLocaleString('en-US')} evaluations in ${wall.toFixed(0)} s: ${(evaluated / wall).toFixed(0)} evaluations/s; ${runs} runs in all.\n` +
    'One control worker and two eval workers (10 slots each), each a process; memory as RSS / main-thread heap after a full GC, MB ' +
    '(workflows run in worker threads, whose heaps are in the RSS only).\n\n' +
    table(['t s', 'evaluated', ...workers.map((w) => w.name)], rows)
  );
}
