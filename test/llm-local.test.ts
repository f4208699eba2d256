/**
 * The embedded provider against the real SmolLM2-135M file (no mocks): grammar-
 * enforced JSON, concurrent calls, one model load per process, abort, the
 * configuration errors, and prompt-prefix reuse that leaves every seeded
 * answer as a fresh read of its prompt would give it (src/llm/local/prefix.ts).
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import type { EvaluationPriority, Token } from 'node-llama-cpp';
import { DEFAULT_LOCAL_MODEL, loadedModelCount, localModelStats, localProvider, unloadLocalModels } from '../src/llm/local';
import { canonicalBatches, reuseRank, TILED_ROWS, tokensToKeep } from '../src/llm/local/prefix';
import { sectionsGrammar } from '../src/lib/sections-grammar';
import { missingSections } from '../src/search/strategies/collm/navigator';
import { LlmError, type ChatMessage, type ChatRequest, type ChatResponse } from '../src/llm/types';

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

test("a sections request is answered in markdown with every heading, in order, within the grammar's bound", async () => {
  const provider = localProvider({ modelPath: DEFAULT_LOCAL_MODEL });
  const sections = { headings: ['# SUMMARY', '# KEY PATTERNS', '# NAVIGATION DIRECTIONS'], maxCharsPerSection: 80 };
  const bound = sectionsGrammar(sections).maxChars;
  const answer = await provider.chat({
    messages: [
      { role: 'system', content: 'You plan a neural architecture search. Answer in markdown.' },
      { role: 'user', content: 'Write a short search strategy for cells of 6 operations.' },
    ],
    sections,
    maxTokens: bound,
    seed: 7,
  });
  assert.deepEqual(missingSections(answer.text), [], answer.text);
  const at = sections.headings.map((h) => answer.text.indexOf(h));
  assert.deepEqual([...at].sort((a, b) => a - b), at, 'headings in order');
  assert.equal(at[0], 0, 'the answer opens with the first heading');
  assert.ok(answer.text.length <= bound, `${answer.text.length} characters, bound ${bound}`);
  assert.equal(answer.json, undefined);
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
  const { collmOptions, generatorCall, initCollm, retryCall } = await import('../src/search/strategies/collm');
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

// --- Prompt-prefix reuse and determinism --------------------------------------------------------

// Temperature 1 and a free-text answer of ~100 tokens make the seeded text a sensitive probe:
// LlamaChat's own prefix reuse (no canonical chunking) changes it in every case below.
const SYSTEM_LONG =
  `You design NAS-Bench-201 cells for image classification. A cell is a small directed graph of 4 nodes; each of its 6 edges carries one operation: ${OPS.join(', ')}. ` +
  'Good cells mix 3x3 convolutions with skip connections; cells of only pooling or none are poor. Explain your reasoning briefly, then propose cells. '.repeat(3);
const ASK: ChatRequest = {
  messages: [
    { role: 'system', content: SYSTEM_LONG },
    { role: 'user', content: 'Which operations should the edges into the last node use, and why?' },
  ],
  temperature: 1,
  maxTokens: 80,
  seed: 11,
};
const SAME_SYSTEM: ChatRequest = {
  messages: [
    { role: 'system', content: SYSTEM_LONG },
    { role: 'user', content: 'Describe a poor cell and say why it is poor. '.repeat(4) },
  ],
  temperature: 1,
  maxTokens: 40,
  seed: 3,
};
const unrelated = (seed: number): ChatRequest => ({
  messages: [{ role: 'user', content: `Write a poem about the sea and a lighthouse keeper, number ${seed}. `.repeat(10) }],
  temperature: 1,
  maxTokens: 8,
  seed,
});

/** A call and the prompt tokens it reused and evaluated (calls run one at a time here). */
async function measured(call: Promise<ChatResponse>): Promise<ChatResponse & { reused: number; evaluated: number }> {
  const before = localModelStats();
  const response = await call;
  const after = localModelStats();
  return { ...response, reused: after.promptTokensReused - before.promptTokensReused, evaluated: after.promptTokensEvaluated - before.promptTokensEvaluated };
}

/** Both sequences end up holding unrelated prompts (two calls at once take both). */
const fillBothSequences = (provider: ReturnType<typeof localProvider>) => Promise.all([provider.chat(unrelated(1)), provider.chat(unrelated(2))]);

