/**
 * Fault injection on the real Temporal dev server with real worker processes.
 *   npm run bench:reliability [-- --trials 20 --seed S --kinds kill,kill-collm,server-restart,hang,failing --port 7671]
 *
 * Each trial runs one NAS-Bench-201 search (budget 40-60, batch 10, runs
 * continued-as-new every few iterations, evaluations slowed with
 * EVAL_SIMULATE_MS) on worker processes started as `npm run worker:*` starts
 * them, and does one kind of damage at random moments:
 *
 *   kill            SIGKILL of the control worker, the eval worker or both,
 *                   1-3 times, each restarted after 0.2-3 s
 *   kill-collm      the same during a collm search whose LLM is a scripted
 *                   endpoint (test/fake-llm.ts) answering slowly, so that some
 *                   kills land during an LLM call
 *   server-restart  the dev server stopped and started again on the same
 *                   SQLite file, 2-3 times, the workers left running
 *   hang            one of two eval workers frozen (SIGSTOP) while it runs
 *                   evaluations: its heartbeat timeout must move them to the
 *                   other worker; it is thawed afterwards, with its stale
 *                   attempts still to report
 *   failing         an evaluation program that fails on every attempt for
 *                   some architectures: each is recorded as failed after
 *                   maximumAttempts and the search goes on
 *
 * Every search must finish with the result of the same search run without
 * faults (in this process; the fake LLM answers by the request's content, so
 * the same prompt gets the same answer). Its histories, across every run,
 * must hold exactly one completed `evaluate` per evaluated architecture:
 * none twice, none missing. The trials' parameters come from --seed (printed;
 * trial i depends only on the seed and i), so a failure can be re-run.
 * Exits 1 if any trial breaks an invariant.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { Client, Connection } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { bundleWorkflowCode } from '@temporalio/worker';
import { startSearch } from '../src/client/search';
import { resolveSearchConfig } from '../src/config/resolve';
import { createEvaluators } from '../src/evaluators';
import { Nb201Table, resolveNb201Table } from '../src/evaluators/nb201-table';
import { providerFor } from '../src/llm';
import { createEngine, runSearch } from '../src/search/search';
import type { SearchResult } from '../src/search/summary';
import type { Candidate, EvalResult, SearchConfig } from '../src/search/types';
import { SPACES } from '../src/spaces';
import { ensureDevServer, type DevServer } from '../src/temporal/dev-server';
import { ROOT } from '../src/temporal/paths';
import { cells, requestedCount, startFakeLlm, STRATEGY_TEXT, type FakeLlm } from '../test/fake-llm';
import { completionsByArch, readSearchHistory, type SearchHistory } from './reliability/history';
import { killAllWorkers, spawnWorker, type WorkerProcess } from './reliability/processes';

const KINDS = ['kill', 'kill-collm', 'server-restart', 'hang', 'failing'] as const;
type Kind = (typeof KINDS)[number];

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

/** mulberry32: small, seedable, the same on every machine. */
class Rng {
  constructor(private s: number) {}
  next(): number {
    this.s = (this.s + 0x6d2b79f5) >>> 0;
    let t = this.s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.next() * (hi - lo + 1));
  }
  pick<T>(xs: readonly T[]): T {
    return xs[Math.floor(this.next() * xs.length)]!;
  }
}

function fnv(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193) >>> 0;
  return h;
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

// ---------------------------------------------------------------- plans

interface KillFault {
  delayMs: number;
  target: 'control' | 'eval' | 'both';
  pauseMs: number;
  /** What to wait for, after the delay, before killing: an evaluation or an LLM call running, or nothing. */
  landing: 'evaluation' | 'llm' | 'any';
  /** After that, a little longer: a random point of the evaluation or call, not its start. */
  jitterMs: number;
}
interface RestartFault {
  delayMs: number;
  pauseMs: number;
}
interface HangFault {
  delayMs: number;
  worker: 0 | 1;
  /** How long the worker stays frozen after its evaluations have moved. */
  pauseMs: number;
}

