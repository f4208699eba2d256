/**
 * The embedded model's speed on this machine, with and without prompt-prefix
 * reuse (src/llm/local/prefix.ts), on CoLLM-NAS's real prompts for NAS-Bench-201:
 *   npx tsx scripts/bench-llm.ts            # default model, threads: one per core (at most 4)
 *   npx tsx scripts/bench-llm.ts --turns 3 --threads 2
 *
 * (a) Generator calls for 10 candidates (the real prompt, schema and grammar):
 *     cold (nothing held), warm (the next iteration: same system prompt, a new
 *     user turn), and the follow-up that quotes the warm call's answer.
 * (b) A Navigator conversation of --turns turns (each turn is the previous
 *     prompt + its answer + new results), each turn timed.
 * Every request has a seed, so the runs with and without reuse must give the
 * same answers: the script checks it. Prints markdown tables and the machine's
 * load (other processes share the cores; a loaded machine is slower).
 */
import { availableParallelism, loadavg } from 'node:os';
import { resolveSearchConfig } from '../src/config/resolve';
import { DEFAULT_LOCAL_MODEL, localModelStats, localProvider } from '../src/llm/local';
import type { ChatRequest, ChatResponse } from '../src/llm/types';
import { Rng } from '../src/lib/rng';
import { acceptNavigator, collmOptions, generatorCall, initCollm, navigatorCall, retryCall, type Collm, type CollmState } from '../src/search/strategies/collm';
import { createEngine } from '../src/search/search';
import type { SearchState } from '../src/search/types';

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

const TURNS = Number(arg('turns') ?? 5);
const THREADS = arg('threads') !== undefined ? Number(arg('threads')) : undefined;
const COUNT = 10;

interface Row {
  what: string;
  reuse: boolean;
  seconds: number;
  tokensIn: number;
  evaluated: number;
  tokensOut: number;
  text: string;
}

const load = () => loadavg().map((l) => l.toFixed(2)).join(' / ');

