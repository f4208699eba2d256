import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import { defaultPayloadConverter } from '@temporalio/common';
import { optionalTsToDate } from '@temporalio/common/lib/time';
import { temporal } from '@temporalio/proto';
import type { EvalBatchRequest } from '../evaluators/contract';
import type { EvalRequest } from '../evaluators/types';
import type { ChatResponse, LlmCall } from '../llm/types';
import type { SearchResult } from '../search/summary';
import type { EvalResult, SearchConfig } from '../search/types';
import type { CarriedState } from '../workflows/api';

/**
 * The one reader of a search's workflow history: each run's events become
 * typed records, in the order of the events that close them, so the search
 * log (search-log.ts) and the report (src/report) see the same search. The
 * history is the one record of what a search did; nothing else is read.
 *
 * Record kinds (every record has `run`, the run id, `at`, the ISO time of its
 * event, and `eventId`):
 * - `started`: the run's first event: the search's input, the state carried
 *   into it by continue-as-new and the run it continued (`continuedFrom`).
 * - `config`: the config as resolved at the first run (the memo it upserts).
 * - `evaluation`: an `evaluate` activity that completed, with its request and
 *   result. `attempts` is the attempt that succeeded (above 1: it was
 *   retried, and `lastFailure` is the failure of the attempt before). An
 *   `evaluateBatch` activity (a cheap evaluator's batch) makes one record per
 *   candidate, as if each had been evaluated alone; a ranking stage's batch
 *   makes none.
 * - `evaluation-failed`: an `evaluate` activity that failed for good:
 *   `outcome` "failed" (its last attempt failed, retries spent or the error
 *   not retryable) or "timed out" (`timeoutType` says which timeout), with
 *   `attempts` made and the failure's message.
 * - `llm`: an `llmChat` activity that completed: the call (purpose, LLM,
 *   prompt) and the answer, with `attempts` and `lastFailure` as above.
 * - `llm-failed`: an `llmChat` activity that failed for good, as
 *   `evaluation-failed`; the search rode it out or stopped.
 * - `hint`: a steering hint (the `steer` signal) as sent, trimmed; the
 *   workflow drops blank ones, which are `signal`s here.
 * - `signal`: any other signal (pause, resume, stop), with its argument.
 * - `continued-as-new`: the run ended by continuing as run `next`.
 * - `closed`: the run ended the search: completed (with its result), failed
 *   or terminated (with the reason), canceled or timed out.
 *
 * Activity retries are not events of their own: Temporal records an
 * activity once, when it closes, with the attempt it closed on.
 */
export type HistoryRecord =
  | (Place & { kind: 'started'; input: unknown; carried?: CarriedState; continuedFrom?: string })
  | (Place & { kind: 'config'; config: SearchConfig })
  | (Place & ActivityPlace & { kind: 'evaluation'; request: EvalRequest; result: EvalResult })
  | (Place & ActivityPlace & ActivityFailure & { kind: 'evaluation-failed'; request: EvalRequest })
  | (Place & ActivityPlace & { kind: 'llm'; call: LlmCall; response: ChatResponse })
  | (Place & ActivityPlace & ActivityFailure & { kind: 'llm-failed'; call: LlmCall })
  | (Place & { kind: 'hint'; text: string })
  | (Place & { kind: 'signal'; name: string; input: unknown })
  | (Place & { kind: 'continued-as-new'; next: string })
  | (Place & { kind: 'closed'; status: ClosedStatus; result?: SearchResult; reason?: string });

export type HistoryRecordKind = HistoryRecord['kind'];
export type ClosedStatus = 'completed' | 'failed' | 'terminated' | 'canceled' | 'timed out';

export interface Place {
  /** The run the event is in. */
  run: string;
  /** ISO time of the event ('' when the history has none). */
  at: string;
  eventId: number;
}

export interface ActivityPlace {
  /** The attempt the activity closed on, from 1 (0: it timed out before any attempt started). */
  attempts: number;
  /** With `attempts` above 1: the failure of the attempt before, as Temporal kept it. */
  lastFailure?: string;
  /** The scheduling event: the order in which the workflow asked for it. */
  scheduledEventId: number;
  /** The workflow task that scheduled it: activities scheduled together share one (a batch). */
  workflowTask: number;
}

