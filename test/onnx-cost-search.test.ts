import assert from 'node:assert/strict';
import { test } from 'node:test';
import { WorkflowFailedError } from '@temporalio/client';
import type { ApplicationFailure } from '@temporalio/common';
import { historyToJSON } from '@temporalio/common/lib/proto-utils';
import { startSearch } from '../src/client/search';
import type { SearchResult } from '../src/search/summary';
import { inProcessWorkers, queues, uniqueId, useTemporal } from './helpers';

const env = useTemporal();

test('a search constrained by latency on this machine: onnx-cost times each candidate beside the accuracy evaluator', async () => {
  const q = queues('onnxcost');
  const workers = await inProcessWorkers(env.native, q);
  const result = await workers.run(async () => {
    const handle = await startSearch(
      env.client,
      {
        budget: 8,
        batchSize: 4,
        strategy: 'random',
        seed: 4,
        constraint: { metric: 'latency', max: 3, device: 'onnx:cpu' },
        evaluation: { taskQueue: q.eval, costOptions: { batch: 4, warmup: 1, repeats: 5 } },
      },
      { taskQueue: q.control, workflowId: uniqueId('onnxcost') },
    );
    return (await handle.result()) as SearchResult;
  });
  assert.equal(result.evaluated, 8);
  for (const e of result.history) {
    assert.ok(e.cost.latencyMs! > 0, `${e.arch}: measured latency`);
    assert.equal(e.feasible, e.cost.latencyMs! <= 3);
    assert.ok(e.valAcc > 0 && e.valAcc <= 100, 'the accuracy is still the table\'s');
  }
  assert.ok(result.pareto.latency && result.pareto.latency.length > 0);
});

test('latency on onnx:cuda where onnxruntime has no CUDA build: the search fails at once with a device error naming the worker slot, no retries', async () => {
  const q = queues('onnxcuda');
  const id = uniqueId('onnxcuda');
  const workers = await inProcessWorkers(env.native, q, { devices: ['cuda-slot:0'] });
  const err = await workers.run(async () => {
    const handle = await startSearch(
      env.client,
      { budget: 4, batchSize: 1, strategy: 'random', constraint: { metric: 'latency', max: 3, device: 'onnx:cuda' }, evaluation: { taskQueue: q.eval, maximumAttempts: 5 } },
      { taskQueue: q.control, workflowId: id },
    );
    return handle.result().then(() => assert.fail('expected the search to fail'), (e: unknown) => e);
  });
  assert.ok(err instanceof WorkflowFailedError);
  const cause = err.cause as ApplicationFailure;
  assert.equal(cause.type, 'DeviceError');
  assert.match(cause.message, /eval worker .*, device cuda-slot:0: .*ExecutionProvider_Cuda: Failed to load.*no retry on this worker can fix/);
  const history = historyToJSON(await env.client.workflow.getHandle(id).fetchHistory());
  assert.doesNotMatch(history, /"attempt":\s*[2-9]/, 'not retried');
});