interface Plan {
  kind: Kind;
  config: Record<string, unknown> & { evaluation: Record<string, unknown> };
  simulateMs: number;
  evalWorkers: number;
  devicesPerWorker: number;
  kills: KillFault[];
  restarts: RestartFault[];
  hangs: HangFault[];
}

const FLAKY_PROGRAM = join(ROOT, 'scripts/reliability/flaky-program.mjs');
const TABLE_STRATEGIES = ['evolution', 'random', 'reinforce'] as const;
const DATASETS = ['cifar10', 'cifar100', 'imagenet16'] as const;
const FAILING_ATTEMPTS = 3;

function makePlan(kind: Kind, rng: Rng, llmBaseUrl: string): Plan {
  const config = {
    budget: rng.int(40, 60),
    batchSize: 10,
    seed: rng.int(0, 9999),
    dataset: rng.pick(DATASETS),
    strategy: rng.pick(TABLE_STRATEGIES) as string,
    // Low enough that every search crosses several runs, so faults also land around continue-as-new.
    continueAsNewAfterEvents: rng.int(50, 90),
    evaluation: { heartbeatTimeout: '2s' } as Record<string, unknown>,
  };
  const plan: Plan = { kind, config, simulateMs: rng.int(500, 1000), evalWorkers: 1, devicesPerWorker: 10, kills: [], restarts: [], hangs: [] };
  const kill = (collm: boolean): KillFault => {
    const midLlm = collm && rng.next() < 0.6;
    const target = midLlm ? rng.pick(['control', 'both'] as const) : rng.pick(['control', 'eval', 'both'] as const);
    // Mostly where it hurts; sometimes anywhere (a workflow task, a continue-as-new, between batches).
    const landing = midLlm ? 'llm' : target !== 'control' && rng.next() < 0.75 ? 'evaluation' : 'any';
    return { delayMs: rng.int(300, 2500), target, pauseMs: rng.int(200, 3000), landing, jitterMs: rng.int(0, 300) };
  };
  switch (kind) {
    case 'kill':
      plan.kills = Array.from({ length: rng.int(1, 3) }, () => kill(false));
      break;
    case 'kill-collm':
      Object.assign(config, {
        strategy: 'collm',
        llm: { provider: 'openai', baseUrl: llmBaseUrl, model: 'fake', timeoutMs: 60_000 },
        llmCalls: { heartbeatTimeout: '2s' },
      });
      plan.kills = Array.from({ length: rng.int(1, 3) }, () => kill(true));
      break;
    case 'server-restart':
      plan.simulateMs = rng.int(400, 800);
      plan.restarts = Array.from({ length: rng.int(2, 3) }, () => ({ delayMs: rng.int(500, 3000), pauseMs: rng.int(200, 3000) }));
      break;
    case 'hang':
      // Two workers of five slots: a batch of ten is split between them, and the survivor can take the frozen one's share.
      plan.evalWorkers = 2;
      plan.devicesPerWorker = 5;
      plan.simulateMs = rng.int(800, 1500);
      plan.hangs = Array.from({ length: rng.int(1, 2) }, () => ({ delayMs: rng.int(200, 1500), worker: rng.int(0, 1) as 0 | 1, pauseMs: rng.int(200, 3000) }));
      break;
    case 'failing':
      config.strategy = rng.pick(['evolution', 'random']);
      plan.simulateMs = rng.int(0, 200);
      config.evaluation = {
        heartbeatTimeout: '5s',
        evaluator: 'command',
        options: { argv: [process.execPath, FLAKY_PROGRAM, '6'] },
        maximumAttempts: FAILING_ATTEMPTS,
      };
      break;
  }
  return plan;
}

// ---------------------------------------------------------------- environment

interface Env {
  address: string;
  port: number;
  dbFile: string;
  bundle: string;
  server: DevServer;
  connection: Connection;
  client: Client;
  fake: FakeLlm;
  llmBusy(): boolean;
  table: Nb201Table;
}

async function connect(env: Env): Promise<void> {
  env.connection = await Connection.connect({ address: env.address });
  env.client = new Client({ connection: env.connection });
}

// ---------------------------------------------------------------- references

