/**
 * What a search's workflow histories say about its activities, read back
 * from the server across every continue-as-new run: which architecture each
 * `evaluate` was for, how many attempts it took, who completed it. The
 * invariants of the reliability benchmark are checked on these, not on the
 * search's own result, which could hide a duplicate.
 */
import type { Client } from '@temporalio/client';
import { defaultPayloadConverter } from '@temporalio/common';
import { temporal } from '@temporalio/proto';

type Failure = temporal.api.failure.v1.IFailure;

export interface ActivityRecord {
  runId: string;
  activityId: string;
  type: string;
  /** For `evaluate`: the architecture in the request. */
  arch?: string;
  /** For an `evaluateBatch` of the search's evaluator (not a ranking's): the architectures in the request. */
  archs?: string[];
  outcome: 'completed' | 'failed' | 'timedOut' | 'canceled' | 'open';
  /** The attempt that ended it (the server writes one started event, for the last attempt). */
  attempt: number;
  /** The worker of the last attempt. */
  identity?: string;
  /** Why the attempt before the last one ended, when there was one. */
  retriedAfter?: 'heartbeat timeout' | 'other timeout' | 'failure';
}

export interface SearchHistory {
  runs: string[];
  activities: ActivityRecord[];
}

const { TimeoutType } = temporal.api.enums.v1;

function timeoutOf(failure: Failure | null | undefined): temporal.api.enums.v1.TimeoutType | undefined {
  for (let f = failure; f; f = f.cause) {
    if (f.timeoutFailureInfo) return f.timeoutFailureInfo.timeoutType ?? undefined;
  }
  return undefined;
}

const id = (n: unknown): string => String(n);

/** The histories of the search's runs, from the first, following continue-as-new. */
export async function readSearchHistory(client: Client, workflowId: string, firstRunId: string): Promise<SearchHistory> {
  const runs: string[] = [];
  const activities: ActivityRecord[] = [];
  for (let runId: string | undefined = firstRunId; runId; ) {
    runs.push(runId);
    const history = await client.workflow.getHandle(workflowId, runId).fetchHistory();
    const byScheduled = new Map<string, ActivityRecord>();
    let next: string | undefined;
    for (const e of history.events ?? []) {
      const scheduled = e.activityTaskScheduledEventAttributes;
      if (scheduled) {
        const type = scheduled.activityType?.name ?? '?';
        const payload = scheduled.input?.payloads?.[0];
        const evaluation = type === 'evaluate' || type === 'evaluateBatch';
        const input = evaluation && payload ? defaultPayloadConverter.fromPayload<{ arch?: string; archs?: string[]; purpose?: string }>(payload) : undefined;
        byScheduled.set(id(e.eventId), {
          runId,
          activityId: scheduled.activityId ?? '',
          type,
          ...(input?.arch ? { arch: input.arch } : {}),
          ...(input?.archs && input.purpose !== 'rank' ? { archs: input.archs } : {}),
          outcome: 'open',
          attempt: 0,
        });
      }
      const started = e.activityTaskStartedEventAttributes;
      if (started) {
        const r = byScheduled.get(id(started.scheduledEventId));
        if (r) {
          r.attempt = started.attempt ?? 0;
          if (started.identity) r.identity = started.identity;
          if (started.lastFailure) {
            const t = timeoutOf(started.lastFailure);
            r.retriedAfter = t === TimeoutType.TIMEOUT_TYPE_HEARTBEAT ? 'heartbeat timeout' : t !== undefined ? 'other timeout' : 'failure';
          }
        }
      }
      const ended =
        (e.activityTaskCompletedEventAttributes && { s: e.activityTaskCompletedEventAttributes.scheduledEventId, outcome: 'completed' as const }) ||
        (e.activityTaskFailedEventAttributes && { s: e.activityTaskFailedEventAttributes.scheduledEventId, outcome: 'failed' as const }) ||
        (e.activityTaskTimedOutEventAttributes && { s: e.activityTaskTimedOutEventAttributes.scheduledEventId, outcome: 'timedOut' as const }) ||
        (e.activityTaskCanceledEventAttributes && { s: e.activityTaskCanceledEventAttributes.scheduledEventId, outcome: 'canceled' as const });
      if (ended) {
        const r = byScheduled.get(id(ended.s));
        if (r) r.outcome = ended.outcome;
      }
      next = e.workflowExecutionContinuedAsNewEventAttributes?.newExecutionRunId ?? next;
    }
    activities.push(...byScheduled.values());
    runId = next;
  }
  return { runs, activities };
}

/** Architectures an activity evaluates: one for `evaluate`, a batch's for `evaluateBatch`. */
export const archsOf = (a: ActivityRecord): string[] => (a.arch ? [a.arch] : (a.archs ?? []));

/** Completed evaluations per architecture (alone or in a batch): more than one is a duplicate evaluation. */
export function completionsByArch(history: SearchHistory): Map<string, number> {
  const counts = new Map<string, number>();
  for (const a of history.activities) {
    if (a.outcome !== 'completed') continue;
    for (const arch of archsOf(a)) counts.set(arch, (counts.get(arch) ?? 0) + 1);
  }
  return counts;
}
