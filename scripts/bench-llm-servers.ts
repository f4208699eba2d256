/**
 * The same CoLLM-NAS search through the embedded model in-process and through
 * the two real OpenAI-compatible servers scripts/build-llm-servers.sh builds
 * (llama.cpp's llama-server, llama-cpp-python's server), all serving the same
 * SmolLM2-135M GGUF, on the same seeds:
 *   npx tsx scripts/bench-llm-servers.ts                       # 3 seeds, budget 50, cifar100
 *   npx tsx scripts/bench-llm-servers.ts --seeds 5 --budget 100 --only llama-server,llama-cpp-python+grammar
 *
 * Per setup: seconds per Generator and per Navigator call, tokens per
 * Generator answer (mean and largest), the mode `auto` settled on, the shares
 * of generated candidates that were illegal or duplicates, the share of
 * evaluations from LLM proposals, failed calls, and the best architecture's
 * validation and test accuracy (mean ± std). One search at a time, so the
 * servers and the embedded model each have the machine's cores to themselves.
 */
import { startSearch } from '../src/client/search';
import { readRuns } from '../src/client/history';
import { fetchRuns } from '../src/report';
import { endpointFacts } from '../src/llm/openai/endpoint';
import type { SearchResult } from '../src/search/summary';
import { arg } from './args';
import { fmt, meanStd } from './bench-nb201';
import { withHarness } from './harness';
import { MODEL_ALIAS, startServer, type RunningServer, type ServerKind } from './llm-servers';

/** Where the model runs; `llama-cpp-python+grammar` is llama-cpp-python's server told to take the compact grammar (`auto` cannot tell it accepts one). */
type Setup = 'embedded' | ServerKind | 'llama-cpp-python+grammar';
const SETUPS: Setup[] = ['embedded', 'llama-server', 'llama-cpp-python', 'llama-cpp-python+grammar'];

interface Run {
  result: SearchResult;
  generator: { ms: number; tokensOut: number }[];
  navigator: { ms: number }[];
  failedCalls: number;
}