/** The search without Temporal or faults: what every faulty run must equal. */
async function reference(plan: Plan, raw: Record<string, unknown>, env: Env): Promise<SearchResult> {
  const config = resolveSearchConfig(raw);
  if (plan.kind === 'failing') return referenceWithFailures(config);
  return runSearch(
    config,
    (c) => env.table.lookup(c.arch, config.dataset),
    plan.kind === 'kill-collm' ? { llm: (call) => providerFor(call.llm).chat(call.request) } : {},
  );
}

/**
 * runSearch has no notion of a failed evaluation; this is its loop with the
 * workflow's handling of one (recorded as failed, the search goes on), and
 * the same evaluation program, run here.
 */
async function referenceWithFailures(config: SearchConfig): Promise<SearchResult> {
  // The worker's allow-list: node, which runs the flaky program.
  const { served } = createEvaluators({ command: { allowedPrograms: [process.execPath] } }, ['command']);
  const command = served.get('command')!;
  const context = { device: 'cpu', heartbeat: () => {}, sleep: (ms: number) => sleep(ms), signal: new AbortController().signal };
  const evaluate = (c: Candidate): Promise<EvalResult> =>
    command.evaluate({ evaluator: 'command', options: config.evaluation.options, space: config.space, dataset: config.dataset, arch: c.arch }, context);
  const engine = createEngine(config);
  let state = engine.init();
  for (;;) {
    const reason = engine.stopReason(state);
    if (reason) return engine.summarize(state, reason);
    const proposed = await engine.propose(state, {});
    state = proposed.state;
    if (proposed.candidates.length === 0) continue;
    const outcomes = await Promise.all(proposed.candidates.map((c) => evaluate(c).then((r) => ({ c, r }), (e: unknown) => ({ c, e }))));
    const before = state.evaluated.length;
    state = engine.recordFailures(state, outcomes.flatMap((o) => ('e' in o ? [{ candidate: o.c, error: String(o.e) }] : [])));
    const ok = outcomes.flatMap((o) => ('r' in o ? [o] : []));
    state = engine.record(state, ok.map((o) => o.c), ok.map((o) => o.r));
    if (engine.stopReason(state) === undefined) state = await engine.observe(state, state.evaluated.slice(before), {});
  }
}

/** What must be equal: everything but the LLM's wall time and the wording of a failure. */
function comparable(r: SearchResult): unknown {
  const { stats, failed, ...rest } = r;
  const { llmMs: _wallTime, ...sameStats } = stats ?? {};
  return { ...rest, stats: stats ? sameStats : undefined, failed: failed.map(({ error: _wording, ...f }) => f) };
}

function firstDifference(a: unknown, b: unknown, path = ''): string {
  if (isDeepStrictEqual(a, b)) return '';
  if (a && b && typeof a === 'object' && typeof b === 'object') {
    for (const k of new Set([...Object.keys(a), ...Object.keys(b)])) {
      const d = firstDifference((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k], `${path}.${k}`);
      if (d) return d;
    }
  }
  return `${path || '(result)'}: ${JSON.stringify(a)?.slice(0, 200)} vs reference ${JSON.stringify(b)?.slice(0, 200)}`;
}

// ---------------------------------------------------------------- one trial

interface Outcome {
  index: number;
  kind: Kind;
  workflowId: string;
  /** Worker processes killed with SIGKILL, in `killEvents` moments. */
  kills: number;
  killEvents: number;
  /** Processes started again: killed workers, or the dev server. */
  restarts: number;
  hangs: number;
  /** Kill moments with an evaluation / an LLM call running on a killed worker; server stops with evaluations running. */
  midEval: number;
  midLlm: number;
  midEvalStops: number;
  /** Activities whose last attempt followed a heartbeat timeout: work a fault took away and a retry redid. */
  evalsRetried: number;
  llmRetried: number;
  finished: boolean;
  equal: boolean;
  duplicates: number;
  missing: number;
  runs: number;
  wallMs: number;
  /** hang: evaluations running on the frozen worker, those retried after a heartbeat timeout, those completed by the other worker. */
  frozen: number;
  caught: number;
  movedElsewhere: number;
  /** failing: candidates recorded as failed, and of those, the ones whose last attempt was the limit. */
  failed: number;
  failedAtLimit: number;
  problems: string[];
}

