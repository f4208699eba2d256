import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { startSearch } from '../src/client/search';
import { metricsBindAddress } from '../src/metrics/address';
import { searchCountIntervalMs } from '../src/metrics/searches';
import type { SearchResult } from '../src/search/summary';
import { pauseSignal, resumeSignal, stopSignal } from '../src/workflows/api';
import { cells, requestedCount, startFakeLlm, STRATEGY_TEXT } from './fake-llm';
import { queues, spawnWorker, thrown, uniqueId, useTemporal, waitFor, type ChildWorker } from './helpers';
import { listeningAddresses } from './listening';
import { startPrometheus, type Prometheus } from './prometheus';

const env = useTemporal();

// In the range this suite's metrics tests may use (9460-9480).
const CONTROL_PORT = 9461;
const EVAL_PORT = 9462;
const PROMETHEUS_PORT = 9463;

test('COLLM_METRICS_ADDRESS: off when unset, a bare port listens on loopback only, another host only when written out; the count interval', () => {
  assert.equal(metricsBindAddress(undefined), undefined);
  assert.equal(metricsBindAddress(' '), undefined);
  assert.equal(metricsBindAddress('9464'), '127.0.0.1:9464');
  assert.equal(metricsBindAddress('127.0.0.1:9464'), '127.0.0.1:9464');
  assert.equal(metricsBindAddress('0.0.0.0:9464'), '0.0.0.0:9464');
  assert.equal(metricsBindAddress('[::1]:9464'), '[::1]:9464');
  for (const bad of ['0', '70000', 'localhost', ':9464', 'http://127.0.0.1:9464', '127.0.0.1:9464/metrics']) {
    assert.match(thrown(() => metricsBindAddress(bad)).message, /COLLM_METRICS_ADDRESS: .* is not a port or host:port/, bad);
  }
  // How often the searches are counted: 15 s unless told, never below a second, a bad value refused by name.
  assert.equal(searchCountIntervalMs({}), 15_000);
  assert.equal(searchCountIntervalMs({ COLLM_SEARCH_COUNT_INTERVAL_MS: '2000' }), 2000);
  for (const bad of ['999', '1.5s', 'often']) {
    assert.match(thrown(() => searchCountIntervalMs({ COLLM_SEARCH_COUNT_INTERVAL_MS: bad })).message, /^COLLM_SEARCH_COUNT_INTERVAL_MS: /, bad);
  }
});

