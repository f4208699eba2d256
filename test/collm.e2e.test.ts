import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { CollmStats } from '../src/search/strategies/collm';
import { WorkflowFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { historyToJSON } from '@temporalio/common/lib/proto-utils';
import { startSearch } from '../src/client/search';
import { searchLog } from '../src/client/search-log';
import type { SearchResult } from '../src/search/summary';
import { parseNb201 } from '../src/spaces/nb201';
import { progressQuery, steerSignal } from '../src/workflows/api';
import { providerFor } from '../src/llm';
import { cells, requestedCount, startFakeLlm, STRATEGY_TEXT, type FakeLlm, type LlmRequestSeen, type Reply } from './fake-llm';
import { inProcessWorkers, queues, runInProcess, uniqueId, useTemporal } from './helpers';

const env = useTemporal();

/** The strategy and LLM fields of a collm search config talking to the fake endpoint. */
const collm = (fake: FakeLlm) => ({
  strategy: 'collm',
  llm: { provider: 'openai', baseUrl: fake.baseUrl, model: 'fake-model', apiKeyEnv: 'COLLM_LLM_API_KEY_TEST', timeoutMs: 2000 },
});

async function search(config: Record<string, unknown>, id = uniqueId('collm')): Promise<{ result: SearchResult; id: string }> {
  const q = queues('collm');
  const workers = await inProcessWorkers(env.native, q);
  const result = await workers.run(async () => {
    const handle = await startSearch(env.client, { ...config, evaluation: { taskQueue: q.eval } }, { taskQueue: q.control, workflowId: id });
    return (await handle.result()) as SearchResult;
  });
  return { result, id };
}

function assertLegalAndUnique(r: SearchResult): void {
  assert.equal(new Set(r.history.map((e) => e.key)).size, r.history.length, 'no duplicate evaluated');
  for (const e of r.history) assert.doesNotThrow(() => parseNb201(e.arch));
}

test('collm: Navigator strategy in, Generator JSON out, every exchange in the history', async () => {
  const fake = await startFakeLlm((req, i) =>
    req.role === 'navigator'
      ? { content: `<think>Let me reason about the space first.</think>\n${STRATEGY_TEXT}` }
      : { content: '```json\n' + JSON.stringify({ candidates: cells(requestedCount(req), i) }) + '\n```' },
  );
  try {
    const { result, id } = await search({ budget: 30, batchSize: 10, seed: 1, ...collm(fake) });
    assert.equal(result.evaluated, 30);
    assertLegalAndUnique(result);
    assert.ok(result.history.filter((e) => e.origin === 'llm').length >= 25, result.history.map((e) => e.origin).join());
    const llm = result.stats as unknown as CollmStats & { promptVersion: string };
    assert.equal(llm.promptVersion, 'collm-v3');
    assert.equal(llm.navigatorCalls, 3, 'initial strategy + a refinement after each batch but the last');
    assert.ok(llm.generatorCalls >= 3);
    assert.equal(llm.invalidJson, 0);

    const nav = fake.seen.filter((s) => s.role === 'navigator');
    const gen = fake.seen.filter((s) => s.role === 'generator');
    // Every prompt of the search names neither the benchmark nor the dataset (the LLM must not recall a table).
    for (const seen of fake.seen) {
      for (const m of seen.body.messages) assert.doesNotMatch(m.content, /NAS-?Bench|\b201\b|NATS|HW-NAS|cifar|imagenet|hwnb/i, m.content.slice(0, 200));
    }
    // The Navigator keeps its conversation: each turn repeats the earlier ones.
    assert.ok(nav[2]!.body.messages.length > nav[1]!.body.messages.length);
    assert.match(nav[1]!.body.messages.at(-1)!.content, /Iteration 1 results[\s\S]*accuracy \d+\.\d\d%/);
    assert.ok(!JSON.stringify(nav[1]!.body.messages).includes('<think>'), 'reasoning is stripped from the kept strategy');
    // The Generator is stateless: system + one user turn, with the strategy and structured output.
    const firstAttempts = gen.filter((g) => g.body.messages.at(-1)!.content.startsWith('COST BUDGET:'));
    assert.ok(firstAttempts.length >= 3);
    for (const g of firstAttempts) assert.equal(g.body.messages.length, 2);
    assert.match(gen[0]!.body.messages[1]!.content, /Explore convolution-heavy cells first/);
    assert.deepEqual((gen[0]!.body.response_format as { type: string }).type, 'json_schema');
    // No benchmark name or numbers in any prompt.
    for (const s of fake.seen) assert.doesNotMatch(JSON.stringify(s.body.messages), /NAS-?Bench|201|NATS|ImageNet16-120/i);

    const history = historyToJSON(await env.client.workflow.getHandle(id).fetchHistory());
    // Prompts and answers are activity inputs and results: a replay needs no LLM.
    assert.equal((history.match(/"activityType":\s*\{\s*"name":\s*"llmChat"/g) ?? []).length, llm.llmCalls);
    // The exported search log reads them back: prompt, answer, model, tokens, latency.
    const entries = await searchLog(env.client, id);
    const exchanges = entries.filter((e) => e.kind === 'llm');
    assert.equal(exchanges.length, llm.llmCalls);
    assert.equal(entries.filter((e) => e.kind === 'evaluation').length, 30);
    const firstNav = exchanges.find((e) => e.purpose === 'navigator')!;
    assert.equal(firstNav.model, 'fake-model');
    assert.equal(firstNav.tokensIn, 100);
    assert.match(firstNav.answer, /^# SUMMARY/);
    assert.equal(firstNav.reasoning, 'Let me reason about the space first.');
  } finally {
    await fake.close();
  }
});

test('collm runs the same in process (runSearch with the provider as its LLM port) as in the workflow', async () => {
  const reply = (req: LlmRequestSeen, i: number): Reply =>
    req.role === 'navigator' ? { content: STRATEGY_TEXT } : { content: JSON.stringify({ candidates: cells(requestedCount(req), i) }) };
  const config = { budget: 30, batchSize: 10, seed: 4, dataset: 'cifar100' };
  const durable = await startFakeLlm(reply);
  const plain = await startFakeLlm(reply);
  try {
    const { result } = await search({ ...config, ...collm(durable) });
    const local = await runInProcess({ ...config, ...collm(plain) }, { llm: (call) => providerFor(call.llm).chat(call.request) });
    // Everything but the LLM's wall time is the same, call for call.
    const { llmMs: _a, ...durableStats } = result.stats!;
    const { llmMs: _b, ...localStats } = local.stats!;
    assert.deepEqual(localStats, durableStats);
    assert.deepEqual(local.history, result.history);
    assert.deepEqual(plain.seen.map((s) => s.body.messages), durable.seen.map((s) => s.body.messages), 'the same prompts in the same order');
    assert.ok(result.history.some((e) => e.origin === 'llm'));
  } finally {
    await durable.close();
    await plain.close();
  }
});

test('collm: an endpoint that is down is ridden out with the fill; the failures are in progress and the result', async () => {
  const fake = await startFakeLlm(() => ({ status: 503, error: 'the model is loading' }));
  try {
    const q = queues('down');
    const workers = await inProcessWorkers(env.native, q);
    const result = await workers.run(async () => {
      const handle = await startSearch(
        env.client,
        { budget: 20, batchSize: 10, seed: 6, ...collm(fake), llmCalls: { maximumAttempts: 1 }, evaluation: { taskQueue: q.eval } },
        { taskQueue: q.control, workflowId: uniqueId('down') },
      );
      const r = (await handle.result()) as SearchResult;
      const progress = await handle.query(progressQuery);
      assert.ok((progress.stats!.llmFailures as number) >= 2, JSON.stringify(progress.stats));
      return r;
    });
    assert.equal(result.evaluated, 20, 'the search went on');
    assert.deepEqual(result.origins.evaluated, { fill: 20 });
    assert.match(String(result.stats!.lastLlmFailure), /503|loading/);
  } finally {
    await fake.close();
  }
});

// Before, the strategy's error failed the workflow task, retried forever: the result never came (hence the timeout).
test('collm: onLlmFailure "fail" ends the search with a typed failure once the LLM stays down, no workflow task left failing', { timeout: 120_000 }, async () => {
  const fake = await startFakeLlm(() => ({ status: 503, error: 'the model is loading' }));
  try {
    const q = queues('downfail');
    const id = uniqueId('downfail');
    const workers = await inProcessWorkers(env.native, q);
    const err = await workers.run(async () => {
      const handle = await startSearch(
        env.client,
        { budget: 20, batchSize: 10, seed: 6, ...collm(fake), strategy: { name: 'collm', onLlmFailure: 'fail' }, llmCalls: { maximumAttempts: 1 }, evaluation: { taskQueue: q.eval } },
        { taskQueue: q.control, workflowId: id },
      );
      return handle.result().then(() => assert.fail('expected the search to fail'), (e: unknown) => e);
    });
    assert.ok(err instanceof WorkflowFailedError, String(err));
    assert.ok(err.cause instanceof ApplicationFailure, String(err.cause));
    assert.equal(err.cause.type, 'LlmUnavailable');
    assert.equal(err.cause.nonRetryable, true);
    assert.match(err.cause.message, /onLlmFailure "fail".*(503|loading)/);
    const handle = env.client.workflow.getHandle(id);
    assert.equal((await handle.describe()).status.name, 'FAILED');
    assert.doesNotMatch(historyToJSON(await handle.fetchHistory()), /WORKFLOW_TASK_FAILED|WorkflowTaskFailed/);
  } finally {
    await fake.close();
  }
});

test('collm: malformed JSON gets one retry with the errors, then mutations fill the batch; nothing illegal or duplicate is evaluated', async () => {
  let generatorCalls = 0;
  const fake = await startFakeLlm((req) => {
    if (req.role === 'navigator') return { content: STRATEGY_TEXT };
    generatorCalls++;
    if (generatorCalls === 1) return { content: 'Sure! Here are some architectures: [nor_conv_3x3, ...' };
    // The retry: two legal new cells, one illegal op, one repeated.
    const good = cells(2, 99);
    return { content: JSON.stringify({ candidates: [...good, ['conv_7x7', 'none', 'none', 'none', 'none', 'none'], good[0]] }) };
  });
  try {
    const { result } = await search({ budget: 10, batchSize: 10, seed: 2, ...collm(fake) });
    assert.equal(result.evaluated, 10);
    assertLegalAndUnique(result);
    const llm = result.stats as unknown as CollmStats & { promptVersion: string };
    assert.equal(llm.invalidJson, 1);
    assert.equal(llm.retries, 1);
    assert.equal(llm.illegal, 1);
    assert.equal(llm.duplicate, 1);
    // The repeated cell is repaired into a neighbour of itself (collm-v2); the fill does the rest.
    assert.equal(llm.repaired, 1);
    assert.equal(llm.accepted, 3);
    assert.equal(llm.mutationFilled, 7);
    assert.deepEqual(result.history.map((e) => e.origin).sort(), [...Array(2).fill('llm-retry'), 'llm-repair', ...Array(7).fill('fill')].sort());
    const retry = fake.seen.filter((s) => s.role === 'generator')[1]!;
    assert.match(retry.body.messages.at(-1)!.content, /not a JSON object/);
    assert.equal(retry.body.messages.at(-2)!.role, 'assistant');
  } finally {
    await fake.close();
  }
});

test('collm: 429 and a timeout are retried by Temporal; the search completes', async () => {
  let navigatorCalls = 0;
  let generatorCalls = 0;
  const fake = await startFakeLlm((req, i) => {
    if (req.role === 'navigator') {
      navigatorCalls++;
      return navigatorCalls === 1 ? { status: 429, error: 'rate limited' } : { content: STRATEGY_TEXT };
    }
    generatorCalls++;
    if (generatorCalls === 1) return { delayMs: 2500, content: '{}' }; // past the 2 s client timeout
    return { content: JSON.stringify({ candidates: cells(requestedCount(req), i) }) };
  });
  try {
    const { result } = await search({ budget: 10, batchSize: 10, seed: 3, ...collm(fake) });
    assert.equal(result.evaluated, 10);
    assert.equal(navigatorCalls, 2, 'the 429 was retried once');
    assert.equal(generatorCalls, 2, 'the timed-out call was retried once');
    assert.equal(result.stats!.navigatorCalls, 1, 'failed attempts are not answers');
  } finally {
    await fake.close();
  }
});

test('collm: a wrong API key ends the search with what to fix, and the key appears nowhere', async () => {
  const secret = 'sk-test-DO-NOT-LEAK-123456';
  process.env.COLLM_LLM_API_KEY_TEST = secret;
  const fake = await startFakeLlm(() => ({ status: 401, error: `Incorrect API key provided: ${secret}` }));
  try {
    const id = uniqueId('auth');
    const err = await search({ budget: 10, ...collm(fake) }, id).then(
      () => assert.fail('expected failure'),
      (e: unknown) => e,
    );
    assert.ok(err instanceof WorkflowFailedError);
    const message = (err.cause as Error).message;
    assert.match(message, /COLLM_LLM_API_KEY_TEST/);
    assert.doesNotMatch(message, new RegExp(secret));
    assert.equal(fake.seen.length, 1, 'an auth error is not retried');
    assert.equal(fake.seen[0]!.authorization, `Bearer ${secret}`);
    const handle = env.client.workflow.getHandle(id);
    assert.equal((await handle.describe()).status.name, 'FAILED');
    assert.ok(!historyToJSON(await handle.fetchHistory()).includes(secret), 'the key is not in the history');
  } finally {
    delete process.env.COLLM_LLM_API_KEY_TEST;
    await fake.close();
  }
});

test('collm: a steering hint reaches the Navigator at its next turn', async () => {
  const q = queues('steer');
  let navigatorCalls = 0;
  const fake = await startFakeLlm((req, i) => {
    if (req.role === 'navigator') {
      navigatorCalls++;
      return { content: STRATEGY_TEXT };
    }
    return { content: JSON.stringify({ candidates: cells(requestedCount(req), i) }), delayMs: navigatorCalls === 1 ? 300 : 0 };
  });
  const workers = await inProcessWorkers(env.native, q);
  try {
    await workers.run(async () => {
      const handle = await startSearch(env.client, { budget: 20, batchSize: 10, ...collm(fake), evaluation: { taskQueue: q.eval } }, { taskQueue: q.control, workflowId: uniqueId('steer') });
      await handle.signal(steerSignal, 'Avoid avg_pool_3x3 entirely.');
      await handle.result();
    });
    const nav = fake.seen.filter((s) => s.role === 'navigator');
    const withHint = nav.filter((s) => s.body.messages.at(-1)!.content.includes('Avoid avg_pool_3x3 entirely.'));
    assert.equal(withHint.length, 1, 'the hint is shown once, at the next Navigator turn');
  } finally {
    await fake.close();
  }
});