const RESULT_TIMEOUT_MS = 6 * 60_000;

async function runTrial(env: Env, plan: Plan, index: number): Promise<Outcome> {
  const suffix = Math.random().toString(36).slice(2, 8);
  const q = { control: `rel-${index}-control-${suffix}`, eval: `rel-${index}-eval-${suffix}` };
  const workflowId = `reliability-${index}-${plan.kind}-${suffix}`;
  const out: Outcome = {
    index, kind: plan.kind, workflowId, kills: 0, killEvents: 0, restarts: 0, hangs: 0, midEval: 0, midLlm: 0, midEvalStops: 0, evalsRetried: 0, llmRetried: 0, finished: false, equal: false,
    duplicates: 0, missing: 0, runs: 0, wallMs: 0, frozen: 0, caught: 0, movedElsewhere: 0, failed: 0, failedAtLimit: 0, problems: [],
  };
  const workerEnv = (slots: string): Record<string, string> => ({
    TEMPORAL_ADDRESS: env.address,
    NAS_CONTROL_TASK_QUEUE: q.control,
    NAS_EVAL_TASK_QUEUE: q.eval,
    WORKFLOW_BUNDLE: env.bundle,
    NB201_TABLE: env.table.file,
    EVAL_DEVICES: slots,
    EVAL_SIMULATE_MS: String(plan.simulateMs),
    // Only what the trial uses: a worker restart then loads no other benchmark's data.
    EVAL_EVALUATORS: plan.kind === 'failing' ? 'command' : 'nb201-table',
    // The worker decides what runs on it: node, which runs the flaky program.
    COLLM_COMMAND_ALLOWED_PROGRAMS: process.execPath,
  });
  const slots = (w: number) => Array.from({ length: plan.devicesPerWorker }, (_, i) => `w${w}s${i}`).join(',');
  const started: WorkerProcess[] = [];
  const spawn = async (kind: 'control' | 'eval', w = 0): Promise<WorkerProcess> => {
    const p = await spawnWorker(kind, workerEnv(slots(w)));
    started.push(p);
    return p;
  };
  let control: WorkerProcess | undefined;
  const evals: WorkerProcess[] = [];
  let workerExits = 0;
  /** A worker that exits by itself is a finding: restarted, so the trial still ends, and reported. */
  const reviveExited = async (): Promise<void> => {
    if (control?.exitedByItself()) {
      workerExits++;
      out.problems.push(`control worker ${control.pid} exited by itself:\n${control.output().slice(-1500)}`);
      control = await spawn('control');
    }
    for (let w = 0; w < evals.length; w++) {
      if (evals[w]!.exitedByItself()) {
        workerExits++;
        out.problems.push(`eval worker ${evals[w]!.pid} exited by itself:\n${evals[w]!.output().slice(-1500)}`);
        evals[w] = await spawn('eval', w);
      }
    }
  };

  const describe = () => env.client.workflow.getHandle(workflowId).describe();
  const closed = async (): Promise<boolean> => {
    try {
      return !['RUNNING', 'CONTINUED_AS_NEW'].includes((await describe()).status.name);
    } catch {
      return false;
    }
  };
  const { PendingActivityState } = temporal.api.enums.v1;
  const running = async (type: string, identity?: string) => {
    const { raw, runId } = await describe();
    const list = (raw.pendingActivities ?? []).filter(
      (a) =>
        a.activityType?.name === type &&
        a.state === PendingActivityState.PENDING_ACTIVITY_STATE_STARTED &&
        (identity === undefined || a.lastWorkerIdentity === identity),
    );
    return { runId, ids: list.map((a) => a.activityId ?? '') };
  };
  const until = async (what: () => Promise<boolean> | boolean, timeoutMs: number): Promise<boolean> => {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      try {
        if (await what()) return true;
      } catch {
        // the server may be between runs of the workflow
      }
      await sleep(100);
    }
    return false;
  };

  const frozenActivities: { runId: string; activityId: string; on: string }[] = [];
  let t0 = 0;
  try {
    const [first, ...evalWorkers] = await Promise.all([spawn('control'), ...Array.from({ length: plan.evalWorkers }, (_, w) => spawn('eval', w))]);
    control = first;
    evals.push(...evalWorkers);
    const raw = { ...plan.config, evaluation: { ...plan.config.evaluation, taskQueue: q.eval } };
    t0 = performance.now();
    const handle = await startSearch(env.client, raw, { taskQueue: q.control, workflowId, workflowTaskTimeout: '2s' });

    for (const f of plan.kills) {
      if (await closed()) break;
      await sleep(f.delayMs);
      if (f.landing === 'llm') await until(() => env.llmBusy(), 15_000);
      if (f.landing === 'evaluation') await until(async () => (await running('evaluate')).ids.length > 0, 15_000);
      if (f.landing !== 'any') await sleep(f.jitterMs);
      if (await closed()) break;
      const [evaluating, asking] = await Promise.all([running('evaluate'), running('llmChat')]);
      const targets = f.target === 'both' ? [control!, evals[0]!] : f.target === 'control' ? [control!] : [evals[0]!];
      await Promise.all(targets.map((t) => t.kill9()));
      out.kills += targets.length;
      out.killEvents++;
      if (evaluating.ids.length > 0 && f.target !== 'control') out.midEval++;
      if (asking.ids.length > 0 && f.target !== 'eval') out.midLlm++;
      await sleep(f.pauseMs);
      if (f.target !== 'eval') control = await spawn('control');
      if (f.target !== 'control') evals[0] = await spawn('eval', 0);
      out.restarts += targets.length;
    }

    for (const f of plan.restarts) {
      if (await closed()) break;
      await sleep(f.delayMs);
      if (await closed()) break;
      if ((await running('evaluate')).ids.length > 0) out.midEvalStops++;
      await env.connection.close();
      await env.server.stop();
      await sleep(f.pauseMs);
      env.server = await ensureDevServer({ port: env.port, dbFile: env.dbFile, headless: true });
      if (!env.server.started) throw new Error(`port ${env.port}: another server took it while ours was stopped`);
      await connect(env);
      out.restarts++;
    }

    for (const f of plan.hangs) {
      if (await closed()) break;
      await sleep(f.delayMs);
      const target = evals[f.worker]!;
      if (!(await until(async () => (await running('evaluate', target.identity)).ids.length > 0, 20_000))) continue;
      target.freeze();
      out.hangs++;
      // What it had already reported may still be on its way; what is running on it after this cannot finish there.
      await sleep(300);
      const stuck = await running('evaluate', target.identity);
      frozenActivities.push(...stuck.ids.map((activityId) => ({ runId: stuck.runId, activityId, on: target.identity })));
      const ids = new Set(stuck.ids);
      const moved = await until(async () => {
        const { raw, runId } = await describe();
        return runId !== stuck.runId || !(raw.pendingActivities ?? []).some((a) => ids.has(a.activityId ?? ''));
      }, 90_000);
      if (!moved) out.problems.push(`hang: the frozen worker's evaluations ${[...ids].join(',')} were still pending after 90 s`);
      await sleep(f.pauseMs);
      target.thaw();
    }

    // Through the current connection: a server restart closed the one the search was started with.
    const result = env.client.workflow.getHandle(workflowId).result() as Promise<SearchResult>;
    let settled: { value?: SearchResult; error?: unknown } | undefined;
    result.then((value) => (settled = { value }), (error: unknown) => (settled = { error }));
    const deadline = Date.now() + RESULT_TIMEOUT_MS;
    while (!settled && Date.now() < deadline) {
      await reviveExited();
      await sleep(250);
    }
    // The durable result of the trial; the client's long poll may have been cut by a server restart.
    const final = settled?.value ?? (await env.client.workflow.getHandle(workflowId).result().catch(() => undefined) as SearchResult | undefined);
    out.wallMs = performance.now() - t0;
    if (!final) {
      out.problems.push(`the search did not finish in ${RESULT_TIMEOUT_MS / 60_000} min${settled?.error ? `: ${String(settled.error)}` : ''}`);
      return out;
    }
    out.finished = true;

    const expected = await reference(plan, raw, env);
    out.equal = isDeepStrictEqual(comparable(final), comparable(expected));
    if (!out.equal) out.problems.push(`result differs from the reference at ${firstDifference(comparable(final), comparable(expected))}`);

    const history = await readSearchHistory(env.client, workflowId, handle.firstExecutionRunId);
    out.runs = history.runs.length;
    const redone = (type: string) => history.activities.filter((a) => a.type === type && a.retriedAfter === 'heartbeat timeout').length;
    out.evalsRetried = redone('evaluate');
    out.llmRetried = redone('llmChat');
    checkEvaluations(plan, final, expected, history, out);
    if (plan.kind === 'hang') checkHangs(frozenActivities, evals, history, out);
    if (plan.kind === 'failing') checkFailures(final, expected, history, out);
    if (workerExits > 0) out.problems.push(`${workerExits} worker(s) exited by themselves`);
    return out;
  } catch (err) {
    out.problems.push(`trial error: ${err instanceof Error ? err.stack ?? err.message : String(err)}`);
    if (t0 && !out.wallMs) out.wallMs = performance.now() - t0;
    return out;
  } finally {
    await Promise.all(started.map((w) => w.kill9()));
    if (!out.finished) await env.client.workflow.getHandle(workflowId).terminate('reliability trial gave up').catch(() => {});
  }
}

