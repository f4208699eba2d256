/**
 * CoLLM-NAS on NAS-Bench-201 against the baselines, through the real Temporal path.
 *   npm run bench:collm                                   # embedded SmolLM2-135M, 3 datasets x 10 seeds, budget 100
 *   npm run bench:collm -- --seeds 3 --datasets cifar10
 *   npm run bench:collm -- --seeds 5 --first-seed 5 --port 7360   # seeds 5-9, e.g. beside a run of 0-4
 *   npm run bench:collm -- --collm '{"generatorMode":"edit"}'   # collm options for the collm row
 *   npm run bench:collm -- --base-url http://127.0.0.1:8000/v1 --model Qwen/Qwen3-30B-A3B [--api-key-env OPENAI_API_KEY]
 *
 * Prints, on the same seeds, collm, the same loop with the LLMs off (the fill
 * alone), evolution, REINFORCE and random search: mean ± std test accuracy of
 * the best-by-validation architecture; for collm, LLM calls and tokens per
 * search, seconds per call, and what became of the generated candidates
 * (illegal, duplicate, and the share of evaluations that were mutations
 * filling in for the Generator). Last per dataset, the table's optimum: what
 * a perfect search on validation accuracy reaches, and the best test figure.
 */
import { startSearch } from '../src/client/search';
import { Nb201Table, resolveNb201Table } from '../src/evaluators/nb201/table';
import type { SearchResult } from '../src/search/summary';
import { fmt, meanStd, OPTIMUM_ROW, strategyOf } from './bench-nb201';
import { withHarness } from './harness';
import { nb201Space } from '../src/spaces/nb201';

function arg(name: string, fallback?: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1] : fallback;
}

async function pool<T>(jobs: (() => Promise<T>)[], concurrency: number): Promise<T[]> {
  const out: T[] = new Array(jobs.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < jobs.length) {
        const i = next++;
        out[i] = await jobs[i]!();
      }
    }),
  );
  return out;
}

