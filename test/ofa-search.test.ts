import assert from 'node:assert/strict';
import { test } from 'node:test';
import { startSearch } from '../src/client/search';
import { ConfigError, resolveSearchConfig } from '../src/config/resolve';
import { createEvaluators } from '../src/evaluators';
import { runSearch } from '../src/search/search';
import type { SearchResult } from '../src/search/summary';
import { inProcessWorkers, queues, uniqueId, useTemporal } from './helpers';

// A complete OFA MobileNetV3 search on this machine: once-for-all's accuracy
// predictor as the evaluator (OFA_DATA, else ../shared/data/ofa), as OFA's own tutorial runs it.
const env = useTemporal();
const predictor = createEvaluators({}, ['ofa-predictor']).served.get('ofa-predictor')!;
const context = { device: 'cpu', heartbeat: () => {}, sleep: async () => {}, signal: new AbortController().signal };

function inProcess(raw: Record<string, unknown>): Promise<SearchResult> {
  const config = resolveSearchConfig(raw);
  const latencyDevice = config.constraint?.metric === 'latency' ? config.constraint.device : undefined;
  return runSearch(config, (c) =>
    predictor.evaluate(
      { evaluator: 'ofa-predictor', options: {}, space: config.space, dataset: config.dataset, arch: c.arch, ...(latencyDevice ? { latencyDevice } : {}) },
      context,
    ),
  );
}

test('the OFA spaces resolve with their natural evaluator; the predictor scores only the width-1.2 supernet', () => {
  const config = resolveSearchConfig({ space: 'ofa-mbv3-w12', budget: 10 });
  assert.equal(config.evaluation.evaluator, 'ofa-predictor');
  assert.equal(config.dataset, 'imagenet');
  assert.throws(
    () => resolveSearchConfig({ space: 'ofa-mbv3-w10', budget: 10, evaluation: { evaluator: 'ofa-predictor' } }),
    (err: unknown) => err instanceof ConfigError && /evaluation\.evaluator: ofa-predictor does not evaluate space ofa-mbv3-w10/.test(err.message),
  );
  assert.throws(
    () => resolveSearchConfig({ space: 'ofa-mbv3-w12', budget: 10, constraint: { metric: 'latency', max: 20, device: 'pixel3' } }),
    /constraint\.device: evaluator ofa-predictor reports no latency for 'pixel3'/,
  );
});

test('an OFA search under 400 MFLOPs never evaluates a subnet over it and labels its accuracy as predicted', async () => {
  const r = await inProcess({ space: 'ofa-mbv3-w12', strategy: 'evolution', budget: 200, seed: 3, constraint: { metric: 'flops', max: 400 } });
  assert.equal(r.evaluated, 200);
  assert.equal(r.evaluator, 'ofa-predictor');
  for (const e of r.history) assert.ok(e.cost.flopsM <= 400, `${e.arch}: ${e.cost.flopsM} MFLOPs`);
  assert.ok(r.best!.valAcc > 78 && r.best!.valAcc < 85, String(r.best!.valAcc));
  const { formatResult } = await import('../src/client/search');
  assert.match(formatResult(r), /predicted ImageNet top-1 \(OFA accuracy predictor\) \d+\.\d\d%/);
});

test('a Note10 latency constraint uses the lookup tables; the front has a latency axis', async () => {
  const r = await inProcess({ space: 'ofa-mbv3-w12', strategy: 'random', budget: 60, seed: 1, constraint: { metric: 'latency', max: 20, device: 'note10' } });
  assert.ok(r.history.every((e) => e.cost.latencyMs! > 5 && e.cost.latencyMs! < 120));
  assert.ok(r.history.some((e) => !e.feasible), 'some subnets are slower than 20 ms');
  assert.ok(r.best!.cost.latencyMs! <= 20);
  assert.ok(r.pareto.latency && r.pareto.latency.length > 0);
});

test('the same OFA search through Temporal and the eval queue gives the in-process result', async () => {
  const q = queues('ofa');
  const workers = await inProcessWorkers(env.native, q);
  const raw = { space: 'ofa-mbv3-w12', strategy: 'evolution', budget: 60, batchSize: 10, seed: 5, constraint: { metric: 'flops', max: 300 } };
  const result = await workers.run(async () => {
    const handle = await startSearch(env.client, { ...raw, evaluation: { taskQueue: q.eval } }, { taskQueue: q.control, workflowId: uniqueId('ofa') });
    return (await handle.result()) as SearchResult;
  });
  assert.deepEqual(result, await inProcess(raw));
});
