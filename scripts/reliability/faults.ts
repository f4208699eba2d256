/**
 * The damage a trial does, as its plan says: worker processes killed with
 * SIGKILL and started again, the dev server stopped and started again on the
 * same SQLite file, an eval worker frozen with SIGSTOP and thawed. Each fault
 * first waits for its moment by asking the server what the search is doing,
 * so that kills land mid-evaluation or mid-LLM-call rather than anywhere.
 */
import { temporal } from '@temporalio/proto';
import { ensureDevServer } from '../../src/temporal/dev-server';
import { connect, type Env } from './env';
import type { Outcome } from './outcome';
import type { HangFault, KillFault, RestartFault } from './plan';
import type { WorkerProcess } from './processes';
import { sleep, until } from './time';

/** The activities that evaluate: one candidate, or a cheap evaluator's whole batch. */
export const EVALUATIONS = ['evaluate', 'evaluateBatch'] as const;

/** The trial's current workers; a kill replaces one here, through `spawn`, which the trial also uses to clean up. */
export interface TrialWorkers {
  control?: WorkerProcess;
  evals: WorkerProcess[];
  spawn(kind: 'control' | 'eval', w?: number): Promise<WorkerProcess>;
}

/** An activity that was running on a worker when it was frozen: the hang checks look it up in the history. */
export interface FrozenActivity {
  runId: string;
  activityId: string;
  on: string;
}

/**
 * What the server says about the search now. Through `env.client` at each
 * call, not a handle kept from the start: a server restart replaces the client.
 */
export function watchSearch(env: Env, workflowId: string) {
  const describe = () => env.client.workflow.getHandle(workflowId).describe();
  const closed = async (): Promise<boolean> => {
    try {
      return !['RUNNING', 'CONTINUED_AS_NEW'].includes((await describe()).status.name);
    } catch {
      return false;
    }
  };
  const { PendingActivityState } = temporal.api.enums.v1;
  const running = async (types: readonly string[], identity?: string) => {
    const { raw, runId } = await describe();
    const list = (raw.pendingActivities ?? []).filter(
      (a) =>
        types.includes(a.activityType?.name ?? '') &&
        a.state === PendingActivityState.PENDING_ACTIVITY_STATE_STARTED &&
        (identity === undefined || a.lastWorkerIdentity === identity),
    );
    return { runId, ids: list.map((a) => a.activityId ?? '') };
  };
  return { describe, closed, running };
}

export type SearchWatch = ReturnType<typeof watchSearch>;

/** kill / kill-collm: SIGKILL of the control worker, the eval worker or both, each started again after a pause. */
export async function injectKills(kills: KillFault[], env: Env, watch: SearchWatch, workers: TrialWorkers, out: Outcome): Promise<void> {
  const { closed, running } = watch;
  for (const f of kills) {
    if (await closed()) break;
    await sleep(f.delayMs);
    if (f.landing === 'llm') await until(() => env.llmBusy(), 15_000);
    if (f.landing === 'evaluation') await until(async () => (await running(EVALUATIONS)).ids.length > 0, 15_000);
    if (f.landing !== 'any') await sleep(f.jitterMs);
    if (await closed()) break;
    const [evaluating, asking] = await Promise.all([running(EVALUATIONS), running(['llmChat'])]);
    const targets = f.target === 'both' ? [workers.control!, workers.evals[0]!] : f.target === 'control' ? [workers.control!] : [workers.evals[0]!];
    await Promise.all(targets.map((t) => t.kill9()));
    out.kills += targets.length;
    out.killEvents++;
    if (evaluating.ids.length > 0 && f.target !== 'control') out.midEval++;
    if (asking.ids.length > 0 && f.target !== 'eval') out.midLlm++;
    await sleep(f.pauseMs);
    if (f.target !== 'eval') workers.control = await workers.spawn('control');
    if (f.target !== 'control') workers.evals[0] = await workers.spawn('eval', 0);
    out.restarts += targets.length;
  }
}

/** server-restart: the dev server stopped and started again on the same SQLite file, the workers left running. */
export async function restartServer(restarts: RestartFault[], env: Env, watch: SearchWatch, out: Outcome): Promise<void> {
  const { closed, running } = watch;
  for (const f of restarts) {
    if (await closed()) break;
    await sleep(f.delayMs);
    if (await closed()) break;
    if ((await running(EVALUATIONS)).ids.length > 0) out.midEvalStops++;
    await env.connection.close();
    await env.server.stop();
    await sleep(f.pauseMs);
    env.server = await ensureDevServer({ port: env.port, dbFile: env.dbFile, headless: true });
    if (!env.server.started) throw new Error(`port ${env.port}: another server took it while ours was stopped`);
    await connect(env);
    out.restarts++;
  }
}

/**
 * hang: an eval worker frozen while it runs evaluations, until the server has
 * moved them (heartbeat timeout), then thawed. What was running on it is
 * appended to `frozen` as it happens, for the checks after the search.
 */
export async function injectHangs(hangs: HangFault[], evals: WorkerProcess[], watch: SearchWatch, frozen: FrozenActivity[], out: Outcome): Promise<void> {
  const { describe, closed, running } = watch;
  for (const f of hangs) {
    if (await closed()) break;
    await sleep(f.delayMs);
    const target = evals[f.worker]!;
    if (!(await until(async () => (await running(EVALUATIONS, target.identity)).ids.length > 0, 20_000))) continue;
    target.freeze();
    out.hangs++;
    // What it had already reported may still be on its way; what is running on it after this cannot finish there.
    await sleep(300);
    const stuck = await running(EVALUATIONS, target.identity);
    frozen.push(...stuck.ids.map((activityId) => ({ runId: stuck.runId, activityId, on: target.identity })));
    const ids = new Set(stuck.ids);
    const moved = await until(async () => {
      const { raw, runId } = await describe();
      return runId !== stuck.runId || !(raw.pendingActivities ?? []).some((a) => ids.has(a.activityId ?? ''));
    }, 90_000);
    if (!moved) out.problems.push(`hang: the frozen worker's evaluations ${[...ids].join(',')} were still pending after 90 s`);
    await sleep(f.pauseMs);
    target.thaw();
  }
}