async function main(): Promise<void> {
  const seeds = Number(arg('seeds', '10'));
  const firstSeed = Number(arg('first-seed', '0'));
  const budget = Number(arg('budget', '100'));
  const batchSize = Number(arg('batch', '10'));
  const datasets = arg('datasets', nb201Space.datasets.join(','))!.split(',');
  const baseUrl = arg('base-url');
  const model = arg('model');
  const concurrency = Number(arg('concurrency', baseUrl ? '4' : '2'));
  // The embedded model's defaults (src/llm/local) apply unless overridden here.
  const llm = baseUrl
    ? { provider: 'openai', baseUrl, model: model ?? 'default', apiKeyEnv: arg('api-key-env', 'OPENAI_API_KEY') }
    : { provider: 'local', ...(arg('navigator-tokens') ? { roles: { navigator: { maxTokens: Number(arg('navigator-tokens')) } } } : {}) };
  const collmOptions = JSON.parse(arg('collm', '{}')!) as Record<string, unknown>;
  const modelName = baseUrl ? `${model} at ${baseUrl}` : 'embedded SmolLM2-135M-Instruct Q4_1';

  const table = Nb201Table.load(resolveNb201Table());
  const lines: string[] = [];
  await withHarness({ port: Number(arg('port', '7350')), name: 'benchc' }, async ({ client, controlQueue, evalQueue }) => {
    for (const dataset of datasets) {
      for (const method of ['collm', 'llms-off', 'evolution', 'reinforce', 'random']) {
        const jobs = Array.from({ length: seeds }, (_, i) => firstSeed + i).map((seed) => async () => {
          const t0 = performance.now();
          const handle = await startSearch(
            client,
            { budget, batchSize, seed, dataset, strategy: strategyOf(method, collmOptions), ...(method === 'collm' ? { llm } : {}), evaluation: { taskQueue: evalQueue } },
            { taskQueue: controlQueue, workflowId: `benchc-${method}-${dataset}-${seed}-${Date.now()}` },
          );
          const r = (await handle.result()) as SearchResult;
          const s = ((performance.now() - t0) / 1000).toFixed(0);
          if (method === 'collm') {
            const st = (n: string): number => Number(r.stats?.[n] ?? 0);
            const o = r.origins.evaluated;
            const llmShare = ((o.llm ?? 0) + (o['llm-retry'] ?? 0) + (o['llm-repair'] ?? 0)) / Math.max(1, r.evaluated);
            console.log(
              `  ${dataset} seed ${seed}: test ${r.best!.testAcc!.toFixed(2)}, val ${r.best!.valAcc.toFixed(2)} (${s} s, ${st('llmCalls')} LLM calls; generated ${st('generated')}: ` +
                `${st('illegal')} illegal, ${st('duplicate')} duplicate; ${(100 * llmShare).toFixed(0)}% of evaluations from LLM proposals` +
                `${st('rankCalls') > 0 ? `; ${st('rankCalls')} rankings, ${st('rankKeptOrder')} kept the pool's order` : ''})`,
            );
          }
          return r;
        });
        const results = await pool(jobs, method === 'collm' ? concurrency : 4);
        const test = meanStd(results.map((r) => r.best!.testAcc!));
        const val = meanStd(results.map((r) => r.best!.valAcc));
        if (method !== 'collm') {
          lines.push(`| ${method} | ${dataset} | ${seeds} | ${fmt(test)} | ${fmt(val)} | - | - | - | - | - | - | - | - |`);
          continue;
        }
        const sum = (f: (r: SearchResult) => number): number => results.reduce((a, r) => a + f(r), 0);
        const stat = (name: string) => (r: SearchResult): number => Number(r.stats?.[name] ?? 0);
        const calls = sum(stat('llmCalls'));
        const generated = Math.max(1, sum(stat('generated')));
        const evaluated = sum((r) => r.evaluated);
        const pct = (x: number, of: number): string => `${((100 * x) / of).toFixed(0)}%`;
        const llmCount = (o: Partial<Record<string, number>>): number => (o.llm ?? 0) + (o['llm-retry'] ?? 0) + (o['llm-repair'] ?? 0);
        const fromLlm = (r: SearchResult): number => llmCount(r.origins.evaluated);
        lines.push(
          `| collm (${modelName}) | ${dataset} | ${seeds} | ${fmt(test)} | ${fmt(val)} | ${(calls / seeds).toFixed(1)} | ` +
            `${(sum(stat('tokensIn')) / seeds / 1000).toFixed(1)}k / ${(sum(stat('tokensOut')) / seeds / 1000).toFixed(1)}k | ` +
            `${(sum(stat('llmMs')) / calls / 1000).toFixed(1)} | ${pct(sum(stat('illegal')), generated)} | ` +
            `${pct(sum(stat('duplicate')), generated)} | ${pct(sum(stat('mutationFilled')), evaluated)} | ` +
            `${pct(sum(fromLlm), evaluated)} | ${(sum((r) => llmCount(r.origins.topK)) / seeds).toFixed(1)} of ${results[0]!.topK.length} |`,
        );
        console.log(lines[lines.length - 1]);
      }
      const o = table.optimum(dataset);
      lines.push(`| ${OPTIMUM_ROW} | ${dataset} | - | ${o.testAcc.toFixed(2)} (${o.maxTestAcc.toFixed(2)}) | ${o.valAcc.toFixed(2)} | - | - | - | - | - | - | - | - |`);
    }
  });
  console.log(`\ncollm options ${JSON.stringify(collmOptions)}; budget ${budget}, batch ${batchSize}; accuracy of the best-by-validation architecture, mean ± std over seeds ${firstSeed}-${firstSeed + seeds - 1}`);
  console.log('| method | dataset | seeds | test acc | val acc | LLM calls/search | tokens in / out per search | s/call | illegal (of generated) | duplicate (of generated) | filled by mutation (of evaluated) | evaluated from LLM proposals | top-k from LLM proposals |');
  console.log('|---|---|---|---|---|---|---|---|---|---|---|---|---|');
  for (const l of lines) console.log(l);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
