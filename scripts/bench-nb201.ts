/**
 * NAS-Bench-201 benchmark through the real Temporal path.
 *   npm run bench:nb201 [-- --seeds 10 --budget 100 --strategies random,evolution,reinforce --datasets cifar10,cifar100,imagenet16]
 *
 * For each strategy x dataset x seed it runs a `nasSearch` workflow on a local
 * dev server with in-process workers, and the same search in-process without
 * Temporal. It prints the accuracy of the best-by-validation architecture
 * (mean ± std over seeds), wall time per search, and the orchestration
 * overhead per evaluated candidate (Temporal wall time minus in-process wall
 * time, over the number of evaluations). Last, it times the replay of a
 * 1,000-evaluation search. The table's optimum is printed beside the rows:
 * what a perfect search on validation accuracy reaches.
 */
import { Worker } from '@temporalio/worker';
import { startSearch } from '../src/client/search';
import { Nb201Table, resolveNb201Table } from '../src/evaluators/nb201/table';
import { resolveSearchConfig } from '../src/config/resolve';
import { runSearch } from '../src/search/search';
import type { SearchResult } from '../src/search/summary';
import { WORKFLOW_BUNDLE } from '../src/temporal/paths';
import { withHarness } from './harness';
import { nb201Space } from '../src/spaces/nb201';
import { arg } from './args';

export function meanStd(xs: number[]): { mean: number; std: number } {
  const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
  const std = Math.sqrt(xs.reduce((a, b) => a + (b - mean) ** 2, 0) / Math.max(1, xs.length - 1));
  return { mean, std };
}

/** A bench method's strategy: `llms-off` is the collm loop with the LLMs off (the fill alone), the control for what the LLMs add. */
export const strategyOf = (method: string, collm: Record<string, unknown> = {}): unknown =>
  method === 'llms-off' ? { name: 'collm', llms: 'off' } : method === 'collm' ? { name: 'collm', ...collm } : method;

/** The label of the row that prints `Nb201Table.optimum` beside the benchmark's rows. */
export const OPTIMUM_ROW = 'optimum: best by validation in the table (best test of any cell)';

export const fmt = (m: { mean: number; std: number }, digits = 2): string => `${m.mean.toFixed(digits)} ± ${m.std.toFixed(digits)}`;

async function main(): Promise<void> {
  const seeds = Number(arg('seeds', '10'));
  const budget = Number(arg('budget', '100'));
  const strategies = arg('strategies', 'random,evolution,reinforce').split(',');
  const datasets = arg('datasets', nb201Space.datasets.join(',')).split(',');
  const table = Nb201Table.load(resolveNb201Table());

  const rows: string[][] = [];
  let replayLine = '';
  await withHarness({ port: Number(arg('port', '7340')), name: 'bench' }, async ({ client, controlQueue, evalQueue }) => {
    for (const strategy of strategies) {
      for (const dataset of datasets) {
        const val: number[] = [];
        const test: number[] = [];
        const wall: number[] = [];
        const overhead: number[] = [];
        let identical = true;
        for (let seed = 0; seed < seeds; seed++) {
          const raw = { budget, strategy, dataset, seed, batchSize: 10, evaluation: { taskQueue: evalQueue } };
          const t0 = performance.now();
          const handle = await startSearch(client, raw, { taskQueue: controlQueue, workflowId: `bench-${strategy}-${dataset}-${seed}-${Date.now()}` });
          const result = (await handle.result()) as SearchResult;
          const t1 = performance.now();
          const config = resolveSearchConfig(raw);
          const local = await runSearch(config, (c) => table.lookup(c.arch, dataset));
          const t2 = performance.now();
          identical &&= JSON.stringify(local) === JSON.stringify(result);
          val.push(result.best!.valAcc);
          test.push(result.best!.testAcc!);
          wall.push((t1 - t0) / 1000);
          overhead.push((t1 - t0 - (t2 - t1)) / result.evaluated);
        }
        rows.push([
          strategy,
          dataset,
          String(seeds),
          fmt(meanStd(val)),
          fmt(meanStd(test)),
          meanStd(wall).mean.toFixed(2),
          meanStd(overhead).mean.toFixed(1),
          identical ? 'yes' : 'NO',
        ]);
        console.log(`done: ${strategy} ${dataset}`);
      }
    }
    for (const dataset of datasets) {
      const o = table.optimum(dataset);
      rows.push([OPTIMUM_ROW, dataset, '-', o.valAcc.toFixed(2), `${o.testAcc.toFixed(2)} (${o.maxTestAcc.toFixed(2)})`, '-', '-', '-']);
    }
    // Replay cost of a long search: 1,000 evaluations in one run.
    const big = await startSearch(client, { budget: 1000, strategy: 'evolution', batchSize: 10, evaluation: { taskQueue: evalQueue } }, { taskQueue: controlQueue, workflowId: `bench-replay-${Date.now()}` });
    await big.result();
    const history = await big.fetchHistory();
    const r0 = performance.now();
    await Worker.runReplayHistory({ workflowBundle: { codePath: WORKFLOW_BUNDLE }, replayName: 'bench' }, history);
    const r1 = performance.now();
    replayLine = `replay of a 1,000-evaluation search (${history.events?.length} events): ${((r1 - r0) / 1000).toFixed(2)} s`;
  });
  const header = ['strategy', 'dataset', 'seeds', `best val acc (budget ${budget})`, 'its test acc', 'wall s/search', 'overhead ms/candidate', 'same as in-process'];
  console.log(`\n| ${header.join(' | ')} |\n|${header.map(() => '---').join('|')}|`);
  for (const r of rows) console.log(`| ${r.join(' | ')} |`);
  console.log(`\n${replayLine}`);
}

if (require.main === module) {
  main().catch((err) => {
    console.error(err);
    process.exit(1);
  });
}
