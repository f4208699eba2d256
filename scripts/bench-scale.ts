/**
 * How a search scales with its length and with many at once.
 *   npm run bench:scale [-- --budget 5000 --ofa 5000 --searches 20 --search-budget 500 --port 7345]
 *
 * 1. Payload sizes, in process (no server): the result and the state carried
 *    across continue-as-new of a `--budget`-evaluation NAS-Bench-201 search
 *    and an `--ofa`-evaluation OFA (ofa-mbv3-w12, predictor) search, with
 *    every evaluation in them (as before they were bounded) and now.
 * 2. One `--budget`-evaluation NAS-Bench-201 search through Temporal, over
 *    several continue-as-new runs (`--can-events`, default the server's
 *    suggestion): per run its history events and bytes, per evaluation, the
 *    largest payload, the carried input, and the time to replay it.
 * 3. `--searches` searches of `--search-budget` evaluations at once on one
 *    dev server, one control worker and two eval workers, each a process of
 *    its own: evaluations per second, and each worker's memory sampled over
 *    time (RSS, and the main thread's heap after a full GC).
 * Prints markdown tables. The workers and the dev server are stopped at the end.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { DefaultLogger, NativeConnection, Runtime, Worker } from '@temporalio/worker';
import { startSearch } from '../src/client/search';
import { resolveSearchConfig } from '../src/config/resolve';
import { createEvaluators } from '../src/evaluators';
import { Nb201Table, resolveNb201Table } from '../src/evaluators/nb201-table';
import { fetchRuns } from '../src/report';
import { NAS_EVALUATED } from '../src/search-attributes';
import { packState, unpackState } from '../src/search/pack';
import { createEngine } from '../src/search/search';
import type { SearchResult } from '../src/search/summary';
import type { Candidate, EvalResult, SearchConfig, SearchState } from '../src/search/types';
import { ensureDevServer } from '../src/temporal/dev-server';
import { WORKFLOW_BUNDLE } from '../src/temporal/paths';
import { createControlWorker } from '../src/workers/control';
import { createEvalWorker } from '../src/workers/eval';
import { buildWorkflowBundle } from './build-workflows';

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1]! : fallback;
}

const kb = (bytes: number): string => (bytes / 1024).toFixed(bytes < 10 * 1024 ? 1 : 0);
const mb = (bytes: number): string => (bytes / 1024 / 1024).toFixed(1);
const json = (x: unknown): number => Buffer.byteLength(JSON.stringify(x));

function table(header: string[], rows: string[][]): string {
  return [`| ${header.join(' | ')} |`, `|${header.map(() => '---').join('|')}|`, ...rows.map((r) => `| ${r.join(' | ')} |`)].join('\n');
}

// ---------------------------------------------------------------- 1. sizes in process

/** Runs a search in this process and returns its final state (what the workflow holds at its end). */
async function finalState(config: SearchConfig, evaluate: (c: Candidate) => EvalResult | Promise<EvalResult>): Promise<SearchState> {
  const engine = createEngine(config);
  let state = engine.init();
  while (!engine.stopReason(state)) {
    const proposed = await engine.propose(state);
    state = proposed.state;
    if (proposed.candidates.length === 0) continue;
    const before = state.evaluated.length;
    state = engine.record(state, proposed.candidates, await Promise.all(proposed.candidates.map(evaluate)));
    if (!engine.stopReason(state)) state = await engine.observe(state, state.evaluated.slice(before));
  }
  return state;
}

function sizeRow(name: string, config: SearchConfig, state: SearchState): string[] {
  const unbounded = createEngine({ ...config, resultHistory: Number.MAX_SAFE_INTEGER }).summarize(state, 'budget');
  const bounded = createEngine(config).summarize(state, 'budget');
  const carriedBefore = { config, state, paused: false, stopRequested: false, runs: 1, hints: [] };
  const t0 = performance.now();
  const packed = packState(state);
  const t1 = performance.now();
  const back = unpackState(JSON.parse(JSON.stringify(packed)));
  const t2 = performance.now();
  if (JSON.stringify(back) !== JSON.stringify(state)) throw new Error(`${name}: the packed state does not come back exactly`);
  const carriedNow = { config, ...packed, paused: false, stopRequested: false, runs: 1, hints: [] };
  const fixed = json({ ...carriedNow, packed: undefined });
  const perEval = (json(carriedNow) - fixed) / state.evaluated.length;
  return [
    name,
    String(state.evaluated.length),
    kb(json(unbounded)),
    `${kb(json(bounded))} (${bounded.history.length} listed)`,
    kb(json(carriedBefore)),
    kb(json(carriedNow)),
    ((json(carriedBefore) - fixed) / state.evaluated.length).toFixed(0),
    perEval.toFixed(0),
    `${(t1 - t0).toFixed(0)} / ${(t2 - t1).toFixed(0)}`,
    Math.floor((1024 * 1024 - fixed) / perEval).toLocaleString('en-US'),
  ];
}