test('prefix reuse: a seeded answer depends on the request only, not on what the sequences ran before', async () => {
  const fresh = localProvider({ modelPath: DEFAULT_LOCAL_MODEL, reusePrefix: false });
  const provider = localProvider({ modelPath: DEFAULT_LOCAL_MODEL });
  const reference = await measured(fresh.chat(ASK));
  assert.equal(reference.reused, 0);
  assert.equal(reference.evaluated, reference.tokensIn);
  assert.ok(reference.tokensOut > 50, `only ${reference.tokensOut} tokens: too short to tell answers apart`);

  // (b) Sequences holding other tokens: they are erased, the answer is the same.
  await fillBothSequences(provider);
  const afterUnrelated = await measured(provider.chat(ASK));
  assert.equal(afterUnrelated.text, reference.text);
  assert.ok(afterUnrelated.reused < 10, `reused ${afterUnrelated.reused} tokens of an unrelated prompt`);

  // (c) After a call with the same system prompt: that prefix is reused, the answer is the same.
  await fillBothSequences(provider);
  const sibling = await measured(provider.chat(SAME_SYSTEM));
  const afterShared = await measured(provider.chat(ASK));
  assert.equal(afterShared.text, reference.text);
  assert.ok(afterShared.reused > 100, `reused only ${afterShared.reused} tokens`);
  assert.equal(afterShared.reused + afterShared.evaluated, afterShared.tokensIn);
  assert.ok(sibling.tokensIn > 0);

  // The same request again: all but the last TILED_ROWS tokens reused.
  const again = await measured(provider.chat(ASK));
  assert.equal(again.text, reference.text);
  assert.equal(again.evaluated, TILED_ROWS);

  // (d) While the other sequence reads and generates at the same time.
  const [concurrent] = await Promise.all([provider.chat(ASK), provider.chat(SAME_SYSTEM)]);
  assert.equal(concurrent.text, reference.text);
});

test('prefix reuse: the next turn of a conversation reads only its new tokens and answers as a fresh read would', async () => {
  const fresh = localProvider({ modelPath: DEFAULT_LOCAL_MODEL, reusePrefix: false });
  const provider = localProvider({ modelPath: DEFAULT_LOCAL_MODEL });
  await fillBothSequences(provider);
  const first = await measured(provider.chat(ASK));
  const next: ChatRequest = {
    ...ASK,
    messages: [...ASK.messages, { role: 'assistant', content: first.text }, { role: 'user', content: 'Now propose one cell as a list of 6 operations.' }],
  };
  // Routed to the sequence that holds the first turn, among two holding other prompts.
  const reused = await measured(provider.chat(next));
  assert.equal(reused.reused, first.tokensIn, 'the first turn\'s prompt is reused whole');
  // The previous answer was generated one token at a time, so it is read again (prefix.ts); the rest is reused.
  assert.ok(reused.evaluated <= first.tokensOut + 40, `evaluated ${reused.evaluated} of ${reused.tokensIn}`);
  assert.ok(reused.evaluated < reused.tokensIn / 2, `evaluated ${reused.evaluated} of ${reused.tokensIn}`);
  const reference = await fresh.chat(next);
  assert.equal(reused.text, reference.text);
});

test('prefix reuse: two conversations taking turns keep a sequence each, though every prompt shares the template\'s first tokens', async () => {
  const provider = localProvider({ modelPath: DEFAULT_LOCAL_MODEL });
  // Two short prompts at once leave both sequences holding nothing reusable (under TILED_ROWS tokens, not kept).
  const short = (seed: number): ChatRequest => ({ messages: [{ role: 'user', content: 'Hi.' }], maxTokens: 1, seed });
  const [s1] = await Promise.all([provider.chat(short(1)), provider.chat(short(2))]);
  assert.ok(s1.tokensIn < TILED_ROWS, `the short prompt is ${s1.tokensIn} tokens`);
  const first = await measured(provider.chat(ASK));
  // The other conversation: it shares only the chat template's opening with the first one's prompt.
  await provider.chat(unrelated(5));
  const next: ChatRequest = {
    ...ASK,
    messages: [...ASK.messages, { role: 'assistant', content: first.text }, { role: 'user', content: 'Now propose one cell as a list of 6 operations.' }],
  };
  const reused = await measured(provider.chat(next));
  assert.equal(reused.reused, first.tokensIn, 'the first turn\'s prompt is still held: the other conversation took the empty sequence');
});

test('prefix reuse: a request on sequences that hold long unrelated prompts gets the whole context', async () => {
  const provider = localProvider({ modelPath: DEFAULT_LOCAL_MODEL });
  const { tokensIn } = await provider.chat({ ...REQUEST, seed: 1, maxTokens: 1 });
  await fillBothSequences(provider);
  // Prompt and maxTokens fill the 8192-token context exactly; it fits only once the held tokens are erased.
  const answer = await provider.chat({ ...REQUEST, seed: 1, maxTokens: 8192 - tokensIn });
  assert.ok(Answer.safeParse(answer.json).success, answer.text);
  await assert.rejects(provider.chat({ ...REQUEST, maxTokens: 8192 - tokensIn + 1 }), (err) => err instanceof LlmError && err.kind === 'bad_request');
});

