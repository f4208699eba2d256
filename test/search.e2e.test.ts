import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { SearchConfig } from '../src/search/types';
import { Client, WorkflowFailedError } from '@temporalio/client';
import { msToTs } from '@temporalio/common/lib/time';
import { ensureSearchAttributes } from '../src/temporal/search-attributes';
import { Worker } from '@temporalio/worker';
import { createConfigActivities } from '../src/activities/config';
import { WORKFLOW_BUNDLE } from '../src/temporal/paths';
import { startSearch } from '../src/client/search';
import type { SearchResult } from '../src/search/summary';
import { NAS_BEST_VAL_ACC, NAS_EVALUATED, NAS_PAUSED, NAS_SEARCH_ATTRIBUTES, NAS_SPACE } from '../src/workflows/search-attributes';
import { extendBudgetUpdate, pauseSignal, progressQuery, resumeSignal, stopSignal } from '../src/workflows/api';
import { inProcessWorkers, queues, runInProcess, uniqueId, useTemporal, waitFor } from './helpers';

const env = useTemporal();

test('a search on the real server evaluates exactly budget unique architectures, like the in-process run', async () => {
  const q = queues();
  const workers = await inProcessWorkers(env.native, q);
  const config = { budget: 100, strategy: 'evolution', seed: 3, dataset: 'cifar100', evaluation: { taskQueue: q.eval } };
  const result = await workers.run(async () => {
    const handle = await startSearch(env.client, config, { taskQueue: q.control, workflowId: uniqueId('e2e') });
    return (await handle.result()) as SearchResult;
  });
  assert.equal(result.evaluated, 100);
  assert.equal(new Set(result.history.map((e) => e.key)).size, 100);
  assert.equal(result.stopReason, 'budget');
  assert.deepEqual(result, await runInProcess(config));
  assert.ok(result.best!.testAcc! > 0, 'the report carries the test accuracy of the best');
});

test('search attributes and memo make a search findable; progress reports it', async () => {
  const q = queues();
  const workers = await inProcessWorkers(env.native, q);
  const id = uniqueId('attrs');
  await workers.run(async () => {
    const handle = await startSearch(env.client, { budget: 30, strategy: 'random', evaluation: { taskQueue: q.eval } }, { taskQueue: q.control, workflowId: id });
    await handle.result();
    const progress = await handle.query(progressQuery);
    assert.equal(progress.status, 'completed');
    assert.equal(progress.evaluated, 30);
    assert.equal(progress.topK.length, 5);
    assert.ok(progress.topK[0]!.valAcc >= progress.topK[4]!.valAcc);
    const desc = await handle.describe();
    assert.equal(desc.typedSearchAttributes.get(NAS_SPACE), 'nb201');
    assert.equal(desc.typedSearchAttributes.get(NAS_EVALUATED), 30);
    assert.equal(desc.typedSearchAttributes.get(NAS_BEST_VAL_ACC), progress.best!.valAcc);
    // The memo holds the config as resolved at the start: defaults and the evaluator filled in.
    const memo = desc.memo as { config: SearchConfig };
    assert.equal(memo.config.dataset, 'cifar10');
    assert.equal(memo.config.budget, 30);
    assert.equal(memo.config.evaluation.evaluator, 'nb201-table');
    assert.deepEqual(memo.config.strategy, { name: 'random' });
    assert.equal(progress.evaluator, 'nb201-table');
  });
});

test('pause holds the search, resume continues it, extendBudget raises the budget', async () => {
  const q = queues();
  const workers = await inProcessWorkers(env.native, q, { simulateMs: 150 });
  await workers.run(async () => {
    const handle = await startSearch(
      env.client,
      { budget: 40, batchSize: 10, strategy: 'random', seed: 8, evaluation: { taskQueue: q.eval } },
      { taskQueue: q.control, workflowId: uniqueId('pause') },
    );
    await handle.signal(pauseSignal);
    // The batch in flight finishes; after that nothing moves while paused.
    let before = await handle.query(progressQuery);
    for (let i = 0; i < 50 && before.inFlight > 0; i++) {
      await new Promise((r) => setTimeout(r, 100));
      before = await handle.query(progressQuery);
    }
    assert.equal(before.status, 'paused');
    // Marked paused where people look (Temporal lists it as Running): NasPaused = true.
    await waitFor('NasPaused set', async () => ((await handle.describe()).typedSearchAttributes.get(NAS_PAUSED) === true ? true : undefined), 10_000);
    await new Promise((r) => setTimeout(r, 800));
    const later = await handle.query(progressQuery);
    assert.equal(later.evaluated, before.evaluated);
    assert.ok(later.evaluated < 40);

    assert.equal(await handle.executeUpdate(extendBudgetUpdate, { args: [15] }), 55);
    await assert.rejects(handle.executeUpdate(extendBudgetUpdate, { args: [0] }), (err: Error) =>
      /positive whole number/.test(String((err.cause as Error | undefined)?.message)),
    );
    await handle.signal(resumeSignal);
    const result = (await handle.result()) as SearchResult;
    assert.equal(result.evaluated, 55);
    assert.equal(result.budget, 55);
    assert.equal((await handle.describe()).typedSearchAttributes.get(NAS_PAUSED), false);
    assert.deepEqual(result.history.map((e) => e.arch), (await runInProcess({ budget: 55, batchSize: 10, strategy: 'random', seed: 8 })).history.map((e) => e.arch));
  });
});

