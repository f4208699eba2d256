/**
 * The invariants a trial is held to once its search has finished, checked on
 * the workflow histories (not only on the search's own result, which could
 * hide a duplicate). Each breach is counted and described in the outcome.
 */
import type { SearchResult } from '../../src/search/summary';
import { SPACES } from '../../src/spaces';
import type { FrozenActivity } from './faults';
import { archsOf, completionsByArch, type SearchHistory } from './history';
import type { Outcome } from './outcome';
import { FAILING_ATTEMPTS, type Plan } from './plan';
import type { WorkerProcess } from './processes';

/** One completed evaluation per evaluated architecture (by canonical key; alone or in a batch), across every run of the search. */
export function checkEvaluations(plan: Plan, final: SearchResult, expected: SearchResult, history: SearchHistory, out: Outcome): void {
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
export function checkHangs(frozen: FrozenActivity[], evals: WorkerProcess[], history: SearchHistory, out: Outcome): void {
  out.frozen = frozen.length;
  for (const f of frozen) {
    const a = history.activities.find((r) => r.runId === f.runId && r.activityId === f.activityId);
    if (!a) {
      out.problems.push(`hang: activity ${f.activityId} of run ${f.runId} is not in the history`);
      continue;
    }
    if (a.outcome === 'completed' && a.attempt >= 2 && a.retriedAfter === 'heartbeat timeout') out.caught++;
    else out.problems.push(`hang: ${archsOf(a).join(' ')}: ${a.outcome} on attempt ${a.attempt}, retried after ${a.retriedAfter ?? 'nothing'}`);
    // The other worker at the time; a restarted one would have another pid, but hang trials restart none.
    if (a.identity && a.identity !== f.on && evals.some((w) => w.identity === a.identity)) out.movedElsewhere++;
    else out.problems.push(`hang: ${archsOf(a).join(' ')} completed by ${a.identity ?? 'nobody'}, the frozen worker being ${f.on}`);
  }
  if (out.hangs > 0 && frozen.length === 0) out.problems.push('hang: the frozen worker had no evaluation running');
}

/** Each candidate that always fails is recorded as failed, after exactly maximumAttempts attempts, and the search goes on. */
export function checkFailures(final: SearchResult, expected: SearchResult, history: SearchHistory, out: Outcome): void {
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