async function main() {
  const config = resolveSearchConfig({ space: 'nb201', strategy: 'collm', budget: 300, evaluation: { evaluator: 'naswot' } });
  const engine = createEngine(config);
  const space = engine.space;
  const { name: _name, ...options } = config.strategy;
  const collmSetup: Collm = { config, options: collmOptions.parse(options), space, navigator: config.llm.navigator!, generator: config.llm.generator! };
  if (config.llm.generator!.provider !== 'local') throw new Error(`the default LLM is ${config.llm.generator!.provider}, not the embedded model`);

  // A search's state after `n` evaluations: random cells with made-up accuracies, reproducible.
  const rng = Rng.fromSeed(5);
  const evaluateMore = (state: SearchState, n: number): SearchState => {
    const seen = new Set(state.evaluated.map((e) => e.key));
    const batch = new Map<string, { arch: string; key: string; origin: 'llm' }>();
    while (batch.size < n) {
      const a = space.sample(rng);
      const key = space.key(a);
      if (!seen.has(key)) batch.set(key, { arch: space.format(a), key, origin: 'llm' });
    }
    const cands = [...batch.values()];
    return engine.record(state, cands, cands.map((c) => ({ valAcc: 40 + rng.next() * 50, cost: space.cost(space.parse(c.arch), config.dataset) })));
  };

  const started = Date.now();
  const loadBefore = load();
  const rows: Row[] = [];
  const run = async (provider: ReturnType<typeof localProvider>, reuse: boolean, what: string, request: ChatRequest): Promise<ChatResponse> => {
    const before = localModelStats();
    const t0 = performance.now();
    const response = await provider.chat(request);
    const seconds = (performance.now() - t0) / 1000;
    const after = localModelStats();
    rows.push({ what, reuse, seconds, tokensIn: response.tokensIn, evaluated: after.promptTokensEvaluated - before.promptTokensEvaluated, tokensOut: response.tokensOut, text: response.text });
    console.error(`${what} (reuse ${reuse ? 'on' : 'off'}): ${seconds.toFixed(1)} s, ${after.promptTokensEvaluated - before.promptTokensEvaluated}/${response.tokensIn} prompt tokens read`);
    return response;
  };

  // The same requests for both providers: built once, from the reuse-on run's answers
  // (the reuse-off run must give the same answers; checked below).
  const generatorRequests: Array<[string, ChatRequest]> = [];
  const navigatorRequests: ChatRequest[] = [];
  const strategies = [
    '# SUMMARY\nPrefer 3x3 convolutions on the edges into the last node; keep a skip connection from the input.',
    '# SUMMARY\nThe best cells so far use nor_conv_3x3 on most edges. Explore 1x1 convolutions where pooling was used, avoid none on the edges into the last node.',
  ];

  for (const reuse of [true, false]) {
    const provider = localProvider({ modelPath: DEFAULT_LOCAL_MODEL, reusePrefix: reuse, ...(THREADS !== undefined ? { threads: THREADS } : {}) });
    // A fresh start for the reuse-off run too: it clears every sequence it takes anyway.
    let search = evaluateMore(engine.init(), 40);
    if (reuse) {
      // (a) Generator: iteration 5 (40 evaluated), then iteration 6 with 10 more and a new strategy, then its follow-up.
      const cold = generatorCall(collmSetup, search, { ...initCollm(collmSetup.options), strategy: strategies[0] }, COUNT);
      generatorRequests.push(['Generator, cold', { ...cold.call.request, seed: 1 }]);
      search = evaluateMore(search, 10);
      const warm = generatorCall(collmSetup, search, { ...initCollm(collmSetup.options), strategy: strategies[1] }, COUNT);
      generatorRequests.push(['Generator, warm (next iteration)', { ...warm.call.request, seed: 2 }]);
    }
    for (let i = 0; i < generatorRequests.length; i++) {
      const [what, request] = generatorRequests[i]!;
      const answer = await run(provider, reuse, what, request);
      if (reuse && what.startsWith('Generator, warm')) {
        // The follow-up quotes the answer back with the first three candidates refused.
        const list = (answer.json as { candidates?: unknown[] } | undefined)?.candidates ?? [];
        const errors = list.slice(0, 3).map((c, j) => `candidates[${j}] ${JSON.stringify(c)} was already evaluated or repeats another candidate`);
        const collm: CollmState = { ...initCollm(collmSetup.options), strategy: strategies[1] };
        const first = { ...generatorCall(collmSetup, search, collm, COUNT).call, request };
        generatorRequests.push(['Generator, follow-up', { ...retryCall(collmSetup, first, answer, errors, COUNT, collm).request, seed: 3 }]);
      }
    }

    // (b) Navigator: the initial strategy, then refinements after each (simulated) batch of 10.
    let collm: CollmState = initCollm(collmSetup.options);
    let nav = search;
    for (let turn = 0; turn < TURNS; turn++) {
      let request = navigatorRequests[turn];
      if (!request) {
        const lastBatch = turn === 0 ? [] : nav.evaluated.slice(-10);
        const next = navigatorCall(collmSetup, nav, collm, lastBatch);
        collm = next.state;
        request = { ...next.call.request, seed: 100 + turn };
        navigatorRequests.push(request);
      }
      const answer = await run(provider, reuse, `Navigator, turn ${turn + 1}`, request);
      if (reuse) {
        collm = acceptNavigator(collm, answer);
        nav = evaluateMore(nav, 10);
      }
    }
  }

  const on = rows.filter((r) => r.reuse);
  const off = rows.filter((r) => !r.reuse);
  const same = on.every((r, i) => off[i]?.text === r.text);
  console.log(`\n## Embedded model (${DEFAULT_LOCAL_MODEL.split('/').at(-1)}) with and without prompt-prefix reuse\n`);
  console.log(`${availableParallelism()} cores, threads ${THREADS ?? 'default (one per core, at most 4)'}; load average (1/5/15 min) ${loadBefore} before, ${load()} after; ${((Date.now() - started) / 1000).toFixed(0)} s in all.\n`);
  console.log('| call | prompt tokens | read (reuse on) | s (reuse on) | read (reuse off) | s (reuse off) | answer tokens |');
  console.log('|---|---:|---:|---:|---:|---:|---:|');
  on.forEach((r, i) => {
    const o = off[i]!;
    console.log(`| ${r.what} | ${r.tokensIn} | ${r.evaluated} | ${r.seconds.toFixed(1)} | ${o.evaluated} | ${o.seconds.toFixed(1)} | ${r.tokensOut} |`);
  });
  const nav = (list: Row[]) => list.filter((r) => r.what.startsWith('Navigator')).reduce((s, r) => s + r.seconds, 0);
  console.log(`\nNavigator, ${TURNS} turns: ${nav(on).toFixed(1)} s with reuse, ${nav(off).toFixed(1)} s without.`);
  console.log(`Same answers with and without reuse (seeded): ${same ? 'yes' : 'NO'}.`);
  if (!same) process.exitCode = 1;
}

main().then(
  () => process.exit(process.exitCode ?? 0),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