async function payloadSizes(budget: number, ofaBudget: number): Promise<string> {
  const rows: string[][] = [];
  const nb201 = Nb201Table.load(resolveNb201Table());
  for (const strategy of ['evolution', 'random']) {
    const config = resolveSearchConfig({ budget, strategy, dataset: 'cifar10', seed: 1 });
    rows.push(sizeRow(`NB201 ${strategy}`, config, await finalState(config, (c) => nb201.lookup(c.arch, config.dataset))));
  }
  let note = '';
  try {
    const predictor = createEvaluators({}, ['ofa-predictor']).served.get('ofa-predictor')!;
    const context = { device: 'cpu', heartbeat: () => {}, sleep: async () => {}, signal: new AbortController().signal };
    for (const [strategy, constraint] of [['evolution', { metric: 'flops', max: 400 }], ['random', undefined]] as const) {
      const config = resolveSearchConfig({ space: 'ofa-mbv3-w12', budget: ofaBudget, strategy, seed: 1, ...(constraint ? { constraint } : {}) });
      const state = await finalState(config, (c) =>
        predictor.evaluate({ evaluator: 'ofa-predictor', options: {}, space: config.space, dataset: config.dataset, arch: c.arch }, context),
      );
      rows.push(sizeRow(`OFA w1.2 ${strategy}${constraint ? ' ≤400 MFLOPs' : ''}`, config, state));
    }
  } catch (err) {
    note = `\nOFA rows left out: ${(err as Error).message.split('\n')[0]}`;
  }
  return (
    '### Payload sizes (in process)\n\n' +
    table(
      ['search', 'evaluations', 'result with every evaluation KB', 'result now KB', 'carried state before KB', 'carried state now KB', 'carried bytes/eval before', 'carried bytes/eval now', 'pack+check / unpack ms', 'evaluations until 1 MB carried'],
      rows,
    ) +
    note
  );
}

// ---------------------------------------------------------------- worker processes

interface MemorySample {
  t: number;
  rss: number;
  heap: number;
}

interface WorkerProcess {
  name: string;
  child: ChildProcess;
  samples: MemorySample[];
  stop(): Promise<void>;
}