test('on a server without NasPaused registered, a search pauses and resumes without marking itself (and without failing a workflow task)', async () => {
  // A namespace with every attribute but NasPaused, as a server set up before it existed.
  const namespace = uniqueId('no-paused');
  const { workflowService } = env.client.connection;
  await workflowService.registerNamespace({ namespace, workflowExecutionRetentionPeriod: msToTs('1 day') });
  const older = NAS_SEARCH_ATTRIBUTES.filter((a) => a.name !== NAS_PAUSED.name);
  await waitFor('the namespace is ready', async () => ensureSearchAttributes(env.client.connection, namespace, older).then(() => true, () => undefined), 30_000);
  const client = new Client({ connection: env.client.connection, namespace });
  const q = queues();
  const workers = await inProcessWorkers(env.native, q, { simulateMs: 100, namespace });
  await workers.run(async () => {
    const handle = await startSearch(client, { budget: 20, batchSize: 5, strategy: 'random', seed: 2, evaluation: { taskQueue: q.eval } }, { taskQueue: q.control, workflowId: uniqueId('pause-old') });
    await handle.signal(pauseSignal);
    await waitFor('paused', async () => {
      const p = await handle.query(progressQuery);
      return p.status === 'paused' && p.inFlight === 0 ? true : undefined;
    }, 10_000);
    await new Promise((r) => setTimeout(r, 500));
    await handle.signal(resumeSignal);
    assert.equal(((await handle.result()) as SearchResult).evaluated, 20);
    const { events } = await handle.fetchHistory();
    assert.ok((events ?? []).every((e) => !e.workflowTaskFailedEventAttributes), 'no workflow task failed');
    const desc = await handle.describe();
    assert.equal(desc.typedSearchAttributes.get(NAS_PAUSED), undefined);
    assert.equal(desc.typedSearchAttributes.get(NAS_EVALUATED), 20);
  });
});

test('progress answers from the first workflow task, while the config and the warm start are still pending', async () => {
  // A control worker without the warm-start activity: the search waits on it (retried with backoff)
  // after its first workflow task, the window in which a client's first query used to find no handler.
  const q = queues();
  const worker = await Worker.create({
    connection: env.native,
    taskQueue: q.control,
    workflowBundle: { codePath: WORKFLOW_BUNDLE },
    activities: createConfigActivities(),
  });
  await worker.runUntil(async () => {
    const handle = await startSearch(
      env.client,
      { budget: 30, strategy: 'random', seed: 4, dataset: 'cifar100', warmStart: { fromSchedule: 'nightly-none' }, evaluation: { taskQueue: q.eval } },
      { taskQueue: q.control, workflowId: uniqueId('starting') },
    );
    let scheduled = false;
    for (let i = 0; i < 100 && !scheduled; i++) {
      const { events } = await handle.fetchHistory();
      scheduled = (events ?? []).some((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'findWarmStart');
      if (!scheduled) await new Promise((r) => setTimeout(r, 100));
    }
    assert.ok(scheduled, 'the search is waiting on its warm start');
    const first = await handle.query(progressQuery);
    assert.equal(first.status, 'starting');
    assert.equal(first.dataset, 'cifar100');
    assert.equal(first.strategy, 'random');
    assert.equal(first.budget, 30);
    assert.equal(first.evaluated, 0);
    await handle.signal(pauseSignal);
    assert.equal((await handle.query(progressQuery)).status, 'paused');
    await handle.terminate('test done');
  });
});

test('stop finishes the batch in flight and returns the result so far', async () => {
  const q = queues();
  const workers = await inProcessWorkers(env.native, q, { simulateMs: 200 });
  await workers.run(async () => {
    const handle = await startSearch(
      env.client,
      { budget: 500, batchSize: 5, strategy: 'evolution', evaluation: { taskQueue: q.eval } },
      { taskQueue: q.control, workflowId: uniqueId('stop') },
    );
    await new Promise((r) => setTimeout(r, 600));
    await handle.signal(stopSignal);
    const result = (await handle.result()) as SearchResult;
    assert.equal(result.stopReason, 'stopped');
    assert.ok(result.evaluated > 0 && result.evaluated < 500);
    assert.equal(result.evaluated % 5, 0, 'only whole batches: nothing in flight was dropped');
    assert.ok(result.best);
  });
});

test('an evaluation error that no retry can fix fails the search with the evaluator\'s message', async () => {
  // A latency device missing from hw.csv is only found out by the evaluator.
  const q = queues();
  const workers = await inProcessWorkers(env.native, q);
  await workers.run(async () => {
    const handle = await startSearch(
      env.client,
      { budget: 5, strategy: 'random', constraint: { metric: 'latency', max: 10, device: 'hwnb_no_such_device' }, evaluation: { taskQueue: q.eval } },
      { taskQueue: q.control, workflowId: uniqueId('faildev') },
    );
    const err = await handle.result().then(
      () => assert.fail('expected the search to fail'),
      (e: unknown) => e,
    );
    assert.ok(err instanceof WorkflowFailedError);
    assert.match(String((err.cause as Error).message), /constraint\.device: unknown device 'hwnb_no_such_device'; use one of .*hwnb_pixel3/);
    const desc = await handle.describe();
    assert.equal(desc.status.name, 'FAILED');
  });
});