// Why prefix.ts chunks evaluations as it does, shown on next-token probabilities over the whole vocabulary.
test('prefix reuse: kept tokens give the same bits as a fresh read only on the same flash-attention path', async () => {
  const { loadModel } = await import('../src/llm/local/runtime');
  const { model } = await loadModel(DEFAULT_LOCAL_MODEL, { contextSize: 8192 });
  const context = await model.createContext({ contextSize: 1024, sequences: 1, threads: 1, flashAttention: true });
  try {
    const sequence = context.getSequence();
    const prompt = model.tokenize(`${SYSTEM_LONG} Which operations should the edges into the last node use?`);
    assert.ok(prompt.length > 2 * TILED_ROWS + 20, `${prompt.length} tokens`);
    /** Evaluates `chunks` (in that many decodes) on what the sequence holds; the next-token probabilities. */
    const next = async (chunks: Token[][]): Promise<number[]> => {
      for (const chunk of chunks.slice(0, -1)) await sequence.evaluateWithoutGeneratingNewTokens(chunk);
      const last = chunks.at(-1)!;
      const out = await sequence.controlledEvaluate([...last.slice(0, -1), [last.at(-1)!, { generateNext: { probabilities: true } }]]);
      const probabilities = out.at(-1)!.next!.probabilities!;
      return [...probabilities.entries()].sort((a, b) => a[0] - b[0]).map(([, p]) => p);
    };
    const from = async (start: number, chunks: Token[][]) => {
      await sequence.eraseContextTokenRanges([{ start, end: sequence.nextTokenIndex }]);
      return next(chunks);
    };
    const n = prompt.length;
    const whole = await from(0, [prompt]);
    // Chunks of >= 64 tokens, wherever they are cut, and a kept prefix: identical.
    assert.deepEqual(await from(0, [prompt.slice(0, 70), prompt.slice(70)]), whole);
    assert.deepEqual(await from(n - TILED_ROWS, [prompt.slice(n - TILED_ROWS)]), whole);
    assert.deepEqual(await from(n - 2 * TILED_ROWS - 5, [prompt.slice(n - 2 * TILED_ROWS - 5)]), whole);
    // Fewer than 64 tokens in a decode (a short tail, tokens generated one at a time): other bits.
    assert.notDeepEqual(await from(n - 10, [prompt.slice(n - 10)]), whole);
    assert.notDeepEqual(await from(n - 70, [...prompt.slice(n - 70, n - 10).map((t) => [t]), prompt.slice(n - 10)]), whole);
  } finally {
    await context.dispose();
  }
});

test('prefix reuse: what is kept and how evaluations are batched', () => {
  const prompt = Array.from({ length: 300 }, (_, i) => i as Token);
  assert.equal(tokensToKeep([], prompt), 0);
  assert.equal(tokensToKeep(prompt.slice(0, 200), prompt), 200);
  assert.equal(tokensToKeep(prompt, prompt), 300 - TILED_ROWS);
  assert.equal(tokensToKeep([...prompt.slice(0, 250), 9999 as Token], prompt), 300 - TILED_ROWS);
  assert.equal(tokensToKeep(prompt.slice(0, 40), prompt.slice(0, 50)), 0);
  // A few shared tokens are not worth another conversation's sequence; enough to be kept are.
  assert.equal(reuseRank(prompt.slice(0, 7), prompt), 0);
  assert.equal(reuseRank(prompt.slice(0, TILED_ROWS - 1), prompt), 0);
  assert.equal(reuseRank(prompt.slice(0, 200), prompt), 200);

  const item = (length: number, evaluationPriority: EvaluationPriority = 3) => ({ tokens: Array.from({ length }, () => 1 as Token), logits: [], evaluationPriority });
  const plan = (items: ReturnType<typeof item>[]) => canonicalBatches({ items, size: 512 }).map((p) => [items.indexOf(p.item as ReturnType<typeof item>), p.processAmount]);
  // Short evaluations (generated tokens) go together; a long one goes alone, never cut below 64.
  assert.deepEqual(plan([item(1), item(700), item(1)]), [[0, 1], [2, 1]]);
  assert.deepEqual(plan([item(700), item(300)]), [[0, 512]]);
  assert.deepEqual(plan([item(540)]), [[0, 540 - TILED_ROWS]]);
  assert.deepEqual(plan([item(300), item(600, 5)]), [[1, 512]]);
  assert.deepEqual(plan([item(64)]), [[0, 64]]);
});