/** This script as a worker process (`--role control|eval`), which prints its memory every second after a full GC. */
async function spawnWorker(name: string, role: 'control' | 'eval', address: string, queue: string): Promise<WorkerProcess> {
  const child = spawn(process.execPath, ['--expose-gc', '--import', 'tsx', __filename, '--role', role, '--address', address, '--queue', queue], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const samples: MemorySample[] = [];
  let out = '';
  let buffered = '';
  child.stdout!.on('data', (d: Buffer) => {
    buffered += d.toString();
    const lines = buffered.split('\n');
    buffered = lines.pop()!;
    for (const line of lines) {
      if (line.startsWith('{"mem"')) samples.push((JSON.parse(line) as { mem: MemorySample }).mem);
      else out += line + '\n';
    }
  });
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${name} did not start in 120 s:\n${out}`)), 120_000);
    const poll = setInterval(() => {
      if (out.includes('polling')) {
        clearTimeout(timer);
        clearInterval(poll);
        resolve();
      }
    }, 100);
    child.once('exit', (code) => {
      clearTimeout(timer);
      clearInterval(poll);
      reject(new Error(`${name} exited with ${code}:\n${out}`));
    });
  });
  return {
    name,
    child,
    samples,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        const kill = setTimeout(() => child.kill('SIGKILL'), 40_000);
        child.once('exit', () => {
          clearTimeout(kill);
          resolve();
        });
        child.kill('SIGTERM');
      }),
  };
}

async function runWorkerRole(role: string): Promise<void> {
  Runtime.install({ logger: new DefaultLogger('ERROR') });
  const connection = await NativeConnection.connect({ address: arg('address', '') });
  const taskQueue = arg('queue', '');
  const worker =
    role === 'control'
      ? await createControlWorker({ connection, taskQueue, workflowBundlePath: WORKFLOW_BUNDLE })
      : await createEvalWorker({
          connection,
          taskQueue,
          devices: Array.from({ length: 10 }, (_, i) => `slot${i}`),
          evaluators: { 'nb201-table': { table: resolveNb201Table() } },
          serve: ['nb201-table'],
        });
  const gc = (globalThis as { gc?: () => void }).gc;
  const timer = setInterval(() => {
    gc?.();
    const m = process.memoryUsage();
    process.stdout.write(JSON.stringify({ mem: { t: Date.now(), rss: m.rss, heap: m.heapUsed } }) + '\n');
  }, 1000);
  for (const signal of ['SIGTERM', 'SIGINT'] as const) process.on(signal, () => worker.shutdown());
  console.log(`${role} worker polling ${taskQueue}`);
  await worker.run();
  clearInterval(timer);
  await connection.close();
}

// ---------------------------------------------------------------- 2. one long search

function largestPayload(event: temporal.api.history.v1.IHistoryEvent): number {
  let largest = 0;
  const walk = (x: unknown): void => {
    if (x === null || typeof x !== 'object') return;
    if (x instanceof Uint8Array) return;
    const p = x as { data?: unknown; metadata?: unknown };
    if (p.data instanceof Uint8Array && p.metadata !== undefined) largest = Math.max(largest, p.data.length);
    for (const v of Object.values(x)) walk(v);
  };
  walk(event);
  return largest;
}

const eventName = (e: temporal.api.history.v1.IHistoryEvent): string =>
  (temporal.api.enums.v1.EventType[e.eventType ?? 0] ?? '?').replace(/^EVENT_TYPE_/, '').toLowerCase().replace(/_(\w)/g, (_, c: string) => c.toUpperCase());

async function longSearch(client: Client, queues: { control: string; eval: string }, budget: number, canEvents: number | undefined): Promise<string> {
  const id = `scale-long-${Date.now()}`;
  const t0 = performance.now();
  const handle = await startSearch(
    client,
    { budget, strategy: 'evolution', batchSize: 10, seed: 1, dataset: 'cifar10', ...(canEvents ? { continueAsNewAfterEvents: canEvents } : {}), evaluation: { taskQueue: queues.eval } },
    { taskQueue: queues.control, workflowId: id },
  );
  const result = (await handle.result()) as SearchResult;
  const wall = (performance.now() - t0) / 1000;
  const runs = await fetchRuns(client, id);

  // Replays on one worker: the first history twice, so that no run's time includes the worker's start.
  const histories = [runs[0]!, ...runs].map((r, i) => ({ workflowId: `${id}-${i}`, history: { events: [...r.events] } }));
  const replayMs: number[] = [];
  let last = performance.now();
  for await (const r of Worker.runReplayHistories({ workflowBundle: { codePath: WORKFLOW_BUNDLE }, replayName: 'bench-scale' }, histories)) {
    if (r.error) throw new Error(`run ${r.workflowId} does not replay: ${String(r.error)}`);
    const now = performance.now();
    replayMs.push(now - last);
    last = now;
  }
  replayMs.shift();

  const rows: string[][] = [];
  let totalEvents = 0;
  let totalBytes = 0;
  let totalEvaluations = 0;
  let largest = { bytes: 0, where: '' };
  for (const [i, run] of runs.entries()) {
    const events = run.events;
    const bytes = temporal.api.history.v1.History.encode({ events: [...events] }).finish().length;
    const evaluations = events.filter((e) => e.activityTaskCompletedEventAttributes).length;
    const carried = events[0]?.workflowExecutionStartedEventAttributes?.input?.payloads?.[1]?.data?.length ?? 0;
    let runLargest = { bytes: 0, where: '' };
    for (const e of events) {
      const b = largestPayload(e);
      if (b > runLargest.bytes) runLargest = { bytes: b, where: eventName(e) };
    }
    if (runLargest.bytes > largest.bytes) largest = { bytes: runLargest.bytes, where: `run ${i + 1}, ${runLargest.where}` };
    totalEvents += events.length;
    totalBytes += bytes;
    totalEvaluations += evaluations;
    rows.push([
      String(i + 1),
      String(evaluations),
      String(events.length),
      kb(bytes),
      (events.length / evaluations).toFixed(2),
      (bytes / evaluations).toFixed(0),
      carried ? kb(carried) : '-',
      `${kb(runLargest.bytes)} (${runLargest.where})`,
      replayMs[i]!.toFixed(0),
    ]);
  }
  rows.push([
    'all',
    String(totalEvaluations),
    String(totalEvents),
    kb(totalBytes),
    (totalEvents / totalEvaluations).toFixed(2),
    (totalBytes / totalEvaluations).toFixed(0),
    '',
    `${kb(largest.bytes)} (${largest.where})`,
    replayMs.reduce((a, b) => a + b, 0).toFixed(0),
  ]);
  const resultBytes = runs.at(-1)!.events.at(-1)?.workflowExecutionCompletedEventAttributes?.result?.payloads?.[0]?.data?.length ?? 0;
  // Activity results are evaluations; the config and warm start are a local activity (a marker), not counted.
  if (totalEvaluations !== result.evaluated) throw new Error(`histories hold ${totalEvaluations} evaluations, the result says ${result.evaluated}`);
  return (
    `### One ${budget.toLocaleString('en-US')}-evaluation NB201 search through Temporal (evolution, batches of 10${canEvents ? `, continue-as-new after ${canEvents} events` : ', continue-as-new when the server suggests'})\n\n` +
    table(['run', 'evaluations', 'events', 'history KB', 'events/eval', 'bytes/eval', 'carried input KB', 'largest payload KB', 'replay ms'], rows) +
    `\n\nResult payload: ${kb(resultBytes)} KB (history lists ${result.history.length} of ${result.evaluated}${result.historyTruncated ? ', truncated' : ''}); ` +
    `largest payload of the search: ${kb(largest.bytes)} KB (${largest.where}); ${runs.length} runs; wall ${wall.toFixed(0)} s, ${(result.evaluated / wall).toFixed(0)} evaluations/s.`
  );
}

