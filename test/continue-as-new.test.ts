import assert from 'node:assert/strict';
import { test } from 'node:test';
import { startSearch } from '../src/client/search';
import type { SearchResult } from '../src/search/summary';
import { progressQuery } from '../src/workflows/api';
import { inProcessWorkers, queues, runInProcess, uniqueId, useTemporal } from './helpers';

const env = useTemporal();

test('with a low history threshold a search crosses several runs and returns the same result', async () => {
  const q = queues('can');
  const workers = await inProcessWorkers(env.native, q);
  // Small batches: a batched evaluation adds a handful of events per batch, and the search must cross several runs.
  const config = { budget: 120, batchSize: 4, strategy: 'evolution', seed: 13, dataset: 'imagenet16', evaluation: { taskQueue: q.eval } };
  const id = uniqueId('can');
  const result = await workers.run(async () => {
    const handle = await startSearch(env.client, { ...config, continueAsNewAfterEvents: 60 }, { taskQueue: q.control, workflowId: id });
    const r = (await handle.result()) as SearchResult;
    const progress = await env.client.workflow.getHandle(id).query(progressQuery);
    assert.ok(progress.runs >= 3, `expected several runs, got ${progress.runs}`);
    let runs = 0;
    for await (const wf of env.client.workflow.list({ query: `WorkflowId = "${id}"` })) {
      runs++;
      assert.ok(['CONTINUED_AS_NEW', 'COMPLETED'].includes(wf.status.name));
    }
    assert.equal(runs, progress.runs + 1);
    // The config is resolved once, in the first run (a local activity's marker); later runs carry it.
    const markers: number[] = [];
    for await (const wf of env.client.workflow.list({ query: `WorkflowId = "${id}"` })) {
      const history = await env.client.workflow.getHandle(id, wf.runId).fetchHistory();
      markers.push((history.events ?? []).filter((e) => e.markerRecordedEventAttributes?.markerName === 'core_local_activity').length);
    }
    assert.equal(markers.filter((n) => n > 0).length, 1, `runs with a resolveConfig marker: ${markers.join(',')}`);
    // The memo set at the first run is still there on the last.
    const memo = (await env.client.workflow.getHandle(id).describe()).memo as { config?: { budget: number } } | undefined;
    assert.equal(memo?.config?.budget, 120);
    return r;
  });
  assert.equal(result.evaluated, 120);
  assert.deepEqual(result, await runInProcess(config));
});