/** One completed `evaluate` per evaluated architecture (by canonical key), across every run of the search. */
function checkEvaluations(plan: Plan, final: SearchResult, expected: SearchResult, history: SearchHistory, out: Outcome): void {
  const space = SPACES.get(final.space);
  const keyOf = (arch: string): string => space.key(space.parse(arch));
  const byKey = new Map<string, number>();
  for (const [arch, n] of completionsByArch(history)) byKey.set(keyOf(arch), (byKey.get(keyOf(arch)) ?? 0) + n);
  for (const [key, n] of byKey) {
    if (n > 1) {
      out.duplicates += n - 1;
      out.problems.push(`evaluated ${n} times: ${key}`);
    }
  }
  const wanted = new Set([...expected.history, ...final.history].map((e) => e.key));
  for (const key of wanted) {
    if (!byKey.has(key)) {
      out.missing++;
      out.problems.push(`no completed evaluation of ${key}`);
    }
  }
  const recorded = new Set(final.history.map((e) => e.key));
  const unrecorded = [...byKey.keys()].filter((k) => !recorded.has(k));
  if (unrecorded.length > 0) out.problems.push(`completed but not in the result: ${unrecorded.join(', ')}`);
  if (final.evaluated !== plan.config.budget) out.problems.push(`evaluated ${final.evaluated} of a budget of ${String(plan.config.budget)}`);
}

