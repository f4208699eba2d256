/**
 * The worker's API key and environment, against a search config that anyone
 * who may start a search writes: the key never reaches the history, the
 * search log, the memo or the worker's output, and a config cannot make the
 * worker send another variable or contact another host. Real Temporal
 * server and workers; the LLM endpoint is the scripted fake.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { WorkflowFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { historyToJSON } from '@temporalio/common/lib/proto-utils';
import { createLlmActivities } from '../src/activities/llm';
import { startSearch } from '../src/client/search';
import { searchLog } from '../src/client/search-log';
import type { SearchResult } from '../src/search/summary';
import { createControlWorker } from '../src/workers/control';
import { createEvalWorker } from '../src/workers/eval';
import { cells, requestedCount, startFakeLlm, STRATEGY_TEXT } from './fake-llm';
import { queues, spawnWorker, TABLE_PATH, uniqueId, useTemporal } from './helpers';

const env = useTemporal();

const CANARY = 'sk-test-CANARY-123456';

/**
 * A workflow history as exported (historyToJSON), with every payload's data
 * decoded beside it: the export holds payloads in base64, where a scan for
 * the key would never find it.
 */
function readable(history: unknown): string {
  const json = historyToJSON(history as Parameters<typeof historyToJSON>[0]);
  const decoded: string[] = [];
  JSON.parse(json, (key, value: unknown) => {
    if (key === 'data' && typeof value === 'string') decoded.push(Buffer.from(value, 'base64').toString('utf8'));
    return value;
  });
  return `${json}\n${decoded.join('\n')}`;
}

test('the API key appears nowhere: not in the history, the search log, the memo, nor the worker output', async () => {
  const q = queues('canary');
  let generatorCalls = 0;
  // An endpoint that quotes the request's Authorization header in its errors and answers, as debugging proxies do.
  const fake = await startFakeLlm((req, i) => {
    if (req.role === 'navigator') return { content: STRATEGY_TEXT };
    generatorCalls++;
    if (generatorCalls === 1) return { status: 500, error: `upstream failed for ${req.authorization}` };
    if (generatorCalls === 2) return { status: 429, error: `slow down, ${req.authorization}` };
    return {
      content: JSON.stringify({ candidates: cells(requestedCount(req), i), note: `you sent ${req.authorization}` }),
      reasoning: `the header was ${req.authorization}`,
    };
  });
  // The control worker as a user runs it: its own process, the key only in its environment.
  const control = await spawnWorker('control', { NAS_CONTROL_TASK_QUEUE: q.control, COLLM_LLM_API_KEY: CANARY });
  const evaluation = await createEvalWorker({
    connection: env.native,
    taskQueue: q.eval,
    devices: Array.from({ length: 10 }, (_, i) => `slot:${i}`),
    evaluators: { 'nb201-table': { table: TABLE_PATH } },
  });
  try {
    const id = uniqueId('canary');
    const config = {
      budget: 20,
      batchSize: 10,
      seed: 3,
      strategy: 'collm',
      llm: { provider: 'openai', baseUrl: fake.baseUrl, model: 'fake-model', apiKeyEnv: 'COLLM_LLM_API_KEY', timeoutMs: 5000 },
      evaluation: { taskQueue: q.eval },
    };
    const handle = await startSearch(env.client, config, { taskQueue: q.control, workflowId: id });
    const result = (await evaluation.runUntil(handle.result())) as SearchResult;
    assert.equal(result.evaluated, 20);

    // The key was really in use, and the endpoint really quoted it back.
    assert.ok(fake.seen.length > 0 && fake.seen.every((s) => s.authorization === `Bearer ${CANARY}`));
    assert.ok(generatorCalls >= 3, 'the 500 and the 429 were retried');

    const history = readable(await handle.fetchHistory());
    assert.match(history, /"fake-model"/, 'payloads were decoded');
    assert.doesNotMatch(history, /CANARY/, 'the key is in the workflow history');
    // The quoted key was redacted, not lost: the last failed attempt and the echoing answer are there.
    assert.match(history, /slow down, Bearer \[redacted\]/);
    assert.match(history, /you sent Bearer \[redacted\]/);

    const log = JSON.stringify(await searchLog(env.client, id));
    assert.doesNotMatch(log, /CANARY/, 'the key is in the search log');
    assert.match(log, /the header was Bearer \[redacted\]/);
    assert.doesNotMatch(JSON.stringify((await handle.describe()).memo), /CANARY/, 'the key is in the memo');
    assert.doesNotMatch(JSON.stringify(result), /CANARY/);

    const output = control.output();
    assert.match(output, /control worker: polling/, 'the output was captured');
    assert.match(output, /upstream failed for Bearer \[redacted\]/, 'the worker logged the failed attempt');
    assert.doesNotMatch(output, /CANARY/, 'the key is in the worker output');
  } finally {
    await control.kill9();
    await fake.close();
  }
});