async function main(): Promise<void> {
  const seeds = Number(arg('seeds', '3'));
  const budget = Number(arg('budget', '50'));
  const dataset = arg('dataset', 'cifar100');
  const only = arg('only', SETUPS.join(',')).split(',') as Setup[];
  const rows: string[] = [];
  await withHarness({ port: Number(arg('port', '7370')), name: 'benchsrv' }, async ({ client, controlQueue, evalQueue }) => {
    for (const setup of SETUPS.filter((s) => only.includes(s))) {
      let server: RunningServer | undefined;
      try {
        if (setup !== 'embedded') server = await startServer(setup === 'llama-cpp-python+grammar' ? 'llama-cpp-python' : setup);
        const structured = setup === 'llama-cpp-python+grammar' ? { structuredOutput: 'grammar' } : {};
        // Each setup's own model settings: the served ones as a user would point the tool at them, with the Navigator's
        // answer bounded as the embedded default is.
        const llm = server
          ? { provider: 'openai', baseUrl: server.baseUrl, model: MODEL_ALIAS, ...structured, roles: { navigator: { maxTokens: 120 } } }
          : { provider: 'local', roles: { navigator: { maxTokens: 120 } } };
        const runs: Run[] = [];
        for (let seed = 0; seed < seeds; seed++) {
          const workflowId = `benchsrv-${setup}-${seed}-${Date.now()}`;
          const handle = await startSearch(
            client,
            { budget, batchSize: 10, seed, dataset, strategy: 'collm', llm, evaluation: { taskQueue: evalQueue } },
            { taskQueue: controlQueue, workflowId },
          );
          const result = (await handle.result()) as SearchResult;
          const records = readRuns(await fetchRuns(client, workflowId));
          const calls = records.filter((r) => r.kind === 'llm' || r.kind === 'llm-failed');
          const answered = (purpose: string) => calls.filter((r) => r.kind === 'llm' && r.call.purpose === purpose).map((r) => (r.kind === 'llm' ? r.response : undefined)!);
          const run: Run = {
            result,
            generator: answered('generator').map((r) => ({ ms: r.latencyMs, tokensOut: r.tokensOut })),
            navigator: answered('navigator').map((r) => ({ ms: r.latencyMs })),
            failedCalls: calls.filter((r) => r.kind === 'llm-failed').length,
          };
          runs.push(run);
          const st = (n: string) => Number(result.stats?.[n] ?? 0);
          console.log(
            `  ${setup} seed ${seed}: best val ${result.best!.valAcc.toFixed(2)} test ${result.best!.testAcc!.toFixed(2)}; ` +
              `${run.generator.length} Generator calls ${(mean(run.generator.map((g) => g.ms)) / 1000).toFixed(1)} s each, ` +
              `${mean(run.generator.map((g) => g.tokensOut)).toFixed(0)} tokens per answer; generated ${st('generated')}, ${st('illegal')} illegal, ${st('duplicate')} duplicate`,
          );
        }
        const mode = setup === 'llama-cpp-python+grammar' ? 'grammar (configured)' : server ? (endpointFacts(server.baseUrl, MODEL_ALIAS)?.mode ?? '?') : 'grammar (in-process)';
        rows.push(row(setup, mode, runs));
        console.log(rows.at(-1));
      } finally {
        await server?.stop();
      }
    }
  });
  console.log(`\nCoLLM-NAS on NAS-Bench-201 ${dataset}, budget ${budget}, batch 10, seeds 0-${seeds - 1}, SmolLM2-135M-Instruct Q4_1 in every setup, one search at a time`);
  console.log('| setup | structured output | s per Generator call | s per Navigator call | tokens per Generator answer (mean / max) | illegal (of generated) | duplicate (of generated) | evaluated from LLM proposals | failed calls | best val acc | its test acc |');
  console.log('|---|---|---|---|---|---|---|---|---|---|---|');
  for (const r of rows) console.log(r);
}

// 0 for a setup with no answered call of a kind (all failed: the "failed calls" column says so).
const mean = (xs: number[]): number => (xs.length ? meanStd(xs).mean : 0);

function row(setup: Setup, mode: string, runs: Run[]): string {
  const all = <T>(f: (r: Run) => T[]): T[] => runs.flatMap(f);
  const sum = (f: (r: SearchResult) => number): number => runs.reduce((a, r) => a + f(r.result), 0);
  const stat = (name: string) => (r: SearchResult): number => Number(r.stats?.[name] ?? 0);
  const generated = Math.max(1, sum(stat('generated')));
  const evaluated = sum((r) => r.evaluated);
  const fromLlm = sum((r) => (r.origins.evaluated.llm ?? 0) + (r.origins.evaluated['llm-retry'] ?? 0) + (r.origins.evaluated['llm-repair'] ?? 0));
  const pct = (x: number, of: number) => `${((100 * x) / of).toFixed(0)}%`;
  const tokens = all((r) => r.generator.map((g) => g.tokensOut));
  return (
    `| ${setup} | ${mode} | ${(mean(all((r) => r.generator.map((g) => g.ms))) / 1000).toFixed(1)} | ${(mean(all((r) => r.navigator.map((n) => n.ms))) / 1000).toFixed(1)} | ` +
    `${mean(tokens).toFixed(0)} / ${Math.max(0, ...tokens)} | ${pct(sum(stat('illegal')), generated)} | ${pct(sum(stat('duplicate')), generated)} | ` +
    `${pct(fromLlm, evaluated)} | ${runs.reduce((a, r) => a + r.failedCalls, 0)} | ${fmt(meanStd(runs.map((r) => r.result.best!.valAcc)))} | ${fmt(meanStd(runs.map((r) => r.result.best!.testAcc!)))} |`
  );
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
