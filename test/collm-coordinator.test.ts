import assert from 'node:assert/strict';
import { test } from 'node:test';
import { COLLM_V1, render } from '../src/prompts/collm-v1';
import type { ChatResponse } from '../src/llm/types';
import { collmStrategySchema } from '../src/search/collm/config';
import {
  acceptNavigator,
  acceptSummary,
  checkGenerated,
  fillWithMutations,
  generatorCall,
  generatorSchema,
  initCollm,
  navigatorCall,
  summaryCall,
} from '../src/search/collm/coordinator';
import { ConfigError, parseSearchConfig } from '../src/search/config';
import { Rng } from '../src/search/rng';
import { createSearch, recordBatch } from '../src/search/search';
import { nb201Space } from '../src/spaces/nb201';
import { nb201Table } from './helpers';

const answer = (text: string, json?: unknown): ChatResponse => ({ text, ...(json !== undefined ? { json } : {}), model: 'm', tokensIn: 10, tokensOut: 5, latencyMs: 7 });

function searchWith(n: number, extra: Record<string, unknown> = {}) {
  const config = parseSearchConfig({ budget: 100, strategy: { name: 'collm', ...extra }, seed: 1 });
  if (config.strategy.name !== 'collm') throw new Error('unreachable');
  let state = createSearch(config);
  const rng = Rng.fromSeed(3);
  const archs = Array.from({ length: n }, () => nb201Space.sample(rng));
  const cands = [...new Map(archs.map((a) => [nb201Space.key(a), { arch: nb201Space.format(a), key: nb201Space.key(a), origin: 'llm' as const }])).values()];
  state = recordBatch(config, state, cands, cands.map((c) => nb201Table().lookup(c.arch, 'cifar10')));
  return { config, c: config.strategy, state };
}

test('prompts name no benchmark and quote no benchmark numbers', () => {
  for (const [name, text] of Object.entries(COLLM_V1)) {
    assert.doesNotMatch(String(text), /NAS-?Bench|201|NATS|HW-NAS|ImageNet16/i, name);
  }
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
  const { config, c, state } = searchWith(5);
  const taken = new Set(state.evaluated.map((e) => e.key));
  const old = nb201Space.parse(state.evaluated[0]!.arch);
  const fresh = ['nor_conv_3x3', 'nor_conv_3x3', 'nor_conv_3x3', 'nor_conv_3x3', 'nor_conv_3x3', 'nor_conv_3x3'];
  const r = checkGenerated(config, nb201Space, answer('x', { candidates: [fresh, fresh, old, ['conv'], 'text'] }), taken, 10, initCollm(c).stats, 'llm');
  assert.equal(r.accepted.length, 1);
  assert.equal(r.stats.duplicate, 2);
  assert.equal(r.stats.illegal, 2);
  assert.equal(r.stats.generated, 5);
  assert.match(r.errors.join('\n'), /candidates\[3\] \["conv"\] is not valid/);
  assert.match(r.errors.join('\n'), /candidates\[2\] .* already evaluated/);
  const bad = checkGenerated(config, nb201Space, answer('nope'), taken, 10, initCollm(c).stats, 'llm');
  assert.equal(bad.stats.invalidJson, 1);
  // A constraint is checked before anything is evaluated.
  const small = parseSearchConfig({ budget: 10, strategy: 'collm', constraint: { metric: 'flops', max: 50 } });
  const over = checkGenerated(small, nb201Space, answer('x', { candidates: [fresh] }), new Set(), 10, initCollm(c).stats, 'llm');
  assert.equal(over.stats.infeasible, 1);
  assert.equal(over.accepted.length, 0);
});