export interface ActivityFailure {
  outcome: 'failed' | 'timed out';
  /** The failure's message (a timeout's names it, e.g. "activity StartToClose timeout"). */
  error: string;
  /** Which timeout, for `timed out`: START_TO_CLOSE, HEARTBEAT, SCHEDULE_TO_START or SCHEDULE_TO_CLOSE. */
  timeoutType?: string;
  /** The application failure's type, e.g. "CommandFailed", "LlmServerError". */
  failureType?: string;
  /** The error was marked not retryable (the attempts stopped before the limit). */
  nonRetryable?: boolean;
}

/** One run's history: `fetchRuns` gives them oldest first. */
export interface RunHistory {
  runId: string;
  events: readonly Event[];
}

type Event = temporal.api.history.v1.IHistoryEvent;
type Payloads = temporal.api.common.v1.IPayloads | null | undefined;
type Failure = temporal.api.failure.v1.IFailure | null | undefined;

function decode<T>(payloads: Payloads, index = 0): T | undefined {
  const payload = payloads?.payloads?.[index];
  return payload ? defaultPayloadConverter.fromPayload<T>(payload) : undefined;
}

const timeOf = (e: Event): string => optionalTsToDate(e.eventTime)?.toISOString() ?? '';

/** An enum as its name without the prefix, whether decoded as a number (protobuf) or a name (JSON). */
function enumName(values: Record<number, string>, value: unknown, prefix: string): string | undefined {
  const name = typeof value === 'number' ? values[value] : typeof value === 'string' ? value : undefined;
  if (!name) return undefined;
  const bare = name.startsWith(prefix) ? name.slice(prefix.length) : name;
  return bare === 'UNSPECIFIED' ? undefined : bare;
}

interface Scheduled {
  type: string;
  input: unknown;
  scheduledEventId: number;
  workflowTask: number;
  started?: { attempt: number; lastFailure?: string };
}