/** Every evaluation the frozen worker held was retried after its heartbeat timeout and completed by the other worker. */
function checkHangs(frozen: { runId: string; activityId: string; on: string }[], evals: WorkerProcess[], history: SearchHistory, out: Outcome): void {
  out.frozen = frozen.length;
  for (const f of frozen) {
    const a = history.activities.find((r) => r.runId === f.runId && r.activityId === f.activityId);
    if (!a) {
      out.problems.push(`hang: activity ${f.activityId} of run ${f.runId} is not in the history`);
      continue;
    }
    if (a.outcome === 'completed' && a.attempt >= 2 && a.retriedAfter === 'heartbeat timeout') out.caught++;
    else out.problems.push(`hang: ${a.arch}: ${a.outcome} on attempt ${a.attempt}, retried after ${a.retriedAfter ?? 'nothing'}`);
    // The other worker at the time; a restarted one would have another pid, but hang trials restart none.
    if (a.identity && a.identity !== f.on && evals.some((w) => w.identity === a.identity)) out.movedElsewhere++;
    else out.problems.push(`hang: ${a.arch} completed by ${a.identity ?? 'nobody'}, the frozen worker being ${f.on}`);
  }
  if (out.hangs > 0 && frozen.length === 0) out.problems.push('hang: the frozen worker had no evaluation running');
}

