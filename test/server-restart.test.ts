import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { Client, Connection } from '@temporalio/client';
import { startSearch } from '../src/client/search';
import type { SearchResult } from '../src/search/summary';
import { ensureDevServer } from '../src/temporal/dev-server';
import { progressQuery } from '../src/workflows/api';
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
    assert.deepEqual(result, await runInProcess(config));
  } finally {
    await Promise.all(workers.map((w) => w.kill9()));
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a dev server left behind by a SIGKILLed run is stopped and replaced, not silently reused', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'collm-orphan-'));
  const port = PORT + 5;
  // A run (like `npm test` or a benchmark) that starts its own server, then is killed with SIGKILL.
  const script = `
    const { ensureDevServer } = require('./src/temporal/dev-server');
    ensureDevServer({ port: ${port}, dbFile: ${JSON.stringify(join(dir, 'a.sqlite'))}, headless: true })
      .then((s) => { console.log('PID ' + s.pid); setInterval(() => {}, 1000); });`;
  const owner = spawn(process.execPath, ['--import', 'tsx', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  owner.stdout.on('data', (d: Buffer) => (out += d.toString()));
  const orphan = await waitFor('the first server', async () => Number(/PID (\d+)/.exec(out)?.[1]) || undefined, 60_000);
  owner.kill('SIGKILL');
  await new Promise((r) => owner.once('exit', r));
  process.kill(orphan, 0); // still running: nobody stopped it

  const server = await ensureDevServer({ port, dbFile: join(dir, 'b.sqlite'), headless: true });
  try {
    assert.ok(server.started, 'a fresh server, not the orphan');
    assert.notEqual(server.pid, orphan);
    assert.throws(() => process.kill(orphan, 0), /ESRCH/, 'the orphan is gone');
  } finally {
    await server.stop();
  }
  // A server whose owner is alive (this process) is reused, never stopped.
  const again = await ensureDevServer({ port, dbFile: join(dir, 'c.sqlite'), headless: true });
  assert.ok(again.started, 'stop() freed the port');
  try {
    const reused = await ensureDevServer({ port, headless: true });
    assert.equal(reused.started, false);
    process.kill(again.pid!, 0);
  } finally {
    await again.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});
