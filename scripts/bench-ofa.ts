/**
 * The paper's macro-space protocol on the OFA MobileNetV3 space (width 1.2),
 * with once-for-all's accuracy predictor as the evaluator (predicted ImageNet
 * top-1): evolution at 1,000 evaluations against random search, evolution and
 * CoLLM-NAS at 250, under each FLOPs budget.
 *   npm run bench:ofa                                          # baselines, 10 seeds, 200/300/400/500 MFLOPs
 *   npm run bench:ofa -- --collm-seeds 2 --flops 400           # + collm (embedded model) on 2 seeds
 *   npm run bench:ofa -- --collm-seeds 3 --base-url http://127.0.0.1:8000/v1 --model Qwen/Qwen3-30B-A3B
 *   npm run bench:ofa -- --collm-seeds 1 --flops 400 --collm '{"generatorMode":"edit"}'   # collm's own options
 *
 * Searches run in this process (runSearch; collm's LLM port calls the
 * provider directly): the predictor answers in microseconds, so the table
 * compares strategies, not orchestration. Prints mean ± std of the predicted
 * accuracy of the best feasible subnet, its FLOPs, and wall time per search.
 * `llms-off` is the collm loop with the LLMs off (its fill alone): the control
 * for what the LLMs add.
 */
import { resolveSearchConfig } from '../src/config/resolve';
import { providerFor } from '../src/llm';
import { runSearch } from '../src/search/search';
import type { SearchResult } from '../src/search/summary';
import { fmt, meanStd, strategyOf } from './bench-nb201';
import { inProcessEvaluator } from './in-process';
import { arg } from './args';

interface Row {
  method: string;
  flops: number;
  evaluations: number;
  seeds: number;
  results: SearchResult[];
  seconds: number[];
}

async function main(): Promise<void> {
  const seeds = Number(arg('seeds', '10'));
  const collmSeeds = Number(arg('collm-seeds', '0'));
  const budgets = arg('flops', '200,300,400,500').split(',').map(Number);
  const baseUrl = process.argv.includes('--base-url') ? arg('base-url', '') : undefined;
  const llm = baseUrl ? { provider: 'openai', baseUrl, model: arg('model', 'default'), apiKeyEnv: arg('api-key-env', 'OPENAI_API_KEY') } : { provider: 'local' };
  const collm = JSON.parse(arg('collm', '{}')) as Record<string, unknown>;
  const predictor = inProcessEvaluator({ space: 'ofa-mbv3-w12', dataset: 'imagenet', evaluation: { evaluator: 'ofa-predictor', options: {} } });

  const run = (method: string, flops: number, budget: number, seed: number): Promise<SearchResult> => {
    const config = resolveSearchConfig({
      space: 'ofa-mbv3-w12',
      strategy: strategyOf(method, collm),
      ...(method === 'collm' ? { llm } : {}),
      budget,
      batchSize: 10,
      seed,
      constraint: { metric: 'flops', max: flops },
    });
    return runSearch(config, predictor, {
      llm: (call) => providerFor(call.llm).chat(call.request),
    });
  };

  const rows: Row[] = [];
  const plan: [string, number, number][] = [];
  for (const flops of budgets) {
    plan.push(['random', 250, seeds], ['evolution', 250, seeds], ['evolution', 1000, seeds], ['llms-off', 250, seeds]);
    if (collmSeeds > 0) plan.push(['collm', 250, collmSeeds]);
    for (const [method, evaluations, n] of plan.splice(0)) {
      const row: Row = { method, flops, evaluations, seeds: n, results: [], seconds: [] };
      for (let seed = 0; seed < n; seed++) {
        const t0 = performance.now();
        row.results.push(await run(method, flops, evaluations, seed));
        row.seconds.push((performance.now() - t0) / 1000);
        if (method === 'collm') console.log(`  collm ${flops}M seed ${seed}: ${row.results.at(-1)!.best?.valAcc.toFixed(2)} (${row.seconds.at(-1)!.toFixed(0)} s)`);
      }
      rows.push(row);
      console.log(`done: ${method} ${evaluations} @ ${flops}M`);
    }
  }
  const model = baseUrl ? `${arg('model', 'default')} at ${baseUrl}` : 'embedded SmolLM2-135M';
  console.log('\n| FLOPs ≤ | method | evaluations | seeds | predicted top-1 of best feasible (%) | its MFLOPs | LLM evaluations | wall s/search |');
  console.log('|---|---|---|---|---|---|---|---|');
  for (const r of rows) {
    const acc = meanStd(r.results.map((x) => x.best?.valAcc ?? NaN));
    const mflops = meanStd(r.results.map((x) => x.best?.cost.flopsM ?? NaN));
    const fromLlm = r.method === 'collm' ? `${(100 * meanStd(r.results.map((x) => x.history.filter((e) => e.origin.startsWith('llm')).length / x.evaluated)).mean).toFixed(0)}%` : '-';
    const name = r.method === 'collm' ? `collm (${model}${Object.keys(collm).length ? `, ${JSON.stringify(collm)}` : ''})` : r.method;
    console.log(`| ${r.flops} | ${name} | ${r.evaluations} | ${r.seeds} | ${fmt(acc)} | ${fmt(mflops, 1)} | ${fromLlm} | ${meanStd(r.seconds).mean.toFixed(1)} |`);
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