test('the Navigator keeps its conversation; memory "none" starts afresh each turn', () => {
  for (const memory of ['navigator', 'none'] as const) {
    const { config, c, state } = searchWith(10, { memory });
    let collm = initCollm(c);
    const t0 = navigatorCall(config, c, nb201Space, state, collm, []);
    assert.match(t0.call.request.messages.at(-1)!.content, /initial search strategy/);
    collm = acceptNavigator(t0.state, answer('# SUMMARY\nfirst'));
    const t1 = navigatorCall(config, c, nb201Space, state, collm, state.evaluated);
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
  const { config, c, state } = searchWith(40, { contextBudgetChars: 2000 });
  let collm = initCollm(c);
  for (let i = 0; i < 4; i++) {
    const turn = navigatorCall(config, c, nb201Space, state, collm, state.evaluated.slice(i * 10, i * 10 + 10));
    collm = acceptNavigator(turn.state, answer(`# SUMMARY\nstrategy ${i} ${'x'.repeat(300)}`));
  }
  const call = summaryCall(c, collm);
  assert.ok(call, 'over budget: a summary is asked for');
  assert.equal(call.purpose, 'summary');
  assert.match(call.request.messages.at(-1)!.content, /Summarise everything above/);
  assert.equal(call.request.messages.length, collm.navigator.length + 1, 'the whole conversation is summarised');
  const after = acceptSummary(collm, answer('we learned that 3x3 convolutions win'));
  assert.equal(after.navigator.length, 3);
  assert.match(after.navigator[1]!.content, /Summary of the earlier iterations[\s\S]*3x3 convolutions win/);
  assert.match(after.navigator[2]!.content, /strategy 3/);
  assert.equal(after.stats.summaries, 1);
  assert.equal(summaryCall(c, after), undefined);
});

test('the Generator sees the strategy and the visited architectures to avoid, and memory "both" keeps its turns', () => {
  const { config, c, state } = searchWith(20, { visitedInPrompt: 8 });
  const collm = { ...initCollm(c), strategy: 'Use many convolutions.' };
  const { call } = generatorCall(config, c, nb201Space, state, collm, 10);
  const user = call.request.messages[1]!.content;
  assert.match(user, /Use many convolutions\./);
  assert.match(user, /Write exactly 10/);
  assert.equal(user.split('\n').filter((l) => l.startsWith('["')).length, 8);
  assert.equal(call.request.jsonSchema?.name, 'candidates');
});

test('fillWithMutations proposes new, feasible neighbours of the best', () => {
  const { config, state } = searchWith(30);
  const taken = new Set(state.evaluated.map((e) => e.key));
  const fill = fillWithMutations(config, nb201Space, state, taken, 10, Rng.fromSeed(1));
  assert.equal(fill.length, 10);
  assert.equal(new Set(fill.map((f) => f.key)).size, 10);
  for (const f of fill) assert.ok(!state.evaluated.some((e) => e.key === f.key));
  assert.ok(fill.every((f) => f.origin === 'fill'));
});

test('collm config: keys never in the config, endpoint fields checked', () => {
  const problems = (s: unknown) => {
    try {
      parseSearchConfig({ budget: 10, strategy: s });
      return '';
    } catch (e) {
      assert.ok(e instanceof ConfigError);
      return e.message;
    }
  };
  assert.match(problems({ name: 'collm', llm: { provider: 'openai', baseUrl: 'http://x/v1', model: 'm', apiKey: 'sk-1' } }), /never put an API key in a search config/);
  assert.match(problems({ name: 'collm', llm: { provider: 'openai', baseUrl: 'not a url', model: 'm' } }), /strategy\.llm\.baseUrl: must be the endpoint URL/);
  assert.match(problems({ name: 'collm', llm: { provider: 'openai', baseUrl: 'http://x/v1', model: 'm', apiKeyEnv: 'sk-abc' } }), /apiKeyEnv: must be the NAME of an environment variable/);
  assert.match(problems({ name: 'collm', memory: 'all' }), /strategy\.memory/);
  assert.equal(problems({ name: 'collm' }), '');
  assert.equal(collmStrategySchema.parse({ name: 'collm' }).llm.provider, 'local');
});

test('every shipped config in config/ is valid, and collm picks the endpoint from the environment or the embedded model', async () => {
  const { readdirSync, readFileSync } = await import('node:fs');
  const { withDefaultLlm } = await import('../src/client/llm-defaults');
  for (const f of readdirSync('config').filter((x) => x.endsWith('.json'))) {
    assert.doesNotThrow(() => parseSearchConfig(withDefaultLlm(JSON.parse(readFileSync(`config/${f}`, 'utf8')))), f);
  }
  const base = { budget: 10, strategy: { name: 'collm' } };
  const local = parseSearchConfig(withDefaultLlm(base, {}));
  assert.ok(local.strategy.name === 'collm' && local.strategy.llm.provider === 'local');
  const remote = parseSearchConfig(withDefaultLlm(base, { COLLM_LLM_BASE_URL: 'http://127.0.0.1:9/v1', COLLM_LLM_MODEL: 'qwen', COLLM_LLM_API_KEY_ENV: 'MY_KEY' }));
  assert.ok(remote.strategy.name === 'collm' && remote.strategy.llm.provider === 'openai');
  assert.deepEqual(
    { model: remote.strategy.llm.model, apiKeyEnv: remote.strategy.llm.apiKeyEnv },
    { model: 'qwen', apiKeyEnv: 'MY_KEY' },
  );
  assert.equal(withDefaultLlm({ budget: 3, strategy: 'evolution' }, {}).strategy, 'evolution');
});

test('an embedded model\'s small context bounds the Navigator conversation: every call fits', async () => {
  const { conversationBudget } = await import('../src/search/collm/coordinator');
  const { config, c, state } = searchWith(100, { llm: { provider: 'local', contextSize: 4096, maxTokens: 900 }, navigator: { provider: 'local', contextSize: 4096, maxTokens: 200 } });
  assert.ok(conversationBudget(c) < c.contextBudgetChars);
  let collm = initCollm(c);
  // Ten refinements with long answers: summaries keep every request under the context (at 2 chars per token).
  for (let i = 0; i < 10; i++) {
    const summary = summaryCall(c, collm);
    if (summary) {
      assert.ok(JSON.stringify(summary.request.messages).length / 2 + 200 < 4096, `summary request ${i} fits`);
      collm = acceptSummary(collm, answer('x'.repeat(600)));
    }
    const turn = navigatorCall(config, c, nb201Space, state, collm, state.evaluated.slice(i * 10, i * 10 + 10));
    assert.ok(JSON.stringify(turn.call.request.messages).length / 2 + 200 < 4096, `navigator request ${i} fits`);
    collm = acceptNavigator(turn.state, answer(`# SUMMARY\n${'y'.repeat(800)}`));
  }
  assert.ok(collm.stats.summaries >= 2);
});

test('on an embedded model the Generator exchange, follow-up included, fits the context', async () => {
  const { generatorPromptLimits, retryCall } = await import('../src/search/collm/coordinator');
  const { config, c, state } = searchWith(100, { llm: { provider: 'local', contextSize: 4096, maxTokens: 900 } });
  const limits = generatorPromptLimits(c, nb201Space, 10);
  assert.ok(limits.visited > 5 && limits.visited < c.visitedInPrompt, String(limits.visited));
  const collm = { ...initCollm(c), strategy: 'z'.repeat(6000) };
  const first = generatorCall(config, c, nb201Space, state, collm, 10);
  const bigAnswer = answer(JSON.stringify({ candidates: Array(10).fill(['nor_conv_3x3', 'nor_conv_3x3', 'nor_conv_3x3', 'nor_conv_3x3', 'nor_conv_3x3', 'nor_conv_3x3']) }, null, 4));
  const errors = Array.from({ length: 10 }, (_, i) => `candidates[${i}] ["nor_conv_3x3","nor_conv_3x3","nor_conv_3x3","nor_conv_3x3","nor_conv_3x3","nor_conv_3x3"] was already evaluated or repeats another candidate`);
  const retry = retryCall(first.call, bigAnswer, errors, 10, collm, nb201Space);
  // Measured with the SmolLM2 tokenizer: these prompts run about 2.9 characters per token.
  const tokens = retry.request.messages.reduce((n, m) => n + m.content.length, 0) / 2.9 + 5 * retry.request.messages.length;
  assert.ok(tokens + 900 < 4096, `${Math.round(tokens)} prompt tokens`);
});
