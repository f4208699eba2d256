/**
 * The ranking stage on NAS-Bench-201, in process (the table stands in for
 * the expensive evaluation):
 *   npx tsx scripts/rank/bench.ts [--seeds 10 --datasets cifar10,cifar100,imagenet16
 *     --strategies evolution,llms-off,random --budgets 25,50,100 --pools 1,2,5,10
 *     --rankers cost,naswot --batch 5 --constraint none,flops]
 *
 * For each strategy, budget and pool (candidates proposed per candidate
 * evaluated; 1 is no ranking) it prints the mean test accuracy of the best
 * architecture by validation over the seeds, for each ranker: `cost` (the
 * cost model, the control) and `naswot` (NASWOT scores computed for real by
 * scripts/rank/naswot-cache.ts, read from its cache; a score missing there is
 * computed now). Also unranked evolution at 250 evaluations, the reference
 * the issue's targets name, seconds per search and the ranker's share of it
 * (NASWOT's time as measured when each score was computed).
 */
import { performance } from 'node:perf_hooks';
import { resolveSearchConfig } from '../../src/config/resolve';
import { naswotScore } from '../../src/evaluators/naswot';
import { Nb201Table, resolveNb201Table } from '../../src/evaluators/nb201/table';
import type { ScorePort } from '../../src/search/rank';
import { runSearch } from '../../src/search/search';
import { nb201Space } from '../../src/spaces/nb201';
import { fmt, meanStd, strategyOf } from '../bench-nb201';
import { readNaswotCache } from './naswot-cache-read';
import { arg } from '../args';

const list = (name: string, fallback: string): string[] => arg(name, fallback).split(',').filter(Boolean);

/**
 * The constrained rows' FLOPs cap: config/nb201-flops.json's 60 M on the
 * 32x32 datasets (about a quarter of the largest cell), and as binding a cap
 * on ImageNet16-120's 16x16 inputs, whose cells have a quarter of the FLOPs.
 */
const flopsCap = (dataset: string) => ({ metric: 'flops', max: dataset === 'imagenet16' ? 15 : 60 }) as const;

interface Cell {
  test: number[];
  seconds: number[];
  rankerSeconds: number[];
}

async function main(): Promise<void> {
  const seeds = Number(arg('seeds', '10'));
  const datasets = list('datasets', nb201Space.datasets.join(','));
  const strategies = list('strategies', 'evolution,llms-off,random');
  const budgets = list('budgets', '25,50,100').map(Number);
  const pools = list('pools', '1,2,5,10').map(Number);
  const rankers = list('rankers', 'cost,naswot');
  const constraints = list('constraint', 'none,flops');
  const batch = Number(arg('batch', '5'));
  const table = Nb201Table.load(resolveNb201Table());

  for (const dataset of datasets) {
    const cache = readNaswotCache(dataset);
    let computed = 0;
    // NASWOT for a cell: its cached score and the time it took, or computed now (and timed).
    const naswot = async (arch: string): Promise<{ score: number; ms: number }> => {
      const key = nb201Space.key(nb201Space.parse(arch));
      const hit = cache.get(key);
      if (hit) return hit;
      const t0 = performance.now();
      const { score } = await naswotScore('nb201', nb201Space.parse(key), dataset, { input: 'images', seed: 0 });
      const entry = { score, ms: performance.now() - t0 };
      cache.set(key, entry);
      computed++;
      return entry;
    };
    const port: ScorePort = (pool) => Promise.all(pool.map(async (c) => naswot(c.arch)));

    for (const constraint of constraints) {
      const label = constraint === 'flops' ? `, FLOPs ≤ ${flopsCap(dataset).max} M` : '';
      console.log(`\n### ${dataset}${label}: test accuracy of the best by validation, mean ± std over ${seeds} seeds (batch ${batch})\n`);
      console.log(`| strategy | ranker | pool | ${budgets.map((b) => `${b} evals`).join(' | ')} | s/search | ranker share |`);
      console.log(`|---|---|---|${budgets.map(() => '---|').join('')}---|---|`);
      const run = async (strategy: string, ranker: string | undefined, pool: number, budget: number, cell: Cell): Promise<void> => {
        for (let seed = 0; seed < seeds; seed++) {
          const config = resolveSearchConfig({
            space: 'nb201',
            dataset,
            budget,
            batchSize: batch,
            seed,
            strategy: strategyOf(strategy),
            ...(constraint === 'flops' ? { constraint: flopsCap(dataset) } : {}),
            ...(ranker ? { rank: { by: ranker, pool: pool * batch } } : {}),
          });
          const t0 = performance.now();
          const r = await runSearch(config, (c) => table.lookup(c.arch, dataset), ranker === 'naswot' ? { score: port } : {});
          const wall = (performance.now() - t0) / 1000;
          const rankerS = (r.ranking?.ms ?? 0) / 1000;
          cell.test.push(r.best?.testAcc ?? 0);
          // With cached scores the search itself ran in `wall`; NASWOT's own time is added as it was measured.
          cell.seconds.push(wall + (ranker === 'naswot' ? rankerS : 0));
          cell.rankerSeconds.push(rankerS);
        }
      };
      for (const strategy of strategies) {
        for (const pool of pools) {
          for (const ranker of pool === 1 ? [undefined] : rankers) {
            const cells: Cell[] = [];
            for (const budget of budgets) {
              const cell: Cell = { test: [], seconds: [], rankerSeconds: [] };
              await run(strategy, ranker, pool, budget, cell);
              cells.push(cell);
            }
            const seconds = cells.flatMap((c) => c.seconds);
            const rankerSeconds = cells.flatMap((c) => c.rankerSeconds);
            const total = seconds.reduce((a, b) => a + b, 0);
            const share = total > 0 ? rankerSeconds.reduce((a, b) => a + b, 0) / total : 0;
            console.log(
              `| ${strategy} | ${ranker ?? '— (no ranking)'} | ${pool} | ${cells.map((c) => fmt(meanStd(c.test))).join(' | ')} | ${(total / seconds.length).toFixed(2)} | ${(share * 100).toFixed(0)}% |`,
            );
          }
        }
      }
      // The reference of the targets: unranked evolution at 250 evaluations.
      const ref: Cell = { test: [], seconds: [], rankerSeconds: [] };
      await run('evolution', undefined, 1, 250, ref);
      console.log(`\nreference, unranked evolution at 250 evaluations: ${fmt(meanStd(ref.test))}`);
    }
    if (computed > 0) console.log(`\n(${computed} NASWOT scores of ${dataset} were not cached and were computed during this run)`);
  }
}

void main();