/** The typed records of one run's events, in event order. */
export function readRun(run: string, events: readonly Event[]): HistoryRecord[] {
  const scheduled = new Map<string, Scheduled>();
  const records: HistoryRecord[] = [];
  for (const e of events) {
    const place: Place = { run, at: timeOf(e), eventId: Number(e.eventId ?? 0) };

    const started = e.workflowExecutionStartedEventAttributes;
    if (started) {
      const carried = decode<CarriedState>(started.input, 1);
      const from = started.continuedExecutionRunId || undefined;
      records.push({ ...place, kind: 'started', input: decode(started.input), ...(carried ? { carried } : {}), ...(from ? { continuedFrom: from } : {}) });
    }
    const memo = e.workflowPropertiesModifiedEventAttributes?.upsertedMemo?.fields?.config;
    if (memo) records.push({ ...place, kind: 'config', config: defaultPayloadConverter.fromPayload<SearchConfig>(memo) });

    const s = e.activityTaskScheduledEventAttributes;
    if (s) {
      scheduled.set(String(e.eventId), {
        type: s.activityType?.name ?? '',
        input: decode(s.input),
        scheduledEventId: place.eventId,
        workflowTask: Number(s.workflowTaskCompletedEventId ?? 0),
      });
    }
    const attempt = e.activityTaskStartedEventAttributes;
    if (attempt) {
      const from = scheduled.get(String(attempt.scheduledEventId));
      const lastFailure = attempt.lastFailure?.message || undefined;
      if (from) from.started = { attempt: attempt.attempt ?? 1, ...(lastFailure ? { lastFailure } : {}) };
    }

    const done = e.activityTaskCompletedEventAttributes;
    if (done) {
      const from = scheduled.get(String(done.scheduledEventId));
      if (from?.type === 'evaluateBatch') {
        records.push(...batchRecords(place, from, decode<unknown[]>(done.result)));
      } else if (from?.type === 'evaluate') {
        records.push({ ...place, ...activityPlace(from), kind: 'evaluation', request: from.input as EvalRequest, result: decode<EvalResult>(done.result)! });
      } else if (from?.type === 'llmChat') {
        records.push({ ...place, ...activityPlace(from), kind: 'llm', call: from.input as LlmCall, response: decode<ChatResponse>(done.result)! });
      }
    }
    const failed = e.activityTaskFailedEventAttributes;
    const timedOut = e.activityTaskTimedOutEventAttributes;
    if (failed || timedOut) {
      const from = scheduled.get(String((failed ?? timedOut)!.scheduledEventId));
      const failure = activityFailure(failed ? failed.failure : timedOut!.failure, timedOut ? 'timed out' : 'failed');
      if (from?.type === 'evaluateBatch') {
        for (const request of batchRequests(from)) records.push({ ...place, ...activityPlace(from), ...failure, kind: 'evaluation-failed', request });
      } else if (from?.type === 'evaluate') {
        records.push({ ...place, ...activityPlace(from), ...failure, kind: 'evaluation-failed', request: from.input as EvalRequest });
      } else if (from?.type === 'llmChat') {
        records.push({ ...place, ...activityPlace(from), ...failure, kind: 'llm-failed', call: from.input as LlmCall });
      }
    }

    const signal = e.workflowExecutionSignaledEventAttributes;
    if (signal) {
      const input = decode<unknown>(signal.input);
      if (signal.signalName === 'steer' && typeof input === 'string' && input.trim()) records.push({ ...place, kind: 'hint', text: input.trim() });
      else records.push({ ...place, kind: 'signal', name: signal.signalName ?? '', input });
    }
    const next = e.workflowExecutionContinuedAsNewEventAttributes;
    if (next) records.push({ ...place, kind: 'continued-as-new', next: next.newExecutionRunId ?? '' });
    const closed = closedRecord(e);
    if (closed) records.push({ ...place, kind: 'closed', ...closed });
  }
  return records;
}

/** The records of every run, oldest run first (as `fetchRuns` gives them). */
export function readRuns(runs: readonly RunHistory[]): HistoryRecord[] {
  return runs.flatMap((r) => readRun(r.runId, r.events));
}

/**
 * A batch's requests, one per candidate, as single evaluations would have
 * carried them; none for a ranking stage's batch, whose scores are not
 * evaluations (the result's `ranking` counts them).
 */
function batchRequests(from: Scheduled): EvalRequest[] {
  const { archs, attempts: _attempts, purpose, ...common } = (from.input ?? {}) as Partial<EvalBatchRequest>;
  if (purpose === 'rank' || !Array.isArray(archs)) return [];
  return archs.map((arch) => ({ ...(common as Omit<EvalRequest, 'arch'>), arch }));
}

/** A completed `evaluateBatch`: one record per candidate, its result or its own failure, in the batch's order. */
function batchRecords(place: Place, from: Scheduled, outcomes: unknown[] | undefined): HistoryRecord[] {
  return batchRequests(from).map((request, i): HistoryRecord => {
    const o = (outcomes?.[i] ?? {}) as Partial<{ result: EvalResult; error: string; type: string; nonRetryable: boolean; attempts: number }>;
    if (o.result) return { ...place, ...activityPlace(from), ...(o.attempts !== undefined ? { attempts: o.attempts } : {}), kind: 'evaluation', request, result: o.result };
    return {
      ...place,
      ...activityPlace(from),
      // A candidate's attempts were made inside the activity.
      ...(o.attempts !== undefined ? { attempts: o.attempts } : {}),
      outcome: 'failed',
      error: o.error ?? 'the eval worker returned no outcome for it',
      ...(o.type ? { failureType: o.type } : {}),
      ...(o.nonRetryable ? { nonRetryable: true } : {}),
      kind: 'evaluation-failed',
      request,
    };
  });
}

function activityPlace(from: Scheduled): ActivityPlace {
  return {
    attempts: from.started?.attempt ?? 0,
    ...(from.started?.lastFailure ? { lastFailure: from.started.lastFailure } : {}),
    scheduledEventId: from.scheduledEventId,
    workflowTask: from.workflowTask,
  };
}