test('Prometheus scrapes a control and an eval worker during a CoLLM-NAS search: evaluations, slots, LLM calls, searches, SDK metrics', async () => {
  let generatorCalls = 0;
  const fake = await startFakeLlm((req, i) => {
    if (req.role === 'navigator') return { content: STRATEGY_TEXT };
    // One 503: a failure of kind "server", retried by the activity's retry policy.
    if (++generatorCalls === 1) return { status: 503, error: 'the model is loading' };
    return { content: JSON.stringify({ candidates: cells(requestedCount(req), i) }) };
  });
  const q = queues('metrics');
  const workers: ChildWorker[] = [];
  let prometheus: Prometheus | undefined;
  try {
    // A bare port: loopback. The search counts refresh every second so the test sees them.
    const control = await spawnWorker('control', { NAS_CONTROL_TASK_QUEUE: q.control, COLLM_METRICS_ADDRESS: String(CONTROL_PORT), COLLM_SEARCH_COUNT_INTERVAL_MS: '1000' });
    workers.push(control);
    // Two slots, each evaluation 300 ms: the slot gauges have time to be seen busy.
    const evaluation = await spawnWorker('eval', {
      NAS_EVAL_TASK_QUEUE: q.eval,
      EVAL_DEVICES: 'slot:0,slot:1',
      EVAL_SIMULATE_MS: '300',
      EVAL_EVALUATORS: 'nb201-table,command',
      // node runs the flaky evaluation program below (a stand-in for a user's supernet script).
      COLLM_COMMAND_ALLOWED_PROGRAMS: process.execPath,
      COLLM_METRICS_ADDRESS: `127.0.0.1:${EVAL_PORT}`,
    });
    workers.push(evaluation);
    // Off by default: a worker without the variable listens nowhere.
    const quiet = await spawnWorker('eval', { NAS_EVAL_TASK_QUEUE: `${q.eval}-idle`, EVAL_EVALUATORS: 'nb201-table', COLLM_METRICS_ADDRESS: '' });
    workers.push(quiet);
    assert.deepEqual(listeningAddresses(control.child.pid!), [`127.0.0.1:${CONTROL_PORT}`]);
    assert.deepEqual(listeningAddresses(evaluation.child.pid!), [`127.0.0.1:${EVAL_PORT}`]);
    assert.deepEqual(listeningAddresses(quiet.child.pid!), []);
    assert.doesNotMatch(quiet.output(), /metrics:/);
    assert.match(control.output(), new RegExp(`metrics: http://127\\.0\\.0\\.1:${CONTROL_PORT}/metrics`));

    const prom = (prometheus = await startPrometheus(PROMETHEUS_PORT, { control: `127.0.0.1:${CONTROL_PORT}`, eval: `127.0.0.1:${EVAL_PORT}` }));
    const { sum } = prom;
    // Both scraped, and the slots all free before the search.
    await waitFor('both workers scraped', async () => ((await sum('up')) === 2 ? true : undefined), 30_000);
    await waitFor('2 free slots', async () => ((await sum('collm_device_slots_free{job="eval"}')) === 2 ? true : undefined), 30_000);
    assert.equal(await sum('collm_device_slots_busy{job="eval"}'), 0);

    const config = {
      budget: 20,
      batchSize: 10,
      seed: 3,
      strategy: 'collm',
      llm: { provider: 'openai', baseUrl: fake.baseUrl, model: 'fake', timeoutMs: 20_000 },
      evaluation: { taskQueue: q.eval },
      // A ranking stage on the eval worker: its scores are counted apart from the evaluations.
      rank: { by: 'nb201-table', pool: 20 },
    };
    const handle = await startSearch(env.client, config, { taskQueue: q.control, workflowId: uniqueId('metrics') });
    // While it runs, the busy gauge moves off 0 (Prometheus sees it at its 1 s scrapes).
    await waitFor('a busy slot', async () => ((await sum('collm_device_slots_busy{job="eval"}')) > 0 ? true : undefined), 60_000);
    const result = (await handle.result()) as SearchResult;
    assert.equal(result.evaluated, 20);

    // Evaluations: as many completed as the search evaluated, all started, none failed.
    const completed = 'collm_evaluations_completed{job="eval",evaluator="nb201-table",space="nb201"}';
    await waitFor('every evaluation counted', async () => ((await sum(completed)) === result.evaluated ? true : undefined), 30_000);
    assert.equal(await sum('collm_evaluations_started{job="eval"}'), result.evaluated);
    assert.equal(await sum('collm_evaluations_failed{job="eval"}'), 0);
    assert.equal(await sum('collm_evaluations_retried{job="eval"}'), 0);
    // The duration histogram by device: every evaluation in it, each at least the simulated 300 ms.
    const perDevice = await prom.series('sum by (device) (collm_evaluation_duration_seconds_count{job="eval"})');
    assert.deepEqual(perDevice.map((s) => s.metric.device).sort(), ['slot:0', 'slot:1']);
    assert.equal(perDevice.reduce((n, s) => n + s.value, 0), result.evaluated);
    assert.ok((await sum('collm_evaluation_duration_seconds_sum{job="eval"}')) >= 0.3 * result.evaluated);
    assert.equal(await sum('collm_evaluation_duration_seconds_bucket{job="eval",le="0.25"}'), 0, 'no evaluation under 0.25 s');
    // The ranking stage's candidates, scored on the same worker.
    assert.ok(result.ranking && result.ranking.scored >= 20, JSON.stringify(result.ranking));
    assert.equal(await sum('collm_rank_evaluations{job="eval",evaluator="nb201-table",outcome="ok"}'), result.ranking.scored);
    // A search whose evaluations fail for good: counted as failed, every attempt started is completed or failed.
    const failing = await startSearch(
      env.client,
      { budget: 5, strategy: 'random', constraint: { metric: 'latency', max: 10, device: 'hwnb_no_such_device' }, evaluation: { taskQueue: q.eval } },
      { taskQueue: q.control, workflowId: uniqueId('metrics-fail') },
    );
    await assert.rejects(failing.result());
    await waitFor('the failed evaluations counted', async () => ((await sum('collm_evaluations_failed{job="eval",evaluator="nb201-table"}')) > 0 ? true : undefined), 30_000);
    assert.equal(
      await sum('collm_evaluations_started{job="eval"}'),
      (await sum('collm_evaluations_completed{job="eval"}')) + (await sum('collm_evaluations_failed{job="eval"}')),
    );
    assert.equal(await sum('collm_evaluations_completed{job="eval",evaluator="nb201-table"}'), result.evaluated, 'the failing search completed none');
    // A program that fails each candidate once: every evaluation retried once, and counted so.
    const marks = mkdtempSync(join(tmpdir(), 'collm-flaky-'));
    const flaky = await startSearch(
      env.client,
      {
        budget: 3,
        batchSize: 3,
        strategy: 'random',
        evaluation: { taskQueue: q.eval, evaluator: 'command', options: { argv: [process.execPath, 'test/fixtures/command/flaky.mjs', marks] }, maximumAttempts: 2 },
      },
      { taskQueue: q.control, workflowId: uniqueId('metrics-retry') },
    );
    assert.equal(((await flaky.result()) as SearchResult).evaluated, 3);
    const command = '{job="eval",evaluator="command",space="nb201"}';
    await waitFor('the retries counted', async () => ((await sum(`collm_evaluations_completed${command}`)) === 3 ? true : undefined), 30_000);
    assert.equal(await sum(`collm_evaluations_retried${command}`), 3);
    assert.equal(await sum(`collm_evaluations_failed${command}`), 3, 'each first attempt failed');
    assert.equal(await sum(`collm_evaluations_started${command}`), 6);
    // The slots are free again, and were busy meanwhile (both at once, at some scrape).
    await waitFor('slots free again', async () => ((await sum('collm_device_slots_free{job="eval"}')) === 2 ? true : undefined), 30_000);
    assert.equal(await sum('collm_device_slots_busy{job="eval"}'), 0);
    assert.ok((await prom.value('max_over_time(sum(collm_device_slots_busy{job="eval"})[5m:1s])'))! >= 1);

    // LLM calls by purpose, as the endpoint saw them: the histogram holds each; the tokens are the endpoint's (100 in, 50 out a call).
    const seen = (role: string) => fake.seen.filter((s) => s.role === role).length;
    await waitFor('every LLM call counted', async () => ((await sum('collm_llm_calls{job="control"}')) === fake.seen.length ? true : undefined), 30_000);
    for (const purpose of ['navigator', 'generator']) {
      assert.equal(await sum(`collm_llm_calls{job="control",purpose="${purpose}",provider="openai"}`), seen(purpose), purpose);
      assert.equal(await sum(`collm_llm_latency_seconds_count{job="control",purpose="${purpose}"}`), seen(purpose), purpose);
    }
    assert.ok(seen('navigator') >= 1 && seen('generator') >= 2);
    const answered = fake.seen.length - 1;
    assert.equal(await sum('collm_llm_tokens_in{job="control"}'), 100 * answered);
    assert.equal(await sum('collm_llm_tokens_out{job="control"}'), 50 * answered);
    const failures = await prom.series('collm_llm_failures{job="control"}');
    assert.deepEqual(failures.map((s) => [s.metric.purpose, s.metric.kind, s.value]), [['generator', 'server', 1]]);

    // Searches by status, from visibility through the control worker; a paused one apart from the running ones.
    await waitFor('the searches counted by status', async () =>
      (await sum('collm_searches{job="control",status="Completed"}')) >= 1 && (await sum('collm_searches{job="control",status="Failed"}')) >= 1 ? true : undefined,
    30_000);
    assert.equal(await sum('collm_searches{job="control",status="Paused"}'), 0);
    const paused = await startSearch(env.client, { budget: 50, batchSize: 2, strategy: 'random', evaluation: { taskQueue: q.eval } }, { taskQueue: q.control, workflowId: uniqueId('metrics-paused') });
    await paused.signal(pauseSignal);
    // Running is what visibility lists as Running less the paused one (searches other tests left running included).
    const listedRunning = async () => (await env.client.workflow.count(`WorkflowType = 'nasSearch' AND ExecutionStatus = 'Running'`)).count;
    await waitFor('the paused search counted apart', async () =>
      (await sum('collm_searches{job="control",status="Paused"}')) === 1 && (await sum('collm_searches{job="control",status="Running"}')) === (await listedRunning()) - 1 ? true : undefined,
    30_000);
    await paused.signal(resumeSignal);
    await waitFor('the resumed search counted as running or done', async () => ((await sum('collm_searches{job="control",status="Paused"}')) === 0 ? true : undefined), 30_000);
    await paused.signal(stopSignal);
    await paused.result();

    // The SDK's own worker metrics come through the same endpoints (durations in seconds, names as the SDK gives them).
    assert.ok((await prom.series('temporal_worker_task_slots_available{job="eval",worker_type="ActivityWorker"}')).length > 0);
    assert.ok((await sum('temporal_activity_schedule_to_start_latency_count{job="eval"}')) >= 1);
    assert.ok((await sum('temporal_activity_execution_latency_count{job="eval"}')) >= 1);
    assert.ok((await sum('temporal_workflow_task_schedule_to_start_latency_count{job="control"}')) >= 1);

    // Every panel of the Grafana dashboard is a query Prometheus answers, with data after this search.
    const dashboard = JSON.parse(readFileSync('deploy/grafana/collm-nas.json', 'utf8')) as { panels: { type: string; title: string; targets?: { expr: string }[] }[] };
    const panels = dashboard.panels.filter((p) => p.type !== 'row');
    assert.ok(panels.length >= 10);
    const empty: string[] = [];
    for (const panel of panels) {
      let points = 0;
      for (const { expr } of panel.targets ?? []) points += (await prom.series(expr.replaceAll('$__rate_interval', '1m'))).length;
      if (points === 0) empty.push(panel.title);
    }
    assert.deepEqual(empty, [], 'dashboard panels with no data');
  } finally {
    await prometheus?.stop();
    await Promise.all(workers.map((w) => w.kill9()));
    await fake.close();
  }
});