// ---------------------------------------------------------------- 3. many at once

async function manySearches(client: Client, queues: { control: string; eval: string }, workers: WorkerProcess[], searches: number, budget: number, canEvents: number): Promise<string> {
  const prefix = `scale-many-${Date.now()}`;
  const from = Date.now();
  const progress: { t: number; evaluated: number }[] = [];
  let sampling = true;
  const sampler = (async () => {
    while (sampling) {
      let evaluated = 0;
      for await (const wf of client.workflow.list({ query: `WorkflowId STARTS_WITH "${prefix}" AND (ExecutionStatus = "Running" OR ExecutionStatus = "Completed")` })) {
        evaluated += wf.typedSearchAttributes.get(NAS_EVALUATED) ?? 0;
      }
      progress.push({ t: Date.now(), evaluated });
      await new Promise((r) => setTimeout(r, 2000));
    }
  })();
  const handles = await Promise.all(
    Array.from({ length: searches }, (_, i) =>
      startSearch(
        client,
        { budget, strategy: i % 2 ? 'random' : 'evolution', batchSize: 10, seed: i, dataset: 'cifar100', continueAsNewAfterEvents: canEvents, evaluation: { taskQueue: queues.eval } },
        { taskQueue: queues.control, workflowId: `${prefix}-${i}` },
      ),
    ),
  );
  const results = (await Promise.all(handles.map((h) => h.result()))) as SearchResult[];
  const wall = (Date.now() - from) / 1000;
  sampling = false;
  await sampler;
  let runs = 0;
  for await (const wf of client.workflow.list({ query: `WorkflowId STARTS_WITH "${prefix}"` })) runs += wf.status.name === 'CONTINUED_AS_NEW' || wf.status.name === 'COMPLETED' ? 1 : 0;
  const evaluated = results.reduce((a, r) => a + r.evaluated, 0);
  const finished = results.filter((r) => r.evaluated === budget).length;

  // Memory at evenly spaced moments of the run, each the sample nearest in time.
  const moments = 8;
  const nearest = (samples: MemorySample[], t: number): MemorySample | undefined =>
    samples.reduce<MemorySample | undefined>((best, s) => (!best || Math.abs(s.t - t) < Math.abs(best.t - t) ? s : best), undefined);
  const rows: string[][] = [];
  for (let k = 0; k <= moments; k++) {
    const t = from + ((Date.now() - from) * k) / moments;
    const done = progress.reduce<{ t: number; evaluated: number } | undefined>((best, p) => (!best || Math.abs(p.t - t) < Math.abs(best.t - t) ? p : best), undefined);
    rows.push([
      ((t - from) / 1000).toFixed(0),
      String(k === moments ? evaluated : (done?.evaluated ?? 0)),
      ...workers.map((w) => {
        const s = nearest(w.samples.filter((x) => x.t >= from), t);
        return s ? `${mb(s.rss)} / ${mb(s.heap)}` : '-';
      }),
    ]);
  }
  // Growth: mean of the last quarter of samples minus mean of the second quarter (after warm-up).
  const signed = (bytes: number): string => `${bytes >= 0 ? '+' : ''}${mb(bytes)}`;
  const mean = (xs: MemorySample[], f: (s: MemorySample) => number): number => xs.reduce((a, s) => a + f(s), 0) / Math.max(1, xs.length);
  const growth = workers.map((w) => {
    const during = w.samples.filter((x) => x.t >= from);
    const q = Math.max(1, Math.floor(during.length / 4));
    const early = during.slice(q, 2 * q);
    const late = during.slice(during.length - q);
    return `${signed(mean(late, (s) => s.rss) - mean(early, (s) => s.rss))} / ${signed(mean(late, (s) => s.heap) - mean(early, (s) => s.heap))}`;
  });
  rows.push(['growth, last quarter vs second', '', ...growth]);
  return (
    `### ${searches} searches at once (${budget} evaluations each, evolution and random, batches of 10, continue-as-new after ${canEvents} events)\n\n` +
    `${finished} of ${searches} finished with their whole budget; ${evaluated.toLocaleString('en-US')} evaluations in ${wall.toFixed(0)} s: ${(evaluated / wall).toFixed(0)} evaluations/s; ${runs} runs in all.\n` +
    'One control worker and two eval workers (10 slots each), each a process; memory as RSS / main-thread heap after a full GC, MB ' +
    '(workflows run in worker threads, whose heaps are in the RSS only).\n\n' +
    table(['t s', 'evaluated', ...workers.map((w) => w.name)], rows)
  );
}

