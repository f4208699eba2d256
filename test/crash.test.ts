import assert from 'node:assert/strict';
import { test } from 'node:test';
import { temporal } from '@temporalio/proto';
import { startSearch } from '../src/client/search';
import type { SearchResult } from '../src/search/summary';
import { progressQuery } from '../src/workflows/api';
import { queues, runInProcess, spawnWorker, uniqueId, useTemporal, waitFor } from './helpers';

const env = useTemporal();

test('kill -9 of the eval worker and the control worker mid-search: the search finishes with the same result', async () => {
  const q = queues('crash');
  const workerEnv = {
    NAS_CONTROL_TASK_QUEUE: q.control,
    NAS_EVAL_TASK_QUEUE: q.eval,
    EVAL_DEVICES: 'slot0,slot1,slot2,slot3,slot4,slot5',
    EVAL_SIMULATE_MS: '300',
  };
  const config = {
    budget: 60,
    batchSize: 6,
    strategy: 'evolution',
    seed: 21,
    evaluation: { taskQueue: q.eval, heartbeatTimeout: '2s' },
  };
  const first = await Promise.all([spawnWorker('control', workerEnv), spawnWorker('eval', workerEnv)]);
  const handle = await startSearch(env.client, config, {
    taskQueue: q.control,
    workflowId: uniqueId('crash'),
    workflowTaskTimeout: '2s',
  });
  const seen = await waitFor('18 evaluations', async () => {
    const p = await handle.query(progressQuery);
    return p.evaluated >= 18 && p.inFlight > 0 ? p.evaluated : undefined;
  });
  await Promise.all(first.map((w) => w.kill9()));

  const second = await Promise.all([spawnWorker('control', workerEnv), spawnWorker('eval', workerEnv)]);
  try {
    const result = (await handle.result()) as SearchResult;
    assert.ok(seen < 60);
    assert.equal(result.evaluated, 60);
    assert.equal(new Set(result.history.map((e) => e.key)).size, 60, 'no architecture evaluated twice');
    assert.deepEqual(result, await runInProcess(config), 'same result as an uninterrupted run');
  } finally {
    await Promise.all(second.map((w) => w.kill9()));
  }
});

test('kill -9 of the worker running an LLM call mid-call: the call moves to a new worker and the search finishes', async () => {
  const { startFakeLlm, STRATEGY_TEXT, cells, requestedCount } = await import('./fake-llm');
  let generatorCalls = 0;
  const fake = await startFakeLlm((req, i) => {
    if (req.role === 'navigator') return { content: STRATEGY_TEXT };
    generatorCalls++;
    // The first Generator call never answers: its worker dies while waiting.
    if (generatorCalls === 1) return 'hang';
    return { content: JSON.stringify({ candidates: cells(requestedCount(req), i) }) };
  });
  const q = queues('llmcrash');
  const workerEnv = { NAS_CONTROL_TASK_QUEUE: q.control, NAS_EVAL_TASK_QUEUE: q.eval, EVAL_DEVICES: 'a,b,c,d,e' };
  const config = {
    budget: 20,
    batchSize: 10,
    seed: 5,
    strategy: 'collm',
    llm: { provider: 'openai', baseUrl: fake.baseUrl, model: 'fake', timeoutMs: 60_000 },
    llmCalls: { heartbeatTimeout: '2s' },
    evaluation: { taskQueue: q.eval },
  };
  const first = await Promise.all([spawnWorker('control', workerEnv), spawnWorker('eval', workerEnv)]);
  let second: Awaited<ReturnType<typeof spawnWorker>>[] = [];
  try {
    const handle = await startSearch(env.client, config, { taskQueue: q.control, workflowId: uniqueId('llmcrash'), workflowTaskTimeout: '2s' });
    await waitFor('the first Generator call', async () => (generatorCalls >= 1 ? true : undefined));
    await first[0]!.kill9();
    second = [await spawnWorker('control', workerEnv)];
    const result = (await handle.result()) as SearchResult;
    assert.equal(result.evaluated, 20);
    assert.equal(new Set(result.history.map((e) => e.key)).size, 20);
    assert.ok(generatorCalls >= 2, 'the Generator call was made again by the new worker');
    assert.ok(result.history.some((e) => e.origin === 'llm'));
  } finally {
    await Promise.all([...first, ...second].map((w) => w.kill9()));
    await fake.close();
  }
});

test('an evaluation that fails on every attempt is dropped: recorded as failed, never retried, the budget still filled', async () => {
  const q = queues('dropped');
  const workerEnv = { NAS_CONTROL_TASK_QUEUE: q.control, NAS_EVAL_TASK_QUEUE: q.eval, EVAL_DEVICES: 'a,b,c,d', EVAL_SIMULATE_MS: '1500' };
  // One attempt only: the eval worker's death is final for what it was evaluating.
  const config = { budget: 12, batchSize: 4, strategy: 'random', seed: 8, evaluation: { taskQueue: q.eval, heartbeatTimeout: '1s', maximumAttempts: 1 } };
  const control = await spawnWorker('control', workerEnv);
  const evalWorkers = [await spawnWorker('eval', workerEnv)];
  try {
    const handle = await startSearch(env.client, config, { taskQueue: q.control, workflowId: uniqueId('dropped') });
    // Started by the worker, not merely scheduled: only a started attempt can time out on heartbeats.
    await waitFor('an evaluation running on the worker', async () => {
      const { raw } = await handle.describe();
      return raw.pendingActivities?.some((a) => a.state === temporal.api.enums.v1.PendingActivityState.PENDING_ACTIVITY_STATE_STARTED) ? true : undefined;
    });
    await evalWorkers[0]!.kill9();
    const failed = await waitFor('the dropped batch', async () => {
      const p = await handle.query(progressQuery);
      return p.failed > 0 ? p.failed : undefined;
    });
    evalWorkers.push(await spawnWorker('eval', workerEnv));
    const result = (await handle.result()) as SearchResult;
    assert.equal(result.evaluated, 12, 'failures do not count against the budget');
    // At least the batch that was running; the server may also have handed the next batch to the dead worker's open poll.
    assert.ok(result.failed.length >= failed, `${result.failed.length} failed`);
    for (const f of result.failed) assert.equal(f.error, 'timed out on every attempt (no heartbeat from the eval worker)');
    const evaluated = new Set(result.history.map((e) => e.key));
    assert.equal(evaluated.size, 12);
    assert.ok(result.failed.every((f) => !evaluated.has(f.key)), 'a dropped candidate is never proposed again');
  } finally {
    await Promise.all([control, ...evalWorkers].map((w) => w.kill9()));
  }
});