/** A collm search against `fake` run by an in-process control worker with `workerEnv` as its environment; resolves to its failure. */
async function refusedSearch(workerEnv: NodeJS.ProcessEnv, llm: Record<string, unknown>): Promise<{ failure: ApplicationFailure; history: string; ms: number }> {
  const q = queues('refused');
  const id = uniqueId('refused');
  const control = await createControlWorker({ connection: env.native, taskQueue: q.control, activities: createLlmActivities(workerEnv) });
  const started = Date.now();
  const err = await control.runUntil(async () => {
    const handle = await startSearch(env.client, { budget: 10, strategy: 'collm', llm, evaluation: { taskQueue: q.eval } }, { taskQueue: q.control, workflowId: id });
    return handle.result().then(() => assert.fail('expected the search to fail'), (e: unknown) => e);
  });
  const ms = Date.now() - started;
  assert.ok(err instanceof WorkflowFailedError, String(err));
  assert.ok(err.cause instanceof ApplicationFailure, String(err.cause));
  const handle = env.client.workflow.getHandle(id);
  assert.equal((await handle.describe()).status.name, 'FAILED', 'nothing is left running');
  return { failure: err.cause, history: readable(await handle.fetchHistory()), ms };
}

test("a config naming a variable off the worker's list (TEMPORAL_API_KEY) fails the search at once; nothing is sent", async () => {
  const fake = await startFakeLlm(() => ({ content: STRATEGY_TEXT }));
  try {
    const { failure, history, ms } = await refusedSearch(
      { TEMPORAL_API_KEY: 'tmprl-CANARY-7890' },
      { provider: 'openai', baseUrl: fake.baseUrl, model: 'fake-model', apiKeyEnv: 'TEMPORAL_API_KEY' },
    );
    assert.equal(failure.type, 'LlmNotAllowedError');
    assert.equal(failure.nonRetryable, true);
    assert.match(failure.message, /^navigator LLM: this worker does not send its variable TEMPORAL_API_KEY to LLM endpoints/);
    assert.match(failure.message, /add TEMPORAL_API_KEY to COLLM_LLM_ALLOWED_KEY_ENVS in the environment of the worker/);
    assert.equal(fake.seen.length, 0, 'no request reached the endpoint');
    assert.doesNotMatch(history, /tmprl-CANARY/);
    assert.ok(ms < 30_000, `refused at once, not after retries (${ms} ms)`);
  } finally {
    await fake.close();
  }
});

test("a config naming a host off the worker's list fails the search at once; nothing is sent there", async () => {
  const fake = await startFakeLlm(() => ({ content: STRATEGY_TEXT }));
  try {
    // The worker allows only OpenAI: the fake endpoint on 127.0.0.1 is another host.
    const { failure } = await refusedSearch(
      { COLLM_LLM_ALLOWED_HOSTS: 'api.openai.com', OPENAI_API_KEY: 'sk-test-HOST-CANARY' },
      { provider: 'openai', baseUrl: fake.baseUrl, model: 'fake-model' },
    );
    assert.equal(failure.type, 'LlmNotAllowedError');
    assert.match(failure.message, /does not send LLM requests to host '127\.0\.0\.1' \(allowed: api\.openai\.com\)/);
    assert.match(failure.message, /add "127\.0\.0\.1:\d+" to COLLM_LLM_ALLOWED_HOSTS/);
    assert.equal(fake.seen.length, 0, 'no request reached the endpoint');
  } finally {
    await fake.close();
  }
});
