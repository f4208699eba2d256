/**
 * One trial, start to finish: its own task queues and worker processes, the
 * search started on them, the plan's faults, the wait for the result (with
 * workers that exit by themselves started again, so the trial still ends),
 * then the comparison with the reference and the checks on the histories.
 * Whatever happens, the trial's workers are killed and an unfinished search
 * terminated before the next trial.
 */
import { isDeepStrictEqual } from 'node:util';
import { startSearch } from '../../src/client/search';
import type { SearchResult } from '../../src/search/summary';
import { checkEvaluations, checkFailures, checkHangs } from './checks';
import type { Env } from './env';
import { EVALUATIONS, injectHangs, injectKills, restartServer, watchSearch, type FrozenActivity, type TrialWorkers } from './faults';
import { readSearchHistory } from './history';
import { newOutcome, type Outcome } from './outcome';
import type { Plan } from './plan';
import { spawnWorker, type WorkerProcess } from './processes';
import { comparable, firstDifference, reference } from './reference';
import { sleep } from './time';

const RESULT_TIMEOUT_MS = 6 * 60_000;

export async function runTrial(env: Env, plan: Plan, index: number): Promise<Outcome> {
  const suffix = Math.random().toString(36).slice(2, 8);
  const q = { control: `rel-${index}-control-${suffix}`, eval: `rel-${index}-eval-${suffix}` };
  const workflowId = `reliability-${index}-${plan.kind}-${suffix}`;
  const out = newOutcome(index, plan.kind, workflowId);
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
  const workers: TrialWorkers = {
    evals: [],
    spawn: async (kind, w = 0) => {
      const p = await spawnWorker(kind, workerEnv(slots(w)));
      started.push(p);
      return p;
    },
  };
  const evals = workers.evals;
  let workerExits = 0;
  /** A worker that exits by itself is a finding: restarted, so the trial still ends, and reported. */
  const reviveExited = async (): Promise<void> => {
    if (workers.control?.exitedByItself()) {
      workerExits++;
      out.problems.push(`control worker ${workers.control.pid} exited by itself:\n${workers.control.output().slice(-1500)}`);
      workers.control = await workers.spawn('control');
    }
    for (let w = 0; w < evals.length; w++) {
      if (evals[w]!.exitedByItself()) {
        workerExits++;
        out.problems.push(`eval worker ${evals[w]!.pid} exited by itself:\n${evals[w]!.output().slice(-1500)}`);
        evals[w] = await workers.spawn('eval', w);
      }
    }
  };

  const watch = watchSearch(env, workflowId);
  const frozenActivities: FrozenActivity[] = [];
  let t0 = 0;
  try {
    const [first, ...evalWorkers] = await Promise.all([workers.spawn('control'), ...Array.from({ length: plan.evalWorkers }, (_, w) => workers.spawn('eval', w))]);
    workers.control = first;
    evals.push(...evalWorkers);
    const raw = { ...plan.config, evaluation: { ...plan.config.evaluation, taskQueue: q.eval } };
    t0 = performance.now();
    const handle = await startSearch(env.client, raw, { taskQueue: q.control, workflowId, workflowTaskTimeout: '2s' });

    await injectKills(plan.kills, env, watch, workers, out);
    await restartServer(plan.restarts, env, watch, out);
    await injectHangs(plan.hangs, evals, watch, frozenActivities, out);

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
    const redone = (types: readonly string[]) => history.activities.filter((a) => types.includes(a.type) && a.retriedAfter === 'heartbeat timeout').length;
    out.evalsRetried = redone(EVALUATIONS);
    out.llmRetried = redone(['llmChat']);
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
