import assert from 'node:assert/strict';
import { test } from 'node:test';
import { PROMPTS, render } from '../src/prompts';
import { LlmUnavailable, type ChatResponse, type LlmPort } from '../src/llm/types';
import { ConfigError, resolveSearchConfig } from '../src/config/resolve';
import {
  acceptNavigator,
  acceptSummary,
  checkGenerated,
  collmOptions,
  conversationBudget,
  evaluationWindow,
  fillWithMutations,
  generatorCall,
  generatorPromptLimits,
  generatorSchema,
  initCollm,
  navigatorCall,
  retryCall,
  summaryCall,
  type Collm,
} from '../src/search/strategies/collm';
import { Rng } from '../src/lib/rng';
import { createClaims } from '../src/search/claims';
import { createEngine } from '../src/search/search';
import type { SearchConfigInput } from '../src/search/config';
import { nb201Space, type Nb201Arch } from '../src/spaces/nb201';
import type { SearchResult } from '../src/search/summary';
import { nb201Table } from './helpers';

const answer = (text: string, json?: unknown): ChatResponse => ({ text, ...(json !== undefined ? { json } : {}), model: 'm', tokensIn: 10, tokensOut: 5, latencyMs: 7 });

/** The Coordinator's view of a collm search (`collmSetup`) with n random architectures evaluated. */
function searchWith(n: number, extra: Record<string, unknown> = {}, more: Partial<SearchConfigInput> = {}) {
  const config = resolveSearchConfig({ budget: 100, strategy: { name: 'collm', ...extra }, seed: 1, ...more });
  const engine = createEngine(config);
  let state = engine.init();
  const rng = Rng.fromSeed(3);
  const archs = Array.from({ length: n }, () => nb201Space.sample(rng));
  const cands = [...new Map(archs.map((a) => [nb201Space.key(a), { arch: nb201Space.format(a), key: nb201Space.key(a), origin: 'llm' as const }])).values()];
  state = engine.record(state, cands, cands.map((c) => nb201Table().lookup(c.arch, 'cifar10')));
  const { name: _name, ...options } = config.strategy;
  const collmSetup: Collm = { config, options: collmOptions.parse(options), space: nb201Space, navigator: config.llm.navigator!, generator: config.llm.generator! };
  return { collmSetup, c: collmSetup.options, state };
}

test('prompts name no benchmark and quote no benchmark numbers', () => {
  for (const p of Object.values(PROMPTS)) {
    for (const [name, text] of Object.entries(p)) assert.doesNotMatch(String(text), /NAS-?Bench|201|NATS|HW-NAS|ImageNet16/i, `${p.version} ${name}`);
  }
  assert.doesNotMatch(PROMPTS['collm-v2']!.navigatorSystem, /\{\{dataset\}\}/, 'v2 names no dataset');
  assert.doesNotMatch(nb201Space.description, /NAS-?Bench|201|NATS/i);
  assert.throws(() => render('{{missing}}', {}), /placeholder \{\{missing\}\} has no value/);
});

test('the Generator schema is derived from the space schema and asks for exactly n candidates', () => {
  const schema = generatorSchema(nb201Space, 12) as { properties: { candidates: { minItems: number; maxItems: number; items: { items: { enum: string[] } } } } };
  assert.equal(schema.properties.candidates.minItems, 12);
  assert.equal(schema.properties.candidates.maxItems, 12);
  assert.deepEqual(schema.properties.candidates.items.items.enum, ['none', 'skip_connect', 'nor_conv_1x1', 'nor_conv_3x3', 'avg_pool_3x3']);
  assert.ok(!('$schema' in schema));
});

test('checkGenerated accepts only legal, new, feasible candidates and counts the rest', () => {
  const { collmSetup, c, state } = searchWith(5);
  const taken = createClaims(nb201Space, state.evaluated.map((e) => e.key));
  const old = nb201Space.parse(state.evaluated[0]!.arch);
  const fresh = ['nor_conv_3x3', 'nor_conv_3x3', 'nor_conv_3x3', 'nor_conv_3x3', 'nor_conv_3x3', 'nor_conv_3x3'];
  const r = checkGenerated(collmSetup, answer('x', { candidates: [fresh, fresh, old, ['conv'], 'text'] }), taken, 10, initCollm(c).stats, 'llm');
  assert.equal(r.accepted.length, 1);
  assert.ok(taken.has(fresh), 'what is accepted is claimed for the batch');
  assert.equal(r.stats.duplicate, 2);
  assert.equal(r.stats.illegal, 2);
  assert.equal(r.stats.generated, 5);
  assert.match(r.errors.join('\n'), /candidates\[3\] \["conv"\] is not valid/);
  assert.match(r.errors.join('\n'), /candidates\[2\] .* already evaluated/);
  const bad = checkGenerated(collmSetup, answer('nope'), taken, 10, initCollm(c).stats, 'llm');
  assert.equal(bad.stats.invalidJson, 1);
  // A constraint is checked before anything is evaluated.
  const small = searchWith(0, {}, { constraint: { metric: 'flops', max: 50 } }).collmSetup;
  const none = createClaims(nb201Space, []);
  const over = checkGenerated(small, answer('x', { candidates: [fresh] }), none, 10, initCollm(c).stats, 'llm');
  assert.equal(over.stats.infeasible, 1);
  assert.equal(over.accepted.length, 0);
  assert.ok(!none.has(fresh), 'what is refused is not claimed');
  // Past the number wanted, a new candidate still makes a later repeat of it a duplicate, but stays unclaimed.
  const other = ['skip_connect', 'nor_conv_3x3', 'nor_conv_3x3', 'nor_conv_3x3', 'nor_conv_3x3', 'nor_conv_3x3'];
  const claims = createClaims(nb201Space, []);
  const one = checkGenerated(collmSetup, answer('x', { candidates: [fresh, other, other] }), claims, 1, initCollm(c).stats, 'llm');
  assert.deepEqual(one.accepted, [{ arch: fresh, origin: 'llm' }]);
  assert.equal(one.stats.duplicate, 1);
  assert.deepEqual([claims.has(fresh), claims.has(other)], [true, false]);
});