/** Each candidate that always fails is recorded as failed, after exactly maximumAttempts attempts, and the search goes on. */
function checkFailures(final: SearchResult, expected: SearchResult, history: SearchHistory, out: Outcome): void {
  out.failed = final.failed.length;
  const want = new Set(expected.failed.map((f) => f.arch));
  for (const f of final.failed) {
    const runs = history.activities.filter((a) => a.type === 'evaluate' && a.arch === f.arch);
    const last = runs.at(-1);
    if (runs.length === 1 && last?.outcome === 'failed' && last.attempt === FAILING_ATTEMPTS) out.failedAtLimit++;
    else out.problems.push(`failing: ${f.arch}: ${runs.map((a) => `${a.outcome}@${a.attempt}`).join(', ')}`);
    if (!want.has(f.arch)) out.problems.push(`failing: ${f.arch} failed but not in the reference`);
  }
  if (final.failed.length !== want.size) out.problems.push(`failing: ${final.failed.length} failed, the reference ${want.size}`);
  if (final.stopReason !== 'budget') out.problems.push(`failing: the search stopped for ${final.stopReason}, not the budget`);
}

// ---------------------------------------------------------------- report

function table(outcomes: Outcome[]): string {
  const rows = [
    '| trial kind | trials | kills | restarts | searches finished | results equal to the reference | duplicate evaluations | missing evaluations | mean wall time | notes |',
    '|---|---:|---:|---:|---:|---:|---:|---:|---:|---|',
  ];
  const line = (label: string, os: Outcome[]): string => {
    const sum = (f: (o: Outcome) => number) => os.reduce((a, o) => a + f(o), 0);
    const wall = os.length ? sum((o) => o.wallMs) / os.length / 1000 : 0;
    const notes: string[] = [];
    const kills = sum((o) => o.kills);
    if (kills) notes.push(`${sum((o) => o.killEvents)} kill moments: ${sum((o) => o.midEval)} with evaluations running on a killed worker, ${sum((o) => o.midLlm)} with an LLM call out on one`);
    if (os.some((o) => o.kind === 'server-restart')) notes.push(`${sum((o) => o.midEvalStops)} server stops with evaluations running`);
    if (sum((o) => o.hangs)) notes.push(`${sum((o) => o.hangs)} hangs (SIGSTOP); ${sum((o) => o.frozen)} evaluations frozen, ${sum((o) => o.caught)} retried after a heartbeat timeout, ${sum((o) => o.movedElsewhere)} completed on the other worker`);
    if (sum((o) => o.failed)) notes.push(`${sum((o) => o.failed)} candidates failed for good, ${sum((o) => o.failedAtLimit)} after exactly ${FAILING_ATTEMPTS} attempts; every search reached its budget`);
    if (kills || sum((o) => o.hangs)) notes.push(`redone after a heartbeat timeout: ${sum((o) => o.evalsRetried)} evaluations, ${sum((o) => o.llmRetried)} LLM calls`);
    if (os.length) notes.push(`${(sum((o) => o.runs) / os.length).toFixed(1)} runs (continue-as-new) per search`);
    return `| ${label} | ${os.length} | ${kills} | ${sum((o) => o.restarts)} | ${sum((o) => (o.finished ? 1 : 0))} | ${sum((o) => (o.equal ? 1 : 0))} | ${sum((o) => o.duplicates)} | ${sum((o) => o.missing)} | ${wall.toFixed(1)} s | ${notes.join('; ')} |`;
  };
  for (const kind of KINDS) {
    const os = outcomes.filter((o) => o.kind === kind);
    if (os.length) rows.push(line(kind, os));
  }
  rows.push(line('all', outcomes));
  return rows.join('\n');
}

// ---------------------------------------------------------------- main

