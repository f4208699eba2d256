import assert from 'node:assert/strict';
import { test } from 'node:test';
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
