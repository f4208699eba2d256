import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import fc from 'fast-check';
import { defaultPayloadConverter } from '@temporalio/common';
import { historyFromJSON, historyToJSON } from '@temporalio/common/lib/proto-utils';
import { Worker } from '@temporalio/worker';
import { startSearch } from '../src/client/search';
import { searchLog } from '../src/client/search-log';
import { resolveSearchConfig } from '../src/config/resolve';
import { deflateText, inflateText } from '../src/lib/packed-text';
import { fetchRuns, reportFromHistories } from '../src/report';
import { packEvaluations, unpackEvaluations, unpackState } from '../src/search/pack';
import type { SearchResult } from '../src/search/summary';
import type { Evaluation } from '../src/search/types';
import type { CarriedState } from '../src/workflows/api';
import { inProcessWorkers, queues, runInProcess, uniqueId, useTemporal } from './helpers';

// A long search's result and the state it carries across continue-as-new are
// single payloads (Temporal refuses one over 2 MB): the result lists only the
// last evaluations, the carried list is packed, and every evaluation is still
// in the search log and the report.

const env = useTemporal();
const workflowsPath = require.resolve('../src/workflows');

test('packed text gives back any string exactly, in URL-safe text', () => {
  fc.assert(
    fc.property(fc.string({ unit: 'binary', maxLength: 400 }), (s) => {
      // What is packed is JSON.stringify's output, which escapes lone surrogates.
      const json = JSON.stringify(s);
      const packed = deflateText(json);
      assert.match(packed, /^[A-Za-z0-9_-]*$/);
      assert.equal(inflateText(packed), json);
    }),
    { numRuns: 300 },
  );
  const repetitive = JSON.stringify(Array.from({ length: 500 }, (_, i) => `|nor_conv_3x3~0|+|skip_connect~${i % 3}|none~1|`));
  assert.ok(deflateText(repetitive).length < repetitive.length / 5);
  assert.equal(inflateText(deflateText(repetitive)), repetitive);
  assert.throws(() => inflateText(deflateText('abc').slice(0, 3)), /packed text/);
  assert.throws(() => inflateText(deflateText('abc').replace(/.$/, '*')), /packed text: bad character/);
});

test('evaluations packed by an earlier release (version 1, LZW) still read exactly', async () => {
  // The input of a run that release continued as new (test/replay.test.ts replays it):
  // evolution, seed 6, cifar100, batches of 3, 80 evaluations in all.
  const raw = JSON.parse(readFileSync(join(__dirname, 'fixtures/histories/continued-packed-v1.json'), 'utf8')) as {
    events: { workflowExecutionStartedEventAttributes?: { input: { payloads: { data: string }[] } } }[];
  };
  const carried = JSON.parse(Buffer.from(raw.events[0]!.workflowExecutionStartedEventAttributes!.input.payloads[1]!.data, 'base64').toString('utf8')) as CarriedState;
  const packed = carried.packed;
  assert.ok(packed, 'the run carries its evaluations packed');
  assert.equal(packed.v, 1);
  const full = await runInProcess({ budget: 80, batchSize: 3, strategy: 'evolution', seed: 6, dataset: 'cifar100' });
  const evaluated = unpackState(carried).evaluated;
  assert.equal(evaluated.length, packed.n);
  assert.ok(evaluated.length > 0 && evaluated.length < 80, `${evaluated.length} evaluations carried`);
  assert.deepEqual(evaluated, full.history.slice(0, evaluated.length));
  assert.throws(() => unpackEvaluations({ ...packed, columns: packed.columns.slice(0, 100) }), /lzw: text ends early/);
  // And what this release writes instead is version 2.
  assert.equal(packEvaluations(evaluated)?.v, 2);
});

test('packed evaluations come back exactly and take a fraction of the space', async () => {
  const r = await runInProcess({ budget: 600, strategy: 'evolution', seed: 2, dataset: 'cifar10', resultHistory: 2000 });
  const packed = packEvaluations(r.history)!;
  assert.ok(packed, 'NAS-Bench-201 evaluations pack');
  assert.equal(JSON.stringify(unpackEvaluations(JSON.parse(JSON.stringify(packed)))), JSON.stringify(r.history));
  const bytes = (x: unknown) => JSON.stringify(x).length;
  assert.ok(bytes(packed) < bytes(r.history) / 3, `${bytes(packed)} packed bytes for ${bytes(r.history)}`);
  // What the columns cannot rebuild is not packed: the search carries it as it is.
  const odd: Evaluation = { ...r.history[0]!, cost: { paramsM: 1, flopsM: 2 } };
  const oddPacked = packEvaluations([odd, ...r.history.slice(1, 5)]);
  assert.deepEqual(oddPacked && unpackEvaluations(oddPacked), [odd, ...r.history.slice(1, 5)], 'a cost in another key order is kept as recorded');
  assert.equal(packEvaluations([{ ...odd, testAcc: null as unknown as number }]), undefined);
});

