import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { fetchRuns, readRuns, tallyActivities } from '../src/client/history';
import { startSearch } from '../src/client/search';
import { searchLog } from '../src/client/search-log';
import { resolveSearchConfig } from '../src/config/resolve';
import type { SearchResult } from '../src/search/summary';
import { inProcessWorkers, queues, runInProcess, uniqueId, useTemporal } from './helpers';

const env = useTemporal();

test('a cheap evaluator batches: one activity per batch, each candidate in the log, a failing one failing alone', { timeout: 180_000 }, async () => {
  assert.equal(resolveSearchConfig({ budget: 5 }).evaluation.batched, true, 'the table declares itself cheap');
  assert.equal(resolveSearchConfig({ budget: 5, evaluation: { batched: false } }).evaluation.batched, undefined);
  assert.equal(resolveSearchConfig({ budget: 5, space: 'spos-shufflenetv2' }).evaluation.batched, undefined, 'naswot takes seconds: one activity each');

  const state = mkdtempSync(join(tmpdir(), 'batch-'));
  const q = queues('batch');
  const id = uniqueId('batch');
  try {
    const workers = await inProcessWorkers(env.native, q, { command: { allowedPrograms: [process.execPath] } });
    const { result, table } = await workers.run(async () => {
      const batched = await startSearch(
        env.client,
        {
          budget: 8,
          batchSize: 4,
          seed: 5,
          strategy: 'random',
          evaluation: {
            taskQueue: q.eval,
            evaluator: 'command',
            batched: true,
            // The first candidate fails on every attempt, the second once; the rest pass.
            options: { argv: [process.execPath, 'test/fixtures/command/history-cases.mjs', state, 'fail,flaky'], timeout: '60s' },
            maximumAttempts: 2,
          },
        },
        { taskQueue: q.control, workflowId: id },
      );
      const r = (await batched.result()) as SearchResult;
      // The table's search through Temporal, batched by default, is the search run in process.
      const input = { budget: 12, batchSize: 4, seed: 2, evaluation: { taskQueue: q.eval } };
      const t = await (await startSearch(env.client, input, { taskQueue: q.control, workflowId: uniqueId('batch-table') })).result();
      assert.deepEqual(t, await runInProcess(input));
      return { result: r, table: t };
    });
    assert.equal(table.evaluated, 12);
    assert.equal(result.evaluated, 8, 'the budget counts evaluations, not the failed candidate');
    assert.equal(result.failed.length, 1);
    assert.match(result.failed[0]!.error, /loss is NaN at step 12 \(attempt 2\)/);

    const events = (await env.client.workflow.getHandle(id).fetchHistory()).events!;
    const types = events.flatMap((e) => (e.activityTaskScheduledEventAttributes ? [e.activityTaskScheduledEventAttributes.activityType?.name] : []));
    assert.deepEqual([...new Set(types)], ['evaluateBatch'], 'no activity per candidate');
    assert.equal(types.length, result.iterations);

    const records = readRuns(await fetchRuns(env.client, id));
    assert.deepEqual(tallyActivities(records).evaluations, { completed: 8, failed: 1, timedOut: 0, retried: 2 });
    const log = await searchLog(env.client, id);
    const failed = log.filter((e) => e.kind === 'evaluation-failed');
    assert.equal(failed.length, 1);
    assert.equal(failed[0]!.kind === 'evaluation-failed' && failed[0]!.attempts, 2);
    assert.equal(log.filter((e) => e.kind === 'evaluation').length, 8);
  } finally {
    rmSync(state, { recursive: true, force: true });
  }
});