// ---------------------------------------------------------------- main

async function main(): Promise<void> {
  const budget = Number(arg('budget', '5000'));
  const ofaBudget = Number(arg('ofa', '5000'));
  const searches = Number(arg('searches', '20'));
  const searchBudget = Number(arg('search-budget', '500'));
  const canEvents = arg('can-events', '') ? Number(arg('can-events', '')) : undefined;
  const manyCanEvents = Number(arg('many-can-events', '600'));
  const port = Number(arg('port', '7345'));
  const only = arg('only', 'sizes,long,many').split(',');

  const out: string[] = [];
  if (only.includes('sizes')) {
    out.push(await payloadSizes(budget, ofaBudget));
    console.log(out.at(-1) + '\n');
  }
  if (!only.includes('long') && !only.includes('many')) return;

  Runtime.install({ logger: new DefaultLogger('ERROR') });
  await buildWorkflowBundle();
  const dir = mkdtempSync(join(tmpdir(), 'collm-scale-'));
  const server = await ensureDevServer({ port, dbFile: join(dir, 'db.sqlite'), headless: true });
  const connection = await Connection.connect({ address: server.address });
  const client = new Client({ connection });
  const queues = { control: 'scale-control', eval: 'scale-eval' };
  const workers: WorkerProcess[] = [];
  try {
    workers.push(await spawnWorker('control', 'control', server.address, queues.control));
    workers.push(await spawnWorker('eval 1', 'eval', server.address, queues.eval));
    workers.push(await spawnWorker('eval 2', 'eval', server.address, queues.eval));
    if (only.includes('long')) {
      out.push(await longSearch(client, queues, budget, canEvents));
      console.log(out.at(-1) + '\n');
    }
    if (only.includes('many')) {
      out.push(await manySearches(client, queues, workers, searches, searchBudget, manyCanEvents));
      console.log(out.at(-1) + '\n');
    }
  } finally {
    await Promise.all(workers.map((w) => w.stop()));
    await connection.close();
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  }
  console.log('\n' + out.join('\n\n'));
}

const role = arg('role', '');
(role ? runWorkerRole(role) : main()).catch((err) => {
  console.error(err);
  process.exit(1);
});
