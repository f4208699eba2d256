/**
 * The ranking stage on OFA MobileNetV3 (w1.2) with OFA's accuracy predictor
 * as the expensive evaluation, in process:
 *   npx tsx scripts/rank/ofa-ranked.ts [--seeds 10 --budget 250 --max-flops 400 --pools 1,2,5,10 --batch 10]
 *
 * Evolution at `--budget` predictor evaluations under a FLOPs cap, unranked
 * and ranked by the cost model (larger FLOPs first: the control), for each
 * pool (candidates proposed per candidate evaluated), and unranked evolution
 * at 4x the budget as the reference. Prints the predicted top-1 of the best
 * feasible subnet, mean ± std over the seeds.
 */
import { resolveSearchConfig } from '../../src/config/resolve';
import { runSearch } from '../../src/search/search';
import { fmt, meanStd } from '../bench-nb201';
import { inProcessEvaluator } from '../in-process';
import { arg } from '../args';

async function main(): Promise<void> {
  const seeds = Number(arg('seeds', '10'));
  const budget = Number(arg('budget', '250'));
  const maxFlops = Number(arg('max-flops', '400'));
  const pools = arg('pools', '1,2,5,10').split(',').map(Number);
  const batch = Number(arg('batch', '10'));

  const predictor = inProcessEvaluator({ space: 'ofa-mbv3-w12', dataset: 'imagenet', evaluation: { evaluator: 'ofa-predictor', options: {} } });
  const row = async (label: string, evaluations: number, pool: number): Promise<string> => {
    const best: number[] = [];
    const t0 = performance.now();
    for (let seed = 0; seed < seeds; seed++) {
      const config = resolveSearchConfig({
        space: 'ofa-mbv3-w12',
        strategy: 'evolution',
        budget: evaluations,
        batchSize: batch,
        seed,
        constraint: { metric: 'flops', max: maxFlops },
        evaluation: { evaluator: 'ofa-predictor' },
        ...(pool > 1 ? { rank: { by: 'cost', pool: pool * batch } } : {}),
      });
      best.push((await runSearch(config, predictor)).best?.valAcc ?? 0);
    }
    return `| ${label} | ${evaluations} | ${pool} | ${fmt(meanStd(best))} | ${((performance.now() - t0) / 1000 / seeds).toFixed(2)} |`;
  };

  console.log(`| evolution, FLOPs ≤ ${maxFlops} M | predictor evaluations | pool | predicted top-1 (mean ± std, ${seeds} seeds) | s/search |`);
  console.log('|---|---|---|---|---|');
  for (const pool of pools) console.log(await row(pool === 1 ? 'no ranking' : 'ranked by cost (larger FLOPs first)', budget, pool));
  console.log(await row('no ranking (reference)', budget * 4, 1));
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
