import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { Client, Connection } from '@temporalio/client';
import { startSearch } from '../src/client/search';
import type { SearchResult } from '../src/search/search';
import { ensureDevServer } from '../src/temporal/dev-server';
import { progressQuery } from '../src/workflows/nas-search';
import { queues, runInProcess, spawnWorker, uniqueId, waitFor } from './helpers';

// A server of its own, since this test stops it.
const PORT = Number(process.env.TEST_RESTART_PORT ?? 7310);

test('the dev server stops mid-search and restarts on the same SQLite file: the search finishes', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'collm-restart-'));
  const dbFile = join(dir, 'temporal.sqlite');
  let server = await ensureDevServer({ port: PORT, dbFile, headless: true });
  assert.ok(server.started, `port ${PORT} must be free for this test`);
  const address = server.address;
  const q = queues('restart');
  const workerEnv = {
    TEMPORAL_ADDRESS: address,
    NAS_CONTROL_TASK_QUEUE: q.control,
    NAS_EVAL_TASK_QUEUE: q.eval,
    EVAL_DEVICES: 'a,b,c,d,e',
    EVAL_SIMULATE_MS: '250',
  };
  const workers = await Promise.all([spawnWorker('control', workerEnv), spawnWorker('eval', workerEnv)]);
  const config = { budget: 40, batchSize: 5, strategy: 'evolution', seed: 2, evaluation: { taskQueue: q.eval, heartbeatTimeout: '3s' } };
  const id = uniqueId('restart');
  try {
    let connection = await Connection.connect({ address });
    let client = new Client({ connection });
    const handle = await startSearch(client, config, { taskQueue: q.control, workflowId: id });
    const before = await waitFor('10 evaluations', async () => {
      const p = await handle.query(progressQuery);
      return p.evaluated >= 10 ? p.evaluated : undefined;
    });
    await connection.close();
    await server.stop();
    await new Promise((r) => setTimeout(r, 1000));
    server = await ensureDevServer({ port: PORT, dbFile, headless: true });
    assert.ok(server.started);

    connection = await Connection.connect({ address });
    client = new Client({ connection });
    const result = (await client.workflow.getHandle(id).result()) as SearchResult;
    await connection.close();
    assert.ok(before < 40);
    assert.equal(result.evaluated, 40);
    assert.deepEqual(result, runInProcess(config));
  } finally {
    await Promise.all(workers.map((w) => w.kill9()));
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});
