/**
 * The embedded provider against the real SmolLM2-135M file (no mocks): grammar-
 * enforced JSON, concurrent calls, one model load per process, abort, and the
 * configuration errors. Skipped, with the reason, when setup ran with
 * COLLM_SKIP_MODEL and the model file is absent.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { DEFAULT_LOCAL_MODEL, loadedModelCount, localProvider, unloadLocalModels } from '../src/llm/local';
import { LlmError, type ChatMessage, type ChatRequest } from '../src/llm/types';

const OPS = ['none', 'skip_connect', 'nor_conv_1x1', 'nor_conv_3x3', 'avg_pool_3x3'] as const;

const SCHEMA = {
  type: 'object',
  additionalProperties: false,
  required: ['candidates'],
  properties: {
    candidates: {
      type: 'array',
      minItems: 1,
      maxItems: 3,
      items: { type: 'array', minItems: 6, maxItems: 6, items: { type: 'string', enum: [...OPS] } },
    },
  },
};

// The same constraints as SCHEMA, to check the parsed answer independently of the grammar.
const Answer = z.strictObject({ candidates: z.array(z.array(z.enum(OPS)).length(6)).min(1).max(3) });

const MESSAGES: ChatMessage[] = [
  {
    role: 'system',
    content: `You design NAS-Bench-201 cells. A cell lists 6 operations, each one of: ${OPS.join(', ')}. Answer in JSON.`,
  },
  { role: 'user', content: 'Propose up to 3 different cells for CIFAR-10 as {"candidates": [[6 operations], ...]}.' },
];

const REQUEST: ChatRequest = { messages: MESSAGES, jsonSchema: { name: 'candidates', schema: SCHEMA }, maxTokens: 300 };

// The model is part of the set-up (npm test runs it); a missing model is a failure, not a skip.
test('the embedded model is installed', () => {
  assert.ok(existsSync(DEFAULT_LOCAL_MODEL), `no model at ${DEFAULT_LOCAL_MODEL}; run npm run setup`);
});

after(() => unloadLocalModels());

// First, so that the two concurrent calls are also the first calls: they must share one load.
test('concurrent first calls from two providers load the model once and both answer', async () => {
  const a = localProvider({ modelPath: DEFAULT_LOCAL_MODEL });
  const b = localProvider({ modelPath: DEFAULT_LOCAL_MODEL });
  // Three calls on a pool of two sequences: the third waits for a free one.
  const answers = await Promise.all([a.chat({ ...REQUEST, seed: 1 }), b.chat({ ...REQUEST, seed: 2 }), a.chat({ ...REQUEST, seed: 3 })]);
  for (const answer of answers) assert.ok(Answer.safeParse(answer.json).success, answer.text);
  assert.equal(loadedModelCount(), 1);
});

test('a JSON-schema request is answered with JSON that satisfies the schema', async () => {
  const provider = localProvider({ modelPath: DEFAULT_LOCAL_MODEL });
  assert.equal(provider.id, 'local:SmolLM2-135M-Instruct.Q4_1.gguf');
  const answer = await provider.chat({ ...REQUEST, seed: 42 });
  const parsed = Answer.safeParse(answer.json);
  assert.ok(parsed.success, `${answer.text}\n${parsed.error?.message ?? ''}`);
  assert.deepEqual(JSON.parse(answer.text), answer.json);
  // The compact grammar: no whitespace, so the answer is as short as the JSON can be.
  assert.equal(answer.text, JSON.stringify(answer.json));
  assert.ok(answer.tokensOut <= answer.text.length + 1, `${answer.tokensOut} tokens for ${answer.text.length} characters`);
  assert.equal(answer.model, 'SmolLM2-135M-Instruct.Q4_1.gguf');
  assert.ok(answer.tokensIn > 20 && answer.tokensOut > 10, `tokens ${answer.tokensIn}/${answer.tokensOut}`);
  assert.ok(answer.latencyMs > 0);
  assert.equal(loadedModelCount(), 1);
});

test('an abort stops generation with the signal reason and frees the sequence', async () => {
  const provider = localProvider({ modelPath: DEFAULT_LOCAL_MODEL });
  const controller = new AbortController();
  const reason = new Error('cancelled by the test');
  const long: ChatRequest = { messages: [{ role: 'user', content: 'Write a long story about a robot.' }], maxTokens: 2000 };
  const started = Date.now();
  setTimeout(() => controller.abort(reason), 300);
  await assert.rejects(provider.chat(long, controller.signal), (err) => err === reason);
  assert.ok(Date.now() - started < 5000, 'generation went on after the abort');
  // Both sequences are back in the pool: two more calls run.
  const answers = await Promise.all([provider.chat({ ...REQUEST, seed: 5 }), provider.chat({ ...REQUEST, seed: 6 })]);
  assert.equal(answers.length, 2);
});

test('a prompt that does not fit the context is a bad_request, not a silent truncation', async () => {
  const provider = localProvider({ modelPath: DEFAULT_LOCAL_MODEL });
  await assert.rejects(provider.chat({ messages: MESSAGES, maxTokens: 100_000 }), (err) => {
    assert.ok(err instanceof LlmError);
    assert.equal(err.kind, 'bad_request');
    return true;
  });
});

test('a missing model file is a config error naming the path and the fix', async () => {
  const path = join(__dirname, 'no-such-model.gguf');
  const provider = localProvider({ modelPath: path });
  assert.equal(provider.id, 'local:no-such-model.gguf');
  await assert.rejects(provider.chat({ messages: MESSAGES }), (err) => {
    assert.ok(err instanceof LlmError);
    assert.equal(err.kind, 'config');
    assert.equal(err.retryable, false);
    assert.match(err.message, new RegExp(path.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')));
    assert.match(err.message, /npm run setup/);
    return true;
  });
});

test('with the real tokenizer, the Generator exchange and its follow-up fit the default context for every space', async () => {
  const { loadModel } = await import('../src/llm/local/runtime');
  const { resolveSearchConfig } = await import('../src/config/resolve');
  const { collmOptions, generatorCall, initCollm, retryCall } = await import('../src/search/collm');
  const { createEngine } = await import('../src/search/search');
  const { Rng } = await import('../src/lib/rng');
  const { model } = await loadModel(DEFAULT_LOCAL_MODEL, { contextSize: 8192 });
  for (const spaceName of ['nb201', 'ofa-mbv3-w12', 'spos-shufflenetv2', 'autoformer-b']) {
    const config = resolveSearchConfig({ space: spaceName, strategy: 'collm', budget: 300, evaluation: { evaluator: 'naswot' } });
    const engine = createEngine(config);
    const space = engine.space;
    const rng = Rng.fromSeed(5);
    const cands = [...new Map(Array.from({ length: 150 }, () => space.sample(rng)).map((a) => [space.key(a), { arch: space.format(a), key: space.key(a), origin: 'llm' as const }])).values()];
    const state = engine.record(engine.init(), cands, cands.map((c, i) => ({ valAcc: 50 + (i % 40), cost: space.cost(space.parse(c.arch), config.dataset) })));
    const { name: _n, ...options } = config.strategy;
    const k = { config, options: collmOptions.parse(options), space, navigator: config.llm.navigator!, generator: config.llm.generator! };
    const collm = { ...initCollm(k.options), strategy: `# SUMMARY\n${'Prefer wider blocks in the last stages and keep the budget. '.repeat(60)}` };
    const first = generatorCall(k, state, collm, 10);
    const maxTokens = first.call.request.maxTokens!;
    // A first answer as long as the grammar allows, then ten refused candidates quoted back.
    const answerText = JSON.stringify({ candidates: cands.slice(0, 10).map((c) => space.parse(c.arch)) });
    const errors = cands.slice(0, 10).map((c, i) => `candidates[${i}] ${JSON.stringify(space.parse(c.arch))} was already evaluated or repeats another candidate`);
    const retry = retryCall(k, first.call, { text: answerText.padEnd(maxTokens, ' '), model: 'm', tokensIn: 0, tokensOut: 0, latencyMs: 0 }, errors, 10, collm);
    const promptTokens = retry.request.messages.reduce((n, m) => n + model.tokenize(m.content).length + 8, 0);
    assert.ok(promptTokens + maxTokens <= 8192, `${spaceName}: ${promptTokens} prompt tokens + ${maxTokens} for the answer > 8192`);
  }
});
