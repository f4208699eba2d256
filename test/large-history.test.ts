import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { test } from 'node:test';
import { Connection } from '@temporalio/client';
import { searchLog } from '../src/client/search-log';
import { gatherSearch } from '../src/report/gather';
import type { SearchResult } from '../src/search/summary';
import { connectClient, temporalTarget } from '../src/temporal/connection';
import { steerSignal } from '../src/workflows/api';
import { ADDRESS, inProcessWorkers, queues, uniqueId, useTemporal, waitFor } from './helpers';

const env = useTemporal();

// A history the server accepts can hold pages far over gRPC's default 4 MB
// (events of up to 2 MB each). Here: three 1.5 MB signals, sent the way
// `temporal workflow signal` would (the CLI refuses hints that long; the server does not).
test('log, report and export read a history whose events are megabytes (a page over 4 MB)', { timeout: 180_000 }, async () => {
  const q = queues('bighist');
  const id = uniqueId('bighist');
  // Signalled before any worker polls, so the three land in one batch of events, hence on one page.
  const handle = await env.client.workflow.start('nasSearch', {
    taskQueue: q.control,
    workflowId: id,
    args: [{ strategy: 'random', budget: 20, batchSize: 10, seed: 2, evaluation: { taskQueue: q.eval } }],
  });
  for (let i = 0; i < 3; i++) await handle.signal(steerSignal, `${i}`.repeat(1_500_000));
  const workers = await inProcessWorkers(env.native, q);
  const result = await workers.run(async () => (await handle.result()) as SearchResult);
  assert.equal(result.evaluated, 20, 'the search ignores the oversized hints and finishes');

  // Without the client's larger receive limit the history cannot be read at all: the test's premise.
  const plain = await Connection.connect({ address: ADDRESS });
  try {
    // The first run (the hints made the server suggest continue-as-new, so the search went on in a second).
    const execution = { workflowId: id, runId: handle.firstExecutionRunId };
    await assert.rejects(plain.workflowService.getWorkflowExecutionHistory({ namespace: 'default', execution }), /RESOURCE_EXHAUSTED|larger than max/);
  } finally {
    await plain.close();
  }

  const client = await connectClient(temporalTarget({ TEMPORAL_ADDRESS: ADDRESS }));
  try {
    const log = await waitFor('the search in visibility', async () => {
      const entries = await searchLog(client, id);
      return entries.length > 0 ? entries : undefined;
    });
    assert.equal(log.filter((e) => e.kind === 'evaluation').length, 20);
    const report = await gatherSearch(client, id);
    assert.equal(report.evaluations.length, 20);
  } finally {
    await client.connection.close();
  }

  const dir = mkdtempSync(join(tmpdir(), 'bighist-'));
  try {
    const file = join(dir, 'history.json');
    await promisify(execFile)('bin/collm-nas', ['export', id, file, '--run-id', handle.firstExecutionRunId], { env: { ...process.env, TEMPORAL_ADDRESS: ADDRESS } });
    assert.ok(readFileSync(file).length > 4_500_000, 'the whole history, hints included');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