test('a long search returns its last evaluations; the search log and the report have every one', async (t) => {
  const q = queues('bounds');
  const workers = await inProcessWorkers(env.native, q);
  // Fewer than a batch: some of the last run's evaluations are in neither the result nor a carried state.
  const keep = 2;
  // Small batches: batched evaluations add a handful of events per batch, and the search must cross several runs.
  const config = { budget: 80, batchSize: 3, strategy: 'evolution', seed: 6, dataset: 'cifar100', resultHistory: keep };
  const id = uniqueId('bounds');
  const result = await workers.run(async () => {
    const handle = await startSearch(env.client, { ...config, continueAsNewAfterEvents: 60, evaluation: { taskQueue: q.eval } }, { taskQueue: q.control, workflowId: id });
    return (await handle.result()) as SearchResult;
  });
  const full = await runInProcess({ ...config, resultHistory: 2000 });
  assert.equal(full.history.length, 80);
  assert.deepEqual(result, await runInProcess(config), 'the same result as a search that never continued as new');
  assert.equal(result.evaluated, 80);
  assert.equal(result.historyTruncated, true);
  assert.deepEqual(result.history, full.history.slice(-keep));
  assert.deepEqual(result.best, full.best);
  assert.deepEqual(result.trajectory, full.trajectory);
  assert.deepEqual(result.pareto, full.pareto);
  assert.deepEqual(result.origins, full.origins);

  const runs = await fetchRuns(env.client, id);
  assert.ok(runs.length >= 3, `runs: ${runs.length}`);
  // Each run's carried state is packed, gives back the evaluations so far, and stays small.
  const sizes: number[] = [];
  for (const run of runs.slice(1)) {
    const input = run.events[0]!.workflowExecutionStartedEventAttributes!.input!.payloads![1]!;
    const carried = defaultPayloadConverter.fromPayload<CarriedState>(input);
    assert.ok(carried.packed, 'packed');
    assert.deepEqual(carried.state.evaluated, []);
    const evaluated = unpackState(carried).evaluated;
    assert.deepEqual(evaluated, full.history.slice(0, evaluated.length));
    assert.ok(input.data!.length < 12_000, `carried input of ${input.data!.length} bytes`);
    sizes.push(input.data!.length);
  }
  const done = runs.at(-1)!.events.at(-1)!.workflowExecutionCompletedEventAttributes!.result!.payloads![0]!;
  assert.ok(done.data!.length < 12_000, `result of ${done.data!.length} bytes`);
  t.diagnostic(`${runs.length} runs; carried inputs of ${sizes.join(', ')} bytes; result of ${done.data!.length} bytes`);

  const logged = (await searchLog(env.client, id)).filter((e) => e.kind === 'evaluation');
  assert.deepEqual(logged.map((e) => [e.arch, e.valAcc, e.cost]).sort(), full.history.map((e) => [e.arch, e.valAcc, e.cost]).sort());

  const report = reportFromHistories(id, runs);
  assert.equal(report.evaluations.length, 80);
  assert.deepEqual(report.evaluations.map((e) => [e.arch, e.valAcc, e.iteration, e.feasible]), full.history.map((e) => [e.arch, e.valAcc, e.iteration, e.feasible]));
  // Origins are known for what the runs carried on and what the result lists; only the last run's earlier ones may not be.
  const lastRunFrom = unpackState(defaultPayloadConverter.fromPayload<CarriedState>(runs.at(-1)!.events[0]!.workflowExecutionStartedEventAttributes!.input!.payloads![1]!)).evaluated.length;
  t.diagnostic(`the last run began after ${lastRunFrom} evaluations; origins unknown: ${report.evaluations.filter((e) => e.origin === 'unknown').length}`);
  report.evaluations.forEach((e, i) => {
    if (i < lastRunFrom || i >= 80 - keep) assert.deepEqual(e, full.history[i]);
    else assert.ok(e.origin === 'unknown' || e.origin === full.history[i]!.origin);
  });

  // Every run replays, and a run that an earlier release handed its evaluations unpacked still does.
  const json = JSON.parse(historyToJSON({ events: [...runs[1]!.events] })) as { events: { workflowExecutionStartedEventAttributes?: { input: { payloads: { data: string }[] } } }[] };
  const payload = json.events[0]!.workflowExecutionStartedEventAttributes!.input.payloads[1]!;
  const carried = JSON.parse(Buffer.from(payload.data, 'base64').toString('utf8')) as CarriedState;
  const { packed: _packed, ...unpacked } = { ...carried, state: unpackState(carried) };
  payload.data = Buffer.from(JSON.stringify(unpacked)).toString('base64');
  const histories = [...runs.map((run) => ({ workflowId: run.runId, history: { events: [...run.events] } })), { workflowId: 'unpacked', history: historyFromJSON(json) }];
  let replayed = 0;
  for await (const r of Worker.runReplayHistories({ workflowsPath }, histories)) {
    assert.equal(r.error, undefined, `${r.workflowId}: ${String(r.error)}`);
    replayed++;
  }
  assert.equal(replayed, runs.length + 1);
});

test('resultHistory is checked: at most 2,000', () => {
  assert.equal(resolveSearchConfig({ budget: 10 }).resultHistory, undefined, 'no default written into the config');
  assert.throws(() => resolveSearchConfig({ budget: 10, resultHistory: 5000 }), /resultHistory: must be at most 2000/);
});
