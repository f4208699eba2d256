/**
 * How the CoLLM-NAS fill's parameters were chosen: the loop with the LLMs off
 * (every candidate a mutation of the better of `tournament` picked among the
 * `parents` best) on NAS-Bench-201, seeds 100-129 (the benchmarks use 0-9),
 * budget 100, the three datasets; mean test accuracy of the best-by-validation
 * architecture for each setting.
 *   npm run tune:fill [-- --seeds 30 --first-seed 100 --budget 100]
 */
import { resolveSearchConfig } from '../src/config/resolve';
import { Nb201Table, resolveNb201Table } from '../src/evaluators/nb201/table';
import { runSearch } from '../src/search/search';
import { nb201Space } from '../src/spaces/nb201';
import { meanStd } from './bench-nb201';
import { arg } from './args';

async function main(): Promise<void> {
  const seeds = Number(arg('seeds', '30'));
  const first = Number(arg('first-seed', '100'));
  const budget = Number(arg('budget', '100'));
  const table = Nb201Table.load(resolveNb201Table());
  const rows: string[] = [];
  for (const parents of [3, 5, 8, 10]) {
    for (const tournament of [1, 2, 3]) {
      if (tournament > parents) continue;
      const cells: string[] = [];
      let total = 0;
      for (const dataset of nb201Space.datasets) {
        const accs: number[] = [];
        for (let seed = first; seed < first + seeds; seed++) {
          const config = resolveSearchConfig({ budget, dataset, seed, strategy: { name: 'collm', llms: 'off', fill: { parents, tournament } } });
          const r = await runSearch(config, (c) => table.lookup(c.arch, dataset));
          accs.push(r.best!.testAcc!);
        }
        const m = meanStd(accs);
        total += m.mean;
        cells.push(`${m.mean.toFixed(2)} ± ${m.std.toFixed(2)}`);
      }
      rows.push(`| ${parents} | ${tournament} | ${cells.join(' | ')} | ${(total / 3).toFixed(3)} |`);
    }
  }
  console.log(`LLMs off (the fill alone), budget ${budget}, seeds ${first}-${first + seeds - 1}: test accuracy of the best-by-validation architecture`);
  console.log(`| parents | tournament | ${nb201Space.datasets.join(' | ')} | mean of the three |`);
  console.log('|---|---|---|---|---|---|');
  for (const r of rows) console.log(r);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