function activityFailure(failure: Failure, outcome: ActivityFailure['outcome']): ActivityFailure {
  const timeoutType = enumName(temporal.api.enums.v1.TimeoutType, failure?.timeoutFailureInfo?.timeoutType, 'TIMEOUT_TYPE_');
  const app = failure?.applicationFailureInfo;
  return {
    outcome,
    error: failure?.message || (outcome === 'timed out' ? 'timed out' : 'failed'),
    ...(outcome === 'timed out' && timeoutType ? { timeoutType } : {}),
    ...(app?.type ? { failureType: app.type } : {}),
    ...(app?.nonRetryable ? { nonRetryable: true } : {}),
  };
}

function closedRecord(e: Event): { status: ClosedStatus; result?: SearchResult; reason?: string } | undefined {
  const completed = e.workflowExecutionCompletedEventAttributes;
  if (completed) {
    const result = decode<SearchResult>(completed.result);
    return { status: 'completed', ...(result ? { result } : {}) };
  }
  const failed = e.workflowExecutionFailedEventAttributes;
  if (failed) return { status: 'failed', ...(failed.failure?.message ? { reason: failed.failure.message } : {}) };
  const terminated = e.workflowExecutionTerminatedEventAttributes;
  if (terminated) return { status: 'terminated', ...(terminated.reason ? { reason: terminated.reason } : {}) };
  if (e.workflowExecutionCanceledEventAttributes) return { status: 'canceled' };
  if (e.workflowExecutionTimedOutEventAttributes) return { status: 'timed out' };
  return undefined;
}

/**
 * Fetches a search's histories, oldest run first. The chain of continue-as-new
 * runs is followed backwards from the latest run through each run's
 * predecessor (recorded in its first event), so only this search's runs are
 * read, even when its workflow id was used before, and without waiting for
 * visibility.
 */
export async function fetchRuns(client: Client, workflowId: string): Promise<RunHistory[]> {
  const latest = await client.workflow.getHandle(workflowId).describe().catch((err: unknown) => {
    throw err instanceof WorkflowNotFoundError ? new Error(`no search with workflow id ${workflowId} (in namespace ${client.options.namespace})`) : err;
  });
  if (latest.type !== 'nasSearch') throw new Error(`${workflowId} is a ${latest.type} workflow, not a search (nasSearch)`);
  const runs: RunHistory[] = [];
  for (let runId: string | undefined = latest.runId; runId; ) {
    const events: RunHistory['events'] = (await client.workflow.getHandle(workflowId, runId).fetchHistory()).events ?? [];
    runs.unshift({ runId, events });
    runId = events[0]?.workflowExecutionStartedEventAttributes?.continuedExecutionRunId || undefined;
  }
  return runs;
}

/** How one activity type's activities ended. */
export interface ActivityTally {
  completed: number;
  /** Failed for good (retries spent, or not retryable). */
  failed: number;
  /** Timed out for good. */
  timedOut: number;
  /** Took more than one attempt, however they ended. */
  retried: number;
}

/** The evaluations' and LLM calls' tallies of some records. */
export function tallyActivities(records: readonly HistoryRecord[]): { evaluations: ActivityTally; llm: ActivityTally } {
  const tally = (): ActivityTally => ({ completed: 0, failed: 0, timedOut: 0, retried: 0 });
  const counts = { evaluations: tally(), llm: tally() };
  for (const r of records) {
    if (r.kind !== 'evaluation' && r.kind !== 'evaluation-failed' && r.kind !== 'llm' && r.kind !== 'llm-failed') continue;
    const t = r.kind === 'evaluation' || r.kind === 'evaluation-failed' ? counts.evaluations : counts.llm;
    if (r.kind === 'evaluation' || r.kind === 'llm') t.completed++;
    else if (r.outcome === 'timed out') t.timedOut++;
    else t.failed++;
    if (r.attempts > 1) t.retried++;
  }
  return counts;
}