async function main(): Promise<number> {
  const trials = Number(arg('trials') ?? 20);
  const seed = Number(arg('seed') ?? Math.floor(Math.random() * 1_000_000));
  const port = Number(arg('port') ?? 7671);
  const kinds = (arg('kinds')?.split(',') ?? [...KINDS]) as Kind[];
  for (const k of kinds) if (!KINDS.includes(k)) throw new Error(`--kinds: unknown kind '${k}'; use ${KINDS.join(', ')}`);
  if (!Number.isInteger(trials) || trials < 1 || !Number.isInteger(seed)) throw new Error('--trials and --seed take whole numbers');
  console.log(`reliability benchmark: ${trials} trials, seed ${seed} (re-run with: npm run bench:reliability -- --trials ${trials} --seed ${seed}${arg('kinds') ? ` --kinds ${kinds.join(',')}` : ''})`);

  const dir = mkdtempSync(join(tmpdir(), 'collm-reliability-'));
  // One bundle for every control worker of the run: byte-identical workflow code, and a restart that does not wait for webpack.
  const bundle = join(dir, 'workflow-bundle.js');
  const { code } = await bundleWorkflowCode({
    workflowsPath: require.resolve('../src/workflows'),
    logger: { info() {}, warn: console.warn, error: console.error, debug() {}, trace() {}, log() {} },
  });
  writeFileSync(bundle, code);

  const llmRng = new Rng(seed ^ 0x5bd1e995);
  let busyUntil = 0;
  const fake = await startFakeLlm((req) => {
    // Answers depend on the request alone, so a call retried after a kill gets the answer the reference got.
    const delayMs = 200 + Math.floor(llmRng.next() * 800);
    busyUntil = Math.max(busyUntil, Date.now() + delayMs);
    if (req.role !== 'generator') return { content: STRATEGY_TEXT, delayMs };
    return { content: JSON.stringify({ candidates: cells(requestedCount(req), fnv(JSON.stringify(req.body.messages))) }), delayMs };
  }, port + 1);

  const dbFile = join(dir, 'temporal.sqlite');
  const server = await ensureDevServer({ port, dbFile, headless: true });
  const env = { address: server.address, port, dbFile, bundle, server, fake, llmBusy: () => Date.now() < busyUntil, table: Nb201Table.load(resolveNb201Table()) } as Env;
  const stopAll = async (): Promise<void> => {
    killAllWorkers();
    await env.connection?.close().catch(() => {});
    await env.server.stop();
    await fake.close();
    rmSync(dir, { recursive: true, force: true });
  };
  process.once('SIGINT', () => void stopAll().finally(() => process.exit(130)));
  process.once('SIGTERM', () => void stopAll().finally(() => process.exit(143)));
  try {
    if (!server.started) throw new Error(`port ${port} already has a server; this benchmark stops and restarts its own, so give it a free --port`);
    await connect(env);
    const outcomes: Outcome[] = [];
    for (let i = 0; i < trials; i++) {
      const kind = kinds[i % kinds.length]!;
      const plan = makePlan(kind, new Rng(fnv(`${seed}:${i}`)), fake.baseUrl);
      const o = await runTrial(env, plan, i);
      outcomes.push(o);
      const c = plan.config;
      console.log(
        `trial ${i} ${kind} (${c.strategy}, ${c.dataset}, budget ${c.budget}, seed ${c.seed}): ` +
          `${o.finished ? 'finished' : 'NOT finished'}, ${o.equal ? 'equal' : 'NOT equal'}, ${o.runs} runs, ` +
          `${o.kills} kills, ${o.restarts} restarts, ${o.hangs} hangs, ${(o.wallMs / 1000).toFixed(1)} s` +
          (o.problems.length ? `\n  ${o.problems.slice(0, 12).join('\n  ')}${o.problems.length > 12 ? `\n  ... and ${o.problems.length - 12} more` : ''}` : ''),
      );
    }
    console.log(`\n${table(outcomes)}\n\nseed ${seed}`);
    const bad = outcomes.filter((o) => o.problems.length > 0 || !o.finished || !o.equal);
    if (bad.length) console.log(`${bad.length} trial(s) broke an invariant: ${bad.map((o) => o.index).join(', ')}`);
    return bad.length ? 1 : 0;
  } finally {
    await stopAll();
  }
}

process.on('exit', killAllWorkers);
main().then(
  (code) => process.exit(code),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