test('the Navigator keeps its conversation; memory "none" starts afresh each turn', () => {
  for (const memory of ['navigator', 'none'] as const) {
    const { collmSetup, c, state } = searchWith(10, { memory });
    let collm = initCollm(c);
    const t0 = navigatorCall(collmSetup, state, collm, []);
    assert.match(t0.call.request.messages.at(-1)!.content, /initial search strategy/);
    collm = acceptNavigator(t0.state, answer('# SUMMARY\nfirst'));
    const t1 = navigatorCall(collmSetup, state, collm, state.evaluated);
    const msgs = t1.call.request.messages;
    if (memory === 'navigator') {
      assert.equal(msgs.length, 4);
      assert.equal(msgs[2]!.content, '# SUMMARY\nfirst');
      assert.match(msgs[3]!.content, /Iteration 1 results/);
    } else {
      assert.equal(msgs.length, 2);
      assert.match(msgs[1]!.content, /Search history so far/);
    }
    assert.equal(msgs[0]!.role, 'system');
    assert.match(msgs[0]!.content, /# NAVIGATION DIRECTIONS[\s\S]*## Edge 0->1/);
  }
});

test('a long Navigator conversation is summarised, never cut', () => {
  const { collmSetup, c, state } = searchWith(40, { contextBudgetChars: 2000 });
  let collm = initCollm(c);
  for (let i = 0; i < 4; i++) {
    const turn = navigatorCall(collmSetup, state, collm, state.evaluated.slice(i * 10, i * 10 + 10));
    collm = acceptNavigator(turn.state, answer(`# SUMMARY\nstrategy ${i} ${'x'.repeat(300)}`));
  }
  const call = summaryCall(collmSetup, collm);
  assert.ok(call, 'over budget: a summary is asked for');
  assert.equal(call.purpose, 'summary');
  assert.match(call.request.messages.at(-1)!.content, /Summarise everything above/);
  assert.equal(call.request.messages.length, collm.navigator.length + 1, 'the whole conversation is summarised');
  const after = acceptSummary(collm, answer('we learned that 3x3 convolutions win'));
  assert.equal(after.navigator.length, 3);
  assert.match(after.navigator[1]!.content, /Summary of the earlier iterations[\s\S]*3x3 convolutions win/);
  assert.match(after.navigator[2]!.content, /strategy 3/);
  assert.equal(after.stats.summaries, 1);
  assert.equal(summaryCall(collmSetup, after), undefined);
});

test('the Generator sees the strategy and the visited architectures to avoid, and memory "both" keeps its turns', () => {
  const { collmSetup, c, state } = searchWith(20, { visitedInPrompt: 8 });
  const collm = { ...initCollm(c), strategy: 'Use many convolutions.' };
  const { call } = generatorCall(collmSetup, state, collm, 10);
  const user = call.request.messages[1]!.content;
  assert.match(user, /Use many convolutions\./);
  assert.match(user, /Write exactly 10/);
  assert.equal(user.split('\n').filter((l) => l.startsWith('["')).length, 8);
  assert.equal(call.request.jsonSchema?.name, 'candidates');
});

test('fillWithMutations proposes new, feasible neighbours of the best', () => {
  const { collmSetup, state } = searchWith(30);
  const taken = createClaims(nb201Space, state.evaluated.map((e) => e.key));
  const fill = fillWithMutations(collmSetup, state, taken, 10, Rng.fromSeed(1));
  assert.equal(fill.length, 10);
  const keys = fill.map((f) => nb201Space.key(f.arch as Nb201Arch));
  assert.equal(new Set(keys).size, 10);
  for (const key of keys) assert.ok(!state.evaluated.some((e) => e.key === key));
  assert.ok(fill.every((f) => taken.has(f.arch)), 'each claimed');
  assert.ok(fill.every((f) => f.origin === 'fill'));
});

test('LLM config: keys never in the config, provider fields checked, roles resolved with defaults', () => {
  const problems = (llm: unknown, strategy: unknown = 'collm') => {
    try {
      resolveSearchConfig({ budget: 10, strategy, llm });
      return '';
    } catch (e) {
      assert.ok(e instanceof ConfigError);
      return e.message;
    }
  };
  assert.match(problems({ provider: 'openai', baseUrl: 'http://x/v1', model: 'm', apiKey: 'sk-1' }), /llm\.apiKey: never put an API key in a search config/);
  assert.match(problems({ provider: 'openai', baseUrl: 'not a url', model: 'm' }), /llm\.baseUrl: must be the endpoint URL/);
  assert.match(problems({ provider: 'openai', baseUrl: 'http://x/v1', model: 'm', apiKeyEnv: 'sk-abc' }), /llm\.apiKeyEnv: must be the NAME of an environment variable/);
  assert.match(problems({ provider: 'gemini' }), /llm\.provider: unknown LLM provider 'gemini'; use one of openai, local/);
  assert.match(problems({ provider: 'local', baseUrl: 'http://x/v1' }), /llm: unknown field\(s\) 'baseUrl' for provider local/);
  assert.match(problems({ roles: { critic: {} } }), /llm\.roles: strategy collm has no role "critic"; its roles are navigator, generator/);
  // A key that looks like a path still leaves the field path as llm.roles.
  assert.match(problems({ roles: { ':': null } }), /^  - llm\.roles: strategy collm has no role ":"; its roles/m);
  assert.match(problems(undefined, { name: 'collm', memory: 'all' }), /strategy\.memory/);
  assert.equal(problems(undefined), '');
  // No llm: the embedded model, with its own defaults per role; a role's entry overrides the shared settings.
  const config = resolveSearchConfig({ budget: 10, strategy: 'collm', llm: { provider: 'local', roles: { generator: { temperature: 1.1 } } } });
  assert.equal(config.llm.navigator!.provider, 'local');
  assert.deepEqual([config.llm.navigator!.temperature, config.llm.navigator!.maxTokens], [0.6, 200]);
  assert.deepEqual([config.llm.generator!.temperature, config.llm.generator!.maxTokens], [1.1, 900]);
  assert.deepEqual(config.llm.generator!.capabilities, { contextTokens: 8192, grammar: true });
  const served = resolveSearchConfig({ budget: 10, strategy: 'collm', llm: { provider: 'openai', baseUrl: 'http://x/v1', model: 'm' } });
  assert.deepEqual(served.llm.navigator!.capabilities, { grammar: false });
  assert.equal(served.llm.navigator!.options.apiKeyEnv, 'OPENAI_API_KEY');
});

test('every shipped config in config/ is valid, and collm picks the endpoint from the environment or the embedded model', async () => {
  const { readdirSync, readFileSync } = await import('node:fs');
  const { withDefaultLlm } = await import('../src/config/llm-defaults');
  for (const f of readdirSync('config').filter((x) => x.endsWith('.json'))) {
    assert.doesNotThrow(() => resolveSearchConfig(withDefaultLlm(JSON.parse(readFileSync(`config/${f}`, 'utf8')))), f);
  }
  const base = { budget: 10, strategy: { name: 'collm' } };
  const local = resolveSearchConfig(withDefaultLlm(base, {}));
  assert.equal(local.llm.generator!.provider, 'local');
  const remote = resolveSearchConfig(withDefaultLlm(base, { COLLM_LLM_BASE_URL: 'http://127.0.0.1:9/v1', COLLM_LLM_MODEL: 'qwen', COLLM_LLM_API_KEY_ENV: 'MY_KEY' }));
  assert.equal(remote.llm.generator!.provider, 'openai');
  assert.deepEqual({ model: remote.llm.generator!.model, apiKeyEnv: remote.llm.generator!.options.apiKeyEnv }, { model: 'qwen', apiKeyEnv: 'MY_KEY' });
  assert.deepEqual(withDefaultLlm({ budget: 3, strategy: 'evolution' }, { COLLM_LLM_BASE_URL: 'http://127.0.0.1:9/v1' }), { budget: 3, strategy: 'evolution' });
});

test('an embedded model\'s small context bounds the Navigator conversation: every call fits', () => {
  const { collmSetup, c, state } = searchWith(100, {}, { llm: { provider: 'local', contextSize: 4096, maxTokens: 900, roles: { navigator: { maxTokens: 200 } } } });
  assert.ok(conversationBudget(collmSetup) < c.contextBudgetChars);
  let collm = initCollm(c);
  // Ten refinements with long answers: summaries keep every request under the context (at 2 chars per token).
  for (let i = 0; i < 10; i++) {
    const summary = summaryCall(collmSetup, collm);
    if (summary) {
      assert.ok(JSON.stringify(summary.request.messages).length / 2 + 200 < 4096, `summary request ${i} fits`);
      collm = acceptSummary(collm, answer('x'.repeat(600)));
    }
    const turn = navigatorCall(collmSetup, state, collm, state.evaluated.slice(i * 10, i * 10 + 10));
    assert.ok(JSON.stringify(turn.call.request.messages).length / 2 + 200 < 4096, `navigator request ${i} fits`);
    collm = acceptNavigator(turn.state, answer(`# SUMMARY\n${'y'.repeat(800)}`));
  }
  assert.ok(collm.stats.summaries >= 2);
});

test('on an embedded model the Generator exchange, follow-up included, fits the context', () => {
  const { collmSetup, c, state } = searchWith(100, {}, { llm: { provider: 'local', contextSize: 6144, maxTokens: 900 } });
  const limits = generatorPromptLimits(collmSetup, 10);
  assert.ok(limits.visited > 5 && limits.visited < c.visitedInPrompt, String(limits.visited));
  const collm = { ...initCollm(c), strategy: 'z'.repeat(6000) };
  const first = generatorCall(collmSetup, state, collm, 10);
  const bigAnswer = answer(JSON.stringify({ candidates: Array(10).fill(['nor_conv_3x3', 'nor_conv_3x3', 'nor_conv_3x3', 'nor_conv_3x3', 'nor_conv_3x3', 'nor_conv_3x3']) }, null, 4));
  const errors = Array.from({ length: 10 }, (_, i) => `candidates[${i}] ["nor_conv_3x3","nor_conv_3x3","nor_conv_3x3","nor_conv_3x3","nor_conv_3x3","nor_conv_3x3"] was already evaluated or repeats another candidate`);
  const retry = retryCall(collmSetup, first.call, bigAnswer, errors, 10, collm);
  // Measured with the SmolLM2 tokenizer: these prompts run about 2.9 characters per token.
  const tokens = retry.request.messages.reduce((n, m) => n + m.content.length, 0) / 2.9 + 5 * retry.request.messages.length;
  assert.ok(tokens + 900 < 6144, `${Math.round(tokens)} prompt tokens`);
});

test('collm is a strategy like the others: runSearch runs it in process with a scripted LLM port', async () => {
  const { runInProcess } = await import('./helpers');
  const purposes: string[] = [];
  // The Navigator always says the same; the Generator always writes one all-3x3 cell: new once, a duplicate after.
  const scripted: LlmPort = (call) => {
    purposes.push(call.purpose);
    return Promise.resolve(
      call.purpose === 'generator'
        ? answer('{}', { candidates: [Array(6).fill('nor_conv_3x3')] })
        : answer('# SUMMARY\nconvolutions everywhere'),
    );
  };
  const config = { budget: 25, batchSize: 5, seed: 2, strategy: { name: 'collm', maxIterations: 4, promptVersion: 'collm-v1' } };
  const r = await runInProcess(config, { llm: scripted });
  assert.equal(r.stopReason, 'iterations');
  assert.equal(r.evaluated, 20);
  assert.equal(r.history.filter((e) => e.origin === 'llm').length, 1, 'the one new cell the Generator wrote');
  assert.ok(r.history.slice(1).every((e) => e.origin === 'fill'), r.history.map((e) => e.origin).join());
  assert.equal(purposes[0], 'navigator', 'the Navigator plans before the first batch');
  assert.equal(r.stats!.navigatorCalls, 4, 'initial strategy + a refinement after each batch but the last');
  assert.equal(r.stats!.retries, 4, 'a short answer gets one follow-up per iteration');
  assert.deepEqual(await runInProcess(config, { llm: scripted }), r, 'same seed and answers, same search');
  await assert.rejects(runInProcess(config), /strategy collm needs an LLM/);
});

test('the Generator exchange fits an embedded model for every space, however long its architectures', () => {
  for (const spaceName of ['nb201', 'ofa-mbv3-w12', 'spos-shufflenetv2', 'autoformer-b']) {
    const config = resolveSearchConfig({ space: spaceName, strategy: 'collm', budget: 300, evaluation: { evaluator: 'naswot' } });
    const engine = createEngine(config);
    const space = engine.space;
    const rng = Rng.fromSeed(5);
    const archs = Array.from({ length: 150 }, () => space.sample(rng));
    const cands = [...new Map(archs.map((a) => [space.key(a), { arch: space.format(a), key: space.key(a), origin: 'llm' as const }])).values()];
    const state = engine.record(engine.init(), cands, cands.map((_, i) => ({ valAcc: 50 + (i % 40), cost: space.cost(space.parse(cands[i]!.arch), config.dataset) })));
    const { name: _n, ...options } = config.strategy;
    const collmSetup: Collm = { config, options: collmOptions.parse(options), space, navigator: config.llm.navigator!, generator: config.llm.generator! };
    const collm = { ...initCollm(collmSetup.options), strategy: 'z'.repeat(6000) };
    const first = generatorCall(collmSetup, state, collm, 10);
    // The longest answer the grammar admits, then every refused candidate quoted back.
    const longest = first.call.request.maxTokens!;
    const errors = cands.slice(0, 10).map((c, i) => `candidates[${i}] ${JSON.stringify(space.parse(c.arch))} was already evaluated or repeats another candidate`);
    const retry = retryCall(collmSetup, first.call, answer('x'.repeat(longest)), errors, 10, collm);
    // These prompts run about 2.5-3 characters per token with the SmolLM2 tokenizer; 2.5 is the cautious end.
    const tokens = retry.request.messages.reduce((n, m) => n + m.content.length, 0) / 2.5 + 5 * retry.request.messages.length;
    assert.ok(tokens + longest < 8192, `${spaceName}: ${Math.round(tokens)} prompt tokens + ${longest} answer`);
    assert.ok(generatorPromptLimits(collmSetup, 10).visited >= 10, `${spaceName}: still lists some visited architectures`);
  }
});

test('llms "off": the same loop with no LLM call at all, every candidate a fill', async () => {
  const { runInProcess } = await import('./helpers');
  const never: LlmPort = () => assert.fail('no LLM call with llms off');
  const config = { budget: 40, batchSize: 10, seed: 3, strategy: { name: 'collm', llms: 'off' } };
  const r = await runInProcess(config, { llm: never });
  assert.equal(r.evaluated, 40);
  assert.deepEqual(r.origins.evaluated, { fill: 40 });
  assert.equal(r.stats!.llmCalls, 0);
  assert.equal(r.stats!.llms, 'off');
  assert.deepEqual(await runInProcess(config, { llm: never }), r);
});

test('an LLM that is unavailable is ridden out with the fill (onLlmFailure "fill"), or ends the search ("fail")', async () => {
  const { runInProcess } = await import('./helpers');
  let calls = 0;
  // Every third call fails after its retries; the others answer.
  const flaky: LlmPort = (call) => {
    calls++;
    if (calls % 3 === 0) return Promise.reject(new LlmUnavailable('503 Service Unavailable'));
    return Promise.resolve(call.purpose === 'generator' ? answer('{}', { candidates: [Array(6).fill('nor_conv_3x3')] }) : answer('# SUMMARY\nconvolutions'));
  };
  const r = await runInProcess({ budget: 30, batchSize: 5, seed: 1, strategy: 'collm' }, { llm: flaky });
  assert.equal(r.evaluated, 30);
  assert.ok((r.stats!.llmFailures as number) >= 3, String(r.stats!.llmFailures));
  assert.match(String(r.stats!.lastLlmFailure), /503/);
  calls = 0;
  await assert.rejects(runInProcess({ budget: 30, batchSize: 5, seed: 1, strategy: { name: 'collm', onLlmFailure: 'fail' } }, { llm: flaky }), /503/);
  // A failure no waiting fixes (a rejected key) is never ridden out.
  await assert.rejects(runInProcess({ budget: 30, batchSize: 5, seed: 1, strategy: 'collm' }, { llm: () => Promise.reject(new Error('401 bad key')) }), /401 bad key/);
});

test('the result says where the evaluated architectures and the top-k came from', async () => {
  const { runInProcess } = await import('./helpers');
  const r = await runInProcess({ budget: 50, strategy: 'evolution', seed: 2, topK: 5 });
  assert.deepEqual(r.origins.evaluated, { random: 10, mutation: 40 });
  assert.equal(Object.values(r.origins.topK).reduce((a, b) => a + b, 0), 5);
});

test('collm-v2: the Navigator is credited only with its strategy\'s candidates; the fill is listed apart, with the proposal counts', () => {
  const { collmSetup, state } = searchWith(12, { promptVersion: 'collm-v2' });
  const batch = state.evaluated.slice(0, 6).map((e, i) => ({ ...e, origin: i < 2 ? ('llm' as const) : ('fill' as const) }));
  const collm = { ...initCollm(collmSetup.options), strategy: '# SUMMARY\nx', lastProposals: { generated: 10, duplicate: 7, illegal: 1, infeasible: 0 } };
  const user = navigatorCall(collmSetup, state, collm, batch).call.request.messages.at(-1)!.content;
  const [fromLlm, fromFill] = user.split('Added by the Coordinator');
  assert.equal((fromLlm!.match(/^- \|/gm) ?? []).length, 2, 'two of its own');
  assert.equal((fromFill!.match(/^- \|/gm) ?? []).length, 4, 'four fills, apart');
  assert.match(user, /10 written, 2 evaluated, 7 repeated an evaluated architecture, 1 were not valid, 0 exceeded the cost budget/);
  assert.equal(collmSetup.options.promptVersion, 'collm-v2');
});

test('collm-v2: the Generator sees the cost budget in numbers, the best with accuracy and cost, and canonical visited cells', () => {
  const { collmSetup, state } = searchWith(30, { promptVersion: 'collm-v2' }, { constraint: { metric: 'flops', max: 150 } });
  const user = generatorCall(collmSetup, state, { ...initCollm(collmSetup.options), strategy: 'go' }, 10).call.request.messages.at(-1)!.content;
  assert.match(user, /COST BUDGET: at most 150 MFLOPs/);
  assert.match(user, /BEST SO FAR[^\n]*\n- \[[^\n]+\] {2}accuracy \d+\.\d\d%, \d+\.\d MFLOPs/);
  assert.match(user, /two encodings of the same network[^\n]*count as the same architecture/);
  // Visited cells are shown canonically: as the key's cell, never an equivalent encoding.
  const visited = user.split('count as the same architecture):\n')[1]!.split('\n');
  for (const line of visited) {
    const cell = JSON.parse(line) as Nb201Arch;
    assert.equal(nb201Space.key(cell), nb201Space.format(cell), line);
  }
  // A refused candidate's reason carries the numbers.
  const big = Array(6).fill('nor_conv_3x3');
  const checked = checkGenerated(collmSetup, answer('x', { candidates: [big] }), createClaims(nb201Space, []), 1, initCollm(collmSetup.options).stats, 'llm');
  assert.match(checked.errors[0]!, /exceeds the cost budget: 220\.1 MFLOPs, the budget is at most 150 MFLOPs/);
});

test('collm-v3 (the default): one iteration\'s Generator prompt is a prefix of the next one\'s up to the newly evaluated architectures', () => {
  const { collmSetup, state } = searchWith(40, {}, { constraint: { metric: 'flops', max: 150 } });
  assert.equal(collmSetup.options.promptVersion, 'collm-v3');
  const at = (n: number, strategy: string) => generatorCall(collmSetup, { ...state, evaluated: state.evaluated.slice(0, n) }, { ...initCollm(collmSetup.options), strategy }, 10).call.request.messages;
  const [system1, user1] = at(30, 'Prefer convolutions.');
  const [system2, user2] = at(40, 'Now try pooling on the first edge.');
  assert.equal(system2!.content, system1!.content);
  // Everything before the best list only grew: the next prompt starts with it.
  const head = user1!.content.split('\n\nBEST SO FAR')[0]!;
  assert.ok(user2!.content.startsWith(head), 'the second prompt starts with the first one\'s budget and visited list');
  assert.match(head, /^COST BUDGET: at most 150 MFLOPs/);
  // The visited list is canonical and in evaluation order; the strategy and the request come last.
  const visited = user2!.content.split('in the order they were evaluated:\n')[1]!.split('\n\n')[0]!.split('\n');
  assert.deepEqual(visited, state.evaluated.slice(0, 40).map((e) => JSON.stringify(nb201Space.parse(nb201Space.key(nb201Space.parse(e.arch))))));
  assert.match(user2!.content, /STRATEGY:\nNow try pooling on the first edge\.\n\nWrite exactly 10 [^\n]*$/);
});

test('the visited window moves in blocks of half its size, so the list before it stays a prefix', () => {
  const list = Array.from({ length: 100 }, (_, i) => i);
  assert.deepEqual(evaluationWindow(list.slice(0, 50), 60), list.slice(0, 50));
  assert.deepEqual(evaluationWindow(list.slice(0, 61), 60), list.slice(30, 61));
  assert.deepEqual(evaluationWindow(list.slice(0, 90), 60), list.slice(30, 90));
  assert.deepEqual(evaluationWindow(list.slice(0, 91), 60), list.slice(60, 91));
  for (let n = 0; n <= 100; n++) {
    const w = evaluationWindow(list.slice(0, n), 7);
    assert.ok(w.length <= 7 && (n === 0 || w.at(-1) === n - 1), `n ${n}`);
  }
  assert.deepEqual(evaluationWindow(list, 0), []);
});

test('collm-v2: a strategy without its sections is asked for once more, and the corrected one kept', async () => {
  const { runInProcess } = await import('./helpers');
  const purposes: string[] = [];
  let navigatorTurns = 0;
  const port: LlmPort = (call) => {
    purposes.push(call.purpose);
    if (call.purpose === 'generator') return Promise.resolve(answer('{}', { candidates: [] }));
    navigatorTurns++;
    // The first answer lacks its sections; the correction has them.
    return Promise.resolve(answer(navigatorTurns === 1 ? 'use convolutions' : '# SUMMARY\ns\n# KEY PATTERNS\nk\n# NAVIGATION DIRECTIONS\n## Edge 0->1\nconv'));
  };
  const r = await runInProcess({ budget: 10, batchSize: 5, seed: 1, strategy: 'collm' }, { llm: port });
  assert.deepEqual(purposes.slice(0, 2), ['navigator', 'navigator-fix']);
  assert.equal(r.stats!.navigatorFixes, 1);
  assert.equal(purposes.filter((p) => p === 'navigator-fix').length, 1, 'answers with their sections are taken as they are');
});

test('memory "both" on a small context keeps only the Generator turns that fit', () => {
  const { collmSetup, state } = searchWith(60, { memory: 'both' });
  const long = 'x'.repeat(6000);
  const collm = { ...initCollm(collmSetup.options), strategy: 'go', generator: Array.from({ length: 6 }, (_, i) => ({ role: i % 2 ? ('assistant' as const) : ('user' as const), content: long })) };
  const messages = generatorCall(collmSetup, state, collm, 10).call.request.messages;
  assert.ok(messages.length < 2 + 6, `${messages.length - 2} memory turns kept`);
  assert.equal((messages.length - 2) % 2, 0, 'whole exchanges only');
});

test('collm-v2 repairs a repeated proposal by mutating it, not the best', async () => {
  const { runInProcess } = await import('./helpers');
  const cell = Array(6).fill('nor_conv_3x3') as string[];
  const port: LlmPort = (call) =>
    Promise.resolve(call.purpose === 'generator' ? answer('{}', { candidates: Array(5).fill(cell) }) : answer('# SUMMARY\ns\n# KEY PATTERNS\nk\n# NAVIGATION DIRECTIONS\nd'));
  const r = await runInProcess({ budget: 20, batchSize: 5, seed: 3, strategy: 'collm' }, { llm: port });
  const repaired = r.history.filter((e) => e.origin === 'llm-repair');
  assert.ok(repaired.length >= 10, r.history.map((e) => e.origin).join());
  assert.equal(r.stats!.repaired, repaired.length);
  // Each repair is one change away from the cell the Generator wrote.
  for (const e of repaired) {
    const ops = nb201Space.parse(e.arch);
    assert.equal(ops.filter((op, i) => op !== cell[i]).length, 1, e.arch);
  }
});

test('collm-v4 repairs only a repeat of one of the best; a repeated poor architecture is left to the fill', async () => {
  const { runInProcess } = await import('./helpers');
  // Skip connections only: a poor cell (about 40%), soon out of the best five; its neighbours are distinct cells.
  const poor = Array(6).fill('skip_connect') as string[];
  const port: LlmPort = (call) =>
    Promise.resolve(call.purpose === 'generator' ? answer('{}', { candidates: Array(5).fill(poor) }) : answer('# SUMMARY\ns\n# KEY PATTERNS\nk\n# NAVIGATION DIRECTIONS\nd'));
  const run = (promptVersion: string) => runInProcess({ budget: 40, batchSize: 5, seed: 3, strategy: { name: 'collm', promptVersion } }, { llm: port });
  const [v3, v4] = [await run('collm-v3'), await run('collm-v4')];
  const repairs = (r: SearchResult) => r.history.filter((e) => e.origin === 'llm-repair').length;
  const poorKey = nb201Space.key(poor as Nb201Arch);
  const poorAt = v4.history.findIndex((e) => e.key === poorKey);
  assert.ok(poorAt >= 0 && poorAt < 5, 'the poor cell is evaluated in the first batch');
  // Each batch of v4 holds a repair only while the poor cell is among the five best evaluated before it.
  for (let start = 5; start < v4.history.length; start += 5) {
    const before = v4.history.slice(0, start).filter((e) => e.feasible).sort((a, b) => b.valAcc - a.valAcc).slice(0, 5);
    const repaired = v4.history.slice(start, start + 5).some((e) => e.origin === 'llm-repair');
    if (repaired) assert.ok(before.some((e) => e.key === poorKey), `batch at ${start}: repaired a repeat of a cell outside the best five`);
  }
  assert.ok(repairs(v3) > repairs(v4), `v3 repaired ${repairs(v3)}, v4 ${repairs(v4)}`);
  assert.ok(v4.history.slice(10).every((e) => e.origin === 'fill'), 'with the poor cell out of the best, the fill proposes the rest');
});

test('edit mode: the Generator edits the numbered best; every edit the schema admits is a legal neighbour', async () => {
  const { runInProcess } = await import('./helpers');
  const requests: string[] = [];
  const port: LlmPort = (call) => {
    if (call.purpose !== 'generator') return Promise.resolve(answer('# SUMMARY\ns\n# KEY PATTERNS\nk\n# NAVIGATION DIRECTIONS\nd'));
    const user = call.request.messages.at(-1)!.content;
    requests.push(user);
    const n = Number(/Write exactly (\d+)/.exec(user)![1]);
    if (!/numbered/.test(user)) return Promise.resolve(answer('{}', { candidates: Array.from({ length: n }, (_, i) => Array(6).fill(['none', 'skip_connect', 'nor_conv_1x1', 'nor_conv_3x3', 'avg_pool_3x3'][i % 5])) }));
    const edits = Array.from({ length: n }, (_, i) => ({ parent: 1 + (i % 3), changes: [{ position: i % 6, value: i % 2 ? 'nor_conv_3x3' : 'nor_conv_1x1' }] }));
    return Promise.resolve(answer('{}', { candidates: edits }));
  };
  const r = await runInProcess({ budget: 30, batchSize: 10, seed: 4, strategy: { name: 'collm', generatorMode: 'edit' } }, { llm: port });
  assert.equal(r.evaluated, 30);
  assert.match(requests[0]!, /Write exactly 10 diverse/, 'nothing to edit before the first evaluation: whole architectures');
  assert.match(requests[1]!, /THE BEST ARCHITECTURES SO FAR, numbered[\s\S]*1\. \[/);
  assert.ok(r.history.slice(10).some((e) => e.origin === 'llm'), 'edits were evaluated');
  assert.equal(r.stats!.illegal, 0);
  // Spaces without independent choices, and prompts without an edit mode, are refused up front.
  assert.throws(() => resolveSearchConfig({ space: 'ofa-mbv3-w12', budget: 5, strategy: { name: 'collm', generatorMode: 'edit' } }), /edit mode needs a space of independent choices/);
  assert.throws(() => resolveSearchConfig({ budget: 5, strategy: { name: 'collm', generatorMode: 'edit', promptVersion: 'collm-v1' } }), /prompts collm-v1 have no edit mode/);
});

test('LLM ranking: a pool larger than the batch, ranked by the LLM; only its top is evaluated, the rest may come back', async () => {
  const { runInProcess } = await import('./helpers');
  const OPS = ['none', 'skip_connect', 'nor_conv_1x1', 'nor_conv_3x3', 'avg_pool_3x3'];
  let pool: string[] = [];
  const port: LlmPort = (call) => {
    const user = call.request.messages.at(-1)!.content;
    if (call.purpose === 'ranker') {
      pool = user.split('\n').filter((l) => /^\d+\. \[/.test(l)).map((l) => l.replace(/^\d+\. /, '').split('  ')[0]!);
      // The last five of the pool, last first.
      return Promise.resolve(answer('{}', { candidates: [pool.length, pool.length - 1, pool.length - 2, pool.length - 3, pool.length - 4] }));
    }
    if (call.purpose !== 'generator') return Promise.resolve(answer('# SUMMARY\ns\n# KEY PATTERNS\nk\n# NAVIGATION DIRECTIONS\nd'));
    const n = Number(/Write exactly (\d+)/.exec(user)![1]);
    return Promise.resolve(answer('{}', { candidates: Array.from({ length: n }, (_, i) => [0, 1, 2, 3, 4, 5].map((e) => OPS[(Math.floor(i / 5 ** e) + e) % 5])) }));
  };
  const r = await runInProcess({ budget: 5, batchSize: 5, seed: 1, strategy: { name: 'collm', rankPool: 15 } }, { llm: port });
  assert.equal(pool.length, 15, 'the pool is rankPool large');
  assert.deepEqual(r.history.map((e) => e.arch), pool.slice(10).reverse().map((cell) => nb201Space.format(JSON.parse(cell) as Nb201Arch)), 'the ranking\'s five, in its order');
  assert.equal(r.stats!.rankCalls, 1);
  assert.equal(r.stats!.rankKeptOrder, 0, 'the ranking chose');
  // A ranking that names the pool's first five in order made no choice: counted as such.
  const inOrder: LlmPort = (call) => (call.purpose === 'ranker' ? Promise.resolve(answer('{}', { candidates: [1, 2, 3, 4, 5] })) : port(call));
  const kept = await runInProcess({ budget: 10, batchSize: 5, seed: 1, strategy: { name: 'collm', rankPool: 15 } }, { llm: inOrder });
  assert.deepEqual([kept.stats!.rankCalls, kept.stats!.rankKeptOrder], [2, 2]);
  assert.throws(() => resolveSearchConfig({ budget: 5, strategy: { name: 'collm', rankPool: 20, promptVersion: 'collm-v1' } }), /strategy\.rankPool: prompts collm-v1 cannot rank/);
});

test('generatorCandidates: the Generator is asked for more than the batch and the first new ones are kept, with no follow-up', async () => {
  const { runInProcess } = await import('./helpers');
  // No "none": every cell is its own canonical form, so distinct cells are distinct architectures.
  const OPS = ['skip_connect', 'nor_conv_1x1', 'nor_conv_3x3', 'avg_pool_3x3'];
  const cell = (n: number): string[] => [0, 1, 2, 3, 4, 5].map((e) => OPS[Math.floor(n / 4 ** e) % 4]!);
  const asked: number[] = [];
  const written: string[][][] = [];
  const port: LlmPort = (call) => {
    if (call.purpose !== 'generator') return Promise.resolve(answer('# SUMMARY\ns\n# KEY PATTERNS\nk\n# NAVIGATION DIRECTIONS\nd'));
    const n = (call.request.jsonSchema!.schema as { properties: { candidates: { minItems: number } } }).properties.candidates.minItems;
    asked.push(n);
    // The second answer opens with a cell of the first batch (a duplicate), the rest are new.
    const cells = Array.from({ length: n }, (_, i) => cell(written.length * 100 + i));
    if (written.length > 0) cells[0] = written[0]![0]!;
    written.push(cells);
    return Promise.resolve(answer('{}', { candidates: cells }));
  };
  const r = await runInProcess({ budget: 10, batchSize: 5, seed: 2, strategy: { name: 'collm', generatorCandidates: 8, promptVersion: 'collm-v1' } }, { llm: port });
  assert.deepEqual(asked, [8, 8], 'two iterations, eight asked for each, no follow-up');
  assert.equal(r.stats!.retries, 0);
  const fmt = (cells: string[][]) => cells.map((c) => nb201Space.format(c as unknown as Nb201Arch));
  assert.deepEqual(r.history.slice(0, 5).map((e) => e.arch), fmt(written[0]!.slice(0, 5)), 'the first five of the eight, in order');
  assert.deepEqual(r.history.slice(5).map((e) => e.arch), fmt(written[1]!.slice(1, 6)), 'the duplicate is skipped (collm-v1 does not repair it) and the next five new ones kept');
  assert.ok(r.history.every((e) => e.origin === 'llm'));
  assert.throws(() => resolveSearchConfig({ budget: 5, strategy: { name: 'collm', generatorCandidates: 41 } }), /generatorCandidates/);
});
