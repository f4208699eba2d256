/**
 * The Python eval worker (python/collm_eval) against the TypeScript side: the
 * same contract (schemas generated from zod, agreeing value by value), the
 * same table numbers and failure messages, and a real search on the dev
 * server whose evaluations only the Python worker serves.
 * Needs the worker's environment: bash scripts/python-env.sh (setup creates it).
 */
import assert from 'node:assert/strict';
import { execFile, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { after, test } from 'node:test';
import { promisify } from 'node:util';
import { WorkflowFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { SCHEMA_DIR, generateSchemas } from '../scripts/gen-schemas';
import { MAX_MESSAGE_CHARS, boundMessage } from '../src/activities/eval-failure';
import { createEvalActivities } from '../src/activities/evaluate';
import { startSearch } from '../src/client/search';
import { createEvaluators } from '../src/evaluators';
import { evalRequestSchema, evalResultSchema } from '../src/evaluators/contract';
import { Nb201Table } from '../src/evaluators/nb201/table';
import type { SearchResult } from '../src/search/summary';
import type { EvalResult } from '../src/search/types';
import { nb201Space, parseNb201 } from '../src/spaces/nb201';
import { createControlWorker } from '../src/workers/control';
import { createEvalWorker } from '../src/workers/eval';
import { ADDRESS, TABLE_PATH, nb201Table, queues, runInProcess, thrown, uniqueId, useTemporal, waitFor } from './helpers';
import { listeningAddresses } from './listening';
import { startPrometheus } from './prometheus';

const env = useTemporal();
const PYTHON = resolve('.tools/python/bin/python');
const SETUP = 'bash scripts/python-env.sh';
const pythonEnv = { ...process.env, NB201_TABLE: TABLE_PATH, PYTHONDONTWRITEBYTECODE: '1', PYTHONUNBUFFERED: '1' };

/** The venv is part of setup: without it the test fails and says how to make it (it never skips). */
function python(): string {
  if (!existsSync(PYTHON)) assert.fail(`the Python eval worker's environment is missing (${PYTHON}); create it with: ${SETUP}`);
  return PYTHON;
}

/** Runs `python -m collm_eval.selftest ...args` and parses its JSON output. */
function selftest<T>(args: string[] = [], input?: unknown): T {
  const run = spawnSync(python(), ['-m', 'collm_eval.selftest', ...args], {
    env: pythonEnv,
    encoding: 'utf8',
    maxBuffer: 64 << 20,
    ...(input !== undefined ? { input: JSON.stringify(input) } : {}),
  });
  assert.equal(run.status, 0, `collm_eval.selftest ${args.join(' ')} failed:\n${run.stderr}`);
  return JSON.parse(run.stdout) as T;
}

test('the committed JSON Schemas are the ones generated from the zod contract', () => {
  for (const [file, text] of Object.entries(generateSchemas())) {
    const path = join(SCHEMA_DIR, file);
    assert.ok(existsSync(path), `${path} is missing: run npm run schemas`);
    assert.equal(readFileSync(path, 'utf8'), text, `${file} is stale: run npm run schemas and commit the result`);
  }
});

test('Python (JSON Schema) and TypeScript (zod) accept and refuse the same requests and results', () => {
  const request = { evaluator: 'nb201-table', options: {}, space: 'nb201', dataset: 'cifar10', arch: '|none~0|+|none~0|none~1|+|none~0|none~1|none~2|' };
  const result = { valAcc: 91.5, testAcc: 90, cost: { flopsM: 10, paramsM: 0.5 } };
  const requests: unknown[] = [
    request,
    { ...request, latencyDevice: 'hwnb_pixel3', options: { nested: { any: [1, 'x'] } } },
    { ...request, arch: '' },
    { ...request, latencyDevice: '' },
    { ...request, extra: true },
    { ...request, options: [] },
    { ...request, options: null },
    { ...request, evaluator: 7 },
    Object.fromEntries(Object.entries(request).filter(([k]) => k !== 'space')),
    null,
    'nb201-table',
  ];
  const results: unknown[] = [
    result,
    { ...result, cost: { ...result.cost, latencyMs: 3.2 }, device: 'cuda:0', ms: 12, metrics: { top5: 99 }, log: 'ok' },
    { valAcc: 1, cost: { flopsM: 0, paramsM: 0 } },
    { ...result, cost: { flopsM: -1, paramsM: 1 } },
    { ...result, cost: { ...result.cost, watts: 3 } },
    { ...result, accuracy: 1 },
    { ...result, testAcc: '90' },
    { ...result, ms: -1 },
    { ...result, metrics: { top5: 'high' } },
    { ...result, log: 'x'.repeat(8193) },
    { ...result, device: 0 },
    { testAcc: 90, cost: result.cost },
  ];
  const samples = [
    ...requests.map((value) => ({ schema: 'eval-request', value, zod: evalRequestSchema.safeParse(value).success })),
    ...results.map((value) => ({ schema: 'eval-result', value, zod: evalResultSchema.safeParse(value).success })),
  ];
  const problems = selftest<string[][]>(['--check-contract'], samples);
  samples.forEach((s, i) => {
    assert.equal(problems[i]!.length === 0, s.zod, `${s.schema} ${JSON.stringify(s.value).slice(0, 120)}: zod ${s.zod ? 'accepts' : 'refuses'}, Python says ${JSON.stringify(problems[i])}`);
  });
  assert.ok(samples.some((s) => s.zod) && samples.some((s) => !s.zod));
});

test('the Python table lookup gives exactly the TypeScript numbers and keys for all 15,625 architectures', () => {
  const dump = selftest<{ archs: string[]; keys: string[]; lookups: Record<string, EvalResult[]>; pixel3: number[] }>(['--dump-nb201']);
  assert.equal(dump.archs.length, 15_625);
  const table = nb201Table();
  dump.archs.forEach((arch, i) => {
    assert.equal(dump.keys[i], nb201Space.key(parseNb201(arch)), `key of ${arch}`);
    for (const [dataset, results] of Object.entries(dump.lookups)) assert.deepEqual(results[i], table.lookup(arch, dataset), `${dataset} ${arch}`);
    assert.equal(dump.pixel3[i], table.lookup(arch, 'cifar10', 'hwnb_pixel3').cost.latencyMs, `latency of ${arch}`);
  });
  assert.deepEqual(Object.keys(dump.lookups), ['cifar10', 'cifar100', 'imagenet16']);
});

type Failure = { type: string; message: string; nonRetryable: boolean };
type CacheCheck = { ran: true; device: string; problems: string[] } | { ran: false; missing: string };
type Report = {
  refusals: Record<string, Failure>;
  served: EvalResult;
  imageCache: { oneFill: { decodes: number }; environment: { describe: string } };
  ofaCacheCheck: CacheCheck;
};
let report: Report | undefined;
/** The selftest's report (it takes seconds: run once for the tests that read it). */
const selftestReport = (): Report => (report ??= selftest<Report>());

test('the Python activity refuses what it cannot serve, with the TypeScript messages and retry semantics', () => {
  const { refusals, served } = selftestReport();
  const badArch = '|conv~0|+|none~0|none~1|+|none~0|none~1|none~2|';
  const same = (name: string, type: string, err: Error): void => {
    assert.deepEqual(refusals[name], { type, message: err.message, nonRetryable: true }, name);
  };
  same('illegalArch', 'ArchitectureError', thrown(() => parseNb201(badArch)));
  same('unknownDataset', 'TableError', thrown(() => nb201Table().lookup(badArch.replace('conv', 'none'), 'mnist')));
  same('unknownLatencyDevice', 'TableError', thrown(() => nb201Table().lookup(badArch.replace('conv', 'none'), 'cifar10', 'no_such_device')));
  same('missingTable', 'TableError', thrown(() => Nb201Table.load('/nonexistent/nb201.csv')));
  // A malformed request is refused before any evaluator runs, naming each problem.
  assert.equal(refusals.badRequest!.type, 'BadEvalRequest');
  assert.equal(refusals.badRequest!.nonRetryable, true);
  assert.match(refusals.badRequest!.message, /^evaluate: bad request: .*'arch' is a required property.*'extra' was unexpected.*dataset: '' should be non-empty/);
  assert.match(refusals.unknownEvaluator!.message, /^evaluation\.evaluator: this eval worker has no evaluator 'no-such' \(it serves nb201-table\)$/);
  // ofa-supernet needs torch, ofa and ImageNet: the refusal says which is missing (torch here, ImageNet where requirements-gpu.txt is installed).
  assert.match(refusals.ofaNotServed!.message, /not served here: ofa-supernet: (torch is not installed on this eval worker; install PyTorch|no ImageNet: set IMAGENET_DIR)/);
  // Other failures are retried, as the TypeScript activity lets them be.
  assert.equal(refusals.crash!.nonRetryable, false);
  assert.equal(refusals.retryableEvaluationError!.nonRetryable, false);
  assert.deepEqual(refusals.nonFiniteResult!.type, 'BadEvalResult');
  assert.equal(served.device, 'cuda:7');
});

test("ofa-supernet's image cache: its rules, and with PyTorch the same numbers cached or not", () => {
  const { imageCache, ofaCacheCheck } = selftestReport();
  // The rules (one decode for evaluations asking at once, limits, eviction) are asserted in Python.
  assert.equal(imageCache.oneFill.decodes, 1);
  assert.equal(imageCache.environment.describe, 'image cache 0.0 of 40.0 GiB in cuda:0, 0.0 of 32.0 GiB in host memory');
  if (ofaCacheCheck.ran) {
    assert.deepEqual(ofaCacheCheck.problems, []);
    return;
  }
  // Without PyTorch (CI) the check cannot run: it says what is missing, and it is missing indeed,
  // so a machine with PyTorch never passes here without running it.
  const missing = ofaCacheCheck.missing;
  assert.ok(['torch', 'torchvision', 'ofa', 'gdown'].includes(missing), missing);
  const probe = spawnSync(python(), ['-c', `import ${missing}`], { env: pythonEnv, encoding: 'utf8' });
  assert.notEqual(probe.status, 0, `${missing} imports, yet the selftest did not run the cache check`);
});

/** How the TypeScript activity refuses `request` (refused before any evaluator runs). */
async function tsRefusal(request: unknown): Promise<Failure> {
  const { served } = createEvaluators({ 'nb201-table': { table: TABLE_PATH } }, ['nb201-table']);
  const err = await createEvalActivities({ evaluators: served, devices: ['slot:0'] })
    .evaluate(request as never)
    .then(
      () => assert.fail('expected a refusal'),
      (e: unknown) => e,
    );
  assert.ok(err instanceof ApplicationFailure, String(err));
  return { type: err.type!, message: err.message, nonRetryable: err.nonRetryable! };
}

test('hostile requests: the Python activity refuses them for good in the TypeScript words, messages bounded', async () => {
  const { refusals } = selftestReport();
  const good = { evaluator: 'nb201-table', options: {}, space: 'nb201', dataset: 'cifar100', arch: '|nor_conv_3x3~0|+|nor_conv_3x3~0|avg_pool_3x3~1|+|skip_connect~0|nor_conv_3x3~1|skip_connect~2|' };
  let deep: Record<string, unknown> = { a: 1 };
  for (let i = 1; i < 10_000; i++) deep = { a: deep };
  // A 10 MB arch: quoted cut, with its length, as the TypeScript worker bounds the same parser error.
  const hugeArch = refusals.hugeArch!;
  assert.deepEqual(hugeArch, { type: 'ArchitectureError', message: boundMessage(thrown(() => parseNb201('x'.repeat(10_000_000))).message), nonRetryable: true });
  assert.ok(hugeArch.message.length <= MAX_MESSAGE_CHARS);
  assert.match(hugeArch.message, /'x{100}…' \(10,000,000 characters\)/);
  // Nested 10,000 deep, as JSON text (past json.loads's recursion limit) and as a value; prototype keys.
  const tooDeep = await tsRefusal({ ...good, options: deep });
  assert.match(tooDeep.message, /^evaluate: bad request: options(\.a){31}: nested more than 32 levels deep/);
  assert.deepEqual(refusals.deepOptions, tooDeep);
  assert.deepEqual(refusals.deepOptionsValue, tooDeep);
  // As the worker decodes it: JSON.parse makes `__proto__` an own key.
  assert.deepEqual(refusals.protoKey, await tsRefusal({ ...good, options: JSON.parse('{"x": [{"__proto__": {"a": 1}}]}') as object }));
  assert.deepEqual(refusals.constructorKey, await tsRefusal({ ...good, options: { constructor: { prototype: 1 } } }));
  assert.equal(refusals.protoKey!.type, 'BadEvalRequest');
  assert.deepEqual(refusals.hugeUnknownEvaluator, await tsRefusal({ ...good, evaluator: 'e'.repeat(10_000_000) }));
  // Bytes that are not JSON: refused for good (the SDK's own decoding retried them).
  assert.match(refusals.notJson!.message, /^evaluate: bad request: not JSON \(/);
  assert.equal(refusals.notJson!.nonRetryable, true);
  // A crash quoting 10 MB is still retried, its message bounded.
  assert.equal(refusals.hugeCrash!.nonRetryable, false);
  assert.match(refusals.hugeCrash!.message, /^evaluator said: y{100}… \(10,000,000 characters\)$/);
});

interface PythonWorker {
  child: ChildProcess;
  output(): string;
  /** SIGTERM (graceful shutdown), then SIGKILL if it has not exited after `ms`; resolves to its exit code. */
  stop(ms?: number): Promise<number | null>;
}

/** `python -m collm_eval` as its own process, resolved once it polls. */
async function startPythonWorker(evalQueue: string, extraEnv: Record<string, string> = {}): Promise<PythonWorker> {
  const child = spawn(python(), ['-m', 'collm_eval'], {
    env: {
      ...pythonEnv,
      TEMPORAL_ADDRESS: ADDRESS,
      TEMPORAL_NAMESPACE: 'default',
      NAS_EVAL_TASK_QUEUE: evalQueue,
      EVAL_DEVICES: Array.from({ length: 10 }, (_, i) => `slot:${i}`).join(','),
      ...extraEnv,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((done) => child.once('exit', (code) => done(code)));
  await new Promise<void>((ready, fail) => {
    const timer = setTimeout(() => fail(new Error(`the Python worker did not start in 60 s:\n${out}`)), 60_000);
    child.stdout!.on('data', () => {
      if (out.includes('polling')) {
        clearTimeout(timer);
        ready();
      }
    });
    void exited.then((code) => {
      clearTimeout(timer);
      fail(new Error(`the Python worker exited with ${code}:\n${out}`));
    });
  });
  return {
    child,
    output: () => out,
    async stop(ms = 35_000) {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), ms);
        await exited;
        clearTimeout(timer);
      }
      return exited;
    },
  };
}

// One Python worker serves the searches below; the control worker runs in this process.
const q = queues('python');
let worker: Promise<PythonWorker> | undefined;
const pythonWorker = (): Promise<PythonWorker> => (worker ??= startPythonWorker(q.eval));
after(async () => {
  await (await worker?.catch(() => undefined))?.stop(5_000);
});

async function search(config: Record<string, unknown>, prefix: string): Promise<SearchResult> {
  await pythonWorker();
  const control = await createControlWorker({ connection: env.native, taskQueue: q.control });
  return control.runUntil(async () => {
    const handle = await startSearch(env.client, config, { taskQueue: q.control, workflowId: uniqueId(prefix) });
    return (await handle.result()) as SearchResult;
  });
}

test('a TypeScript search whose evaluations the Python worker serves equals the in-process run', async () => {
  const config = { budget: 40, batchSize: 8, strategy: 'evolution', seed: 3, dataset: 'cifar100' };
  const result = await search({ ...config, evaluation: { taskQueue: q.eval } }, 'py-e2e');
  assert.equal(result.evaluated, 40);
  // History entries hold what the search records (no device or timing), so the whole result compares.
  assert.deepEqual(result, await runInProcess(config));
  assert.match((await pythonWorker()).output(), /eval worker \(python\): polling python-eval-\w+ with devices slot:0, .*slot:9/);
});

test("a failure no retry can fix ends the search with the Python evaluator's message", async () => {
  await pythonWorker(); // its own failure to start is not the failure this test expects
  const failed = await search(
    { budget: 5, strategy: 'random', constraint: { metric: 'latency', max: 10, device: 'hwnb_no_such_device' }, evaluation: { taskQueue: q.eval } },
    'py-faildev',
  ).then(
    () => assert.fail('expected the search to fail'),
    (e: unknown) => e,
  );
  assert.ok(failed instanceof WorkflowFailedError);
  const cause = failed.cause as Error & { type?: string };
  assert.equal(cause.type, 'TableError');
  assert.match(cause.message, /constraint\.device: unknown device 'hwnb_no_such_device'; use one of .*hwnb_pixel3/);
});

test('hostile requests through the server: both workers refuse them for good, in the same words', async () => {
  type Outcome = { retryState: string | null; type: string | null; nonRetryable?: boolean; length?: number; message: string };
  const hostile = async (queue: string): Promise<Record<string, Outcome>> => {
    const { stdout } = await promisify(execFile)(python(), ['-m', 'collm_eval.selftest_hostile', ADDRESS, queue], { env: pythonEnv, maxBuffer: 16 << 20 });
    return JSON.parse(stdout) as Record<string, Outcome>;
  };
  await pythonWorker();
  const fromPython = await hostile(q.eval);
  const tsQueue = queues('hostile-ts').eval;
  const worker = await createEvalWorker({ connection: env.native, taskQueue: tsQueue, devices: ['slot:0', 'slot:1'], evaluators: { 'nb201-table': { table: TABLE_PATH } }, serve: ['nb201-table'] });
  const fromTs = await worker.runUntil(hostile(tsQueue));
  for (const [name, type] of [['hugeArch', 'ArchitectureError'], ['deepOptions', 'BadEvalRequest'], ['protoKey', 'BadEvalRequest']] as const) {
    const py = fromPython[name]!;
    // Not retried: before, the 1.5 MB message was refused by the server ("Failure exceeds size limit.")
    // and the deep options failed the Python SDK's decoding, retried to the last attempt.
    assert.deepEqual([py.retryState, py.type, py.nonRetryable], ['NON_RETRYABLE_FAILURE', type, true], `${name}: ${JSON.stringify(py)}`);
    assert.ok(py.length! <= MAX_MESSAGE_CHARS, `${name}: ${py.length} characters`);
    assert.deepEqual(fromTs[name], py, name);
  }
  assert.match(fromPython.hugeArch!.message, /\(1,500,000 characters\)/);
  // Bytes that are not JSON: the Python worker decodes them itself and refuses them for good. The
  // TypeScript SDK decodes before the activity runs: it fails them retryably (SyntaxError).
  assert.deepEqual([fromPython.notJson!.retryState, fromPython.notJson!.type], ['NON_RETRYABLE_FAILURE', 'BadEvalRequest']);
});

test('SIGTERM shuts the Python worker down cleanly', async () => {
  const w = await pythonWorker();
  assert.equal(await w.stop(), 0, w.output());
});

test("the Python worker's Prometheus endpoint: on a bare port it listens on loopback, and counts evaluations and slots as the TypeScript worker does", async () => {
  // Ports of this suite's metrics range (9460-9480).
  const q2 = queues('pymetrics');
  const py = await startPythonWorker(q2.eval, { COLLM_METRICS_ADDRESS: '9466', EVAL_DEVICES: 'slot:0,slot:1', EVAL_SIMULATE_MS: '500' });
  const prom = await startPrometheus(9467, { 'eval-python': '127.0.0.1:9466' }).catch(async (err: unknown) => {
    await py.stop(5_000);
    throw err;
  });
  try {
    assert.deepEqual(listeningAddresses(py.child.pid!), ['127.0.0.1:9466']);
    assert.match(py.output(), /metrics: http:\/\/127\.0\.0\.1:9466\/metrics/);
    const { sum } = prom;
    await waitFor('2 free slots', async () => ((await sum('collm_device_slots_free')) === 2 ? true : undefined), 30_000);
    const control = await createControlWorker({ connection: env.native, taskQueue: q2.control });
    const config = { budget: 12, batchSize: 4, strategy: 'evolution', seed: 5, evaluation: { taskQueue: q2.eval } };
    const handle = await control.runUntil(async () => {
      const h = await startSearch(env.client, config, { taskQueue: q2.control, workflowId: uniqueId('py-metrics') });
      // The slots are seen busy while it runs (500 ms an evaluation, a scrape a second).
      await waitFor('a busy slot', async () => ((await sum('collm_device_slots_busy')) > 0 ? true : undefined), 60_000);
      await h.result();
      return h;
    });
    const result = (await handle.result()) as SearchResult;
    const completed = 'collm_evaluations_completed{evaluator="nb201-table",space="nb201"}';
    await waitFor('every evaluation counted', async () => ((await sum(completed)) === result.evaluated ? true : undefined), 30_000);
    assert.equal(await sum('collm_evaluations_started'), result.evaluated);
    const perDevice = await prom.series('sum by (device) (collm_evaluation_duration_seconds_count)');
    assert.deepEqual(perDevice.map((s) => s.metric.device).sort(), ['slot:0', 'slot:1']);
    assert.equal(await sum('collm_evaluation_duration_seconds_bucket{le="0.25"}'), 0, 'each took at least the simulated 500 ms');
    await waitFor('slots free again', async () => ((await sum('collm_device_slots_busy')) === 0 ? true : undefined), 30_000);
    // The SDK's worker metrics, durations in seconds as on the TypeScript workers.
    assert.ok((await sum('temporal_activity_execution_latency_count')) >= 1);
  } finally {
    await prom.stop();
    await py.stop(5_000);
  }
});
