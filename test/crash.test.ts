import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { startSearch } from '../src/client/search';
import type { SearchResult } from '../src/search/search';
import { progressQuery } from '../src/workflows/nas-search';
import { connect, queues, runInProcess, spawnWorker, uniqueId, waitFor } from './helpers';

let env: Awaited<ReturnType<typeof connect>>;
before(async () => {
  env = await connect();
});
after(async () => {
  await env.close();
});

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
    assert.deepEqual(result, runInProcess(config), 'same result as an uninterrupted run');
  } finally {
    await Promise.all(second.map((w) => w.kill9()));
  }
});
