import {
  ScheduleOverlapPolicy,
  type Backfill,
  type CalendarSpec,
  type Client,
  type ScheduleDescription,
  type ScheduleHandle,
  type ScheduleSpec,
  type ScheduleSpecDescription,
  type WorkflowExecutionInfo,
} from '@temporalio/client';
import type { Duration } from '@temporalio/common';
import { prepared } from '../config/prepared';
import { SCHEDULE_ID_PATTERN } from '../search/limits';
import { searchDetails, searchSummary } from '../search/describe';
import { CONTROL_TASK_QUEUE } from '../search/task-queues';
import { identityAttributes, scheduledRunsQuery } from '../workflows/search-attributes';

/**
 * Temporal Schedules that start `nasSearch`, e.g. a nightly search that
 * warm-starts from the night before (config `warmStart`). The config is
 * validated before the schedule is created or changed, so a bad one never
 * leaves a schedule behind that fails every night.
 */

/** When runs start. At least one of cron, calendars, every. */
export interface ScheduleTiming {
  /** Cron expressions, e.g. "0 2 * * *": 02:00 every night. */
  cron?: string[];
  /** Calendar times, e.g. {hour: 2, minute: 30, dayOfWeek: {start: 'MONDAY', end: 'FRIDAY'}}. */
  calendars?: CalendarSpec[];
  /** A fixed interval, e.g. "24h" or "5s", counted from the Unix epoch (plus `offset`). */
  every?: Duration;
  offset?: Duration;
  /** IANA time zone of cron and calendar times, e.g. "Europe/Berlin"; default UTC. */
  timezone?: string;
  /** Each run starts up to this much later, at random, e.g. "10m", so many schedules do not all start on the second. */
  jitter?: Duration;
}

export interface SchedulePolicies {
  /** What happens when a run is due while the previous one still runs; default SKIP: no second run. */
  overlap?: ScheduleOverlapPolicy;
  /** After the server was down, runs missed by at most this long are still started (Temporal's default: 1 year). */
  catchupWindow?: Duration;
  /** Pause the schedule when a run fails. */
  pauseOnFailure?: boolean;
}

export interface SearchScheduleOptions extends ScheduleTiming, SchedulePolicies {
  scheduleId: string;
  /** The control workers' queue; default the usual one. */
  taskQueue?: string;
  /** Runs are named this plus the time they were due; default the schedule id. */
  workflowId?: string;
  /** Fails a workflow task after this long instead of the default 10 s (tests shorten it). */
  workflowTaskTimeout?: string;
  /** Create it paused (with a note saying why). */
  paused?: boolean;
  note?: string;
  /** Start one run now, besides the timed ones. */
  triggerImmediately?: boolean;
}

export interface SearchScheduleUpdate extends ScheduleTiming, SchedulePolicies {
  /** A new raw config for the next runs (validated first); runs already going keep theirs. */
  config?: unknown;
  taskQueue?: string;
}

/** A schedule as people read it: what it starts, when, and what it has done. */
export interface SearchScheduleInfo {
  scheduleId: string;
  /** The raw config every run starts with, as written. */
  config: unknown;
  taskQueue: string;
  spec: ScheduleSpecDescription;
  overlap: ScheduleOverlapPolicy;
  catchupWindowMs: number;
  pauseOnFailure: boolean;
  paused: boolean;
  note?: string;
  actionsTaken: number;
  skippedOverlap: number;
  missedCatchupWindow: number;
  /** Workflow ids of the runs still going. */
  running: string[];
  recent: { workflowId: string; scheduledAt: Date; takenAt: Date }[];
  next: Date[];
}

export interface SearchScheduleListing {
  scheduleId: string;
  paused: boolean;
  note?: string;
  spec?: ScheduleSpecDescription;
  recent: { workflowId: string; takenAt: Date }[];
  next: Date[];
}

const WORKFLOW_TYPE = 'nasSearch';

/** `search`: a PreparedConfig (resolved by the caller, not again here) or raw JSON (resolved here). */
export async function createSearchSchedule(client: Client, search: unknown, options: SearchScheduleOptions): Promise<ScheduleHandle> {
  checkScheduleId(options.scheduleId);
  const { raw: rawConfig, resolved: config } = prepared(search);
  const spec = scheduleSpec(options);
  return client.schedule.create({
    scheduleId: options.scheduleId,
    spec,
    action: {
      type: 'startWorkflow',
      workflowType: WORKFLOW_TYPE,
      taskQueue: options.taskQueue ?? CONTROL_TASK_QUEUE,
      workflowId: options.workflowId ?? options.scheduleId,
      // The raw config travels, as with startSearch: each run resolves it against the registries of its day.
      args: [rawConfig],
      // Set at start, as startSearch does; Temporal adds TemporalScheduledById, which warm starts search by.
      typedSearchAttributes: identityAttributes(config),
      staticSummary: searchSummary(config),
      staticDetails: searchDetails(config),
      ...(options.workflowTaskTimeout ? { workflowTaskTimeout: options.workflowTaskTimeout as `${number}s` } : {}),
    },
    policies: policies(options, { overlap: ScheduleOverlapPolicy.SKIP }),
    // The same attributes on the schedule, so schedules can be listed by space, dataset and strategy too.
    typedSearchAttributes: identityAttributes(config),
    state: {
      ...(options.paused !== undefined ? { paused: options.paused } : {}),
      ...(options.note !== undefined ? { note: options.note } : {}),
      ...(options.triggerImmediately ? { triggerImmediately: true } : {}),
    },
  });
}

/** Changes what is given and keeps the rest; a new config is validated before anything changes. */
export async function updateSearchSchedule(client: Client, scheduleId: string, changes: SearchScheduleUpdate): Promise<SearchScheduleInfo> {
  const config = changes.config !== undefined ? prepared(changes.config) : undefined;
  const retimed = hasTimes(changes);
  if (retimed) scheduleSpec(changes);
  else if (changes.timezone !== undefined) checkTimezone(changes.timezone);
  const handle = client.schedule.getHandle(scheduleId);
  await handle.update((prev) => ({
    ...prev,
    spec: {
      ...prev.spec,
      // New times replace the old ones altogether (the server keeps cron as calendars).
      ...(retimed ? { cronExpressions: changes.cron ?? [], calendars: changes.calendars ?? [], intervals: intervals(changes) } : {}),
      ...(changes.timezone !== undefined ? { timezone: changes.timezone } : {}),
      ...(changes.jitter !== undefined ? { jitter: changes.jitter } : {}),
    },
    action: {
      ...prev.action,
      ...(changes.taskQueue !== undefined ? { taskQueue: changes.taskQueue } : {}),
      ...(config
        ? { args: [config.raw], typedSearchAttributes: identityAttributes(config.resolved), staticSummary: searchSummary(config.resolved), staticDetails: searchDetails(config.resolved) }
        : {}),
    },
    policies: policies(changes, prev.policies),
    ...(config ? { typedSearchAttributes: identityAttributes(config.resolved) } : {}),
  }));
  return describeSearchSchedule(client, scheduleId);
}

export async function describeSearchSchedule(client: Client, scheduleId: string): Promise<SearchScheduleInfo> {
  return digest(await client.schedule.getHandle(scheduleId).describe());
}

/** The schedules that start `nasSearch` (listing is eventually consistent: a new one shows up within seconds). */
export async function listSearchSchedules(client: Client): Promise<SearchScheduleListing[]> {
  const found: SearchScheduleListing[] = [];
  for await (const s of client.schedule.list()) {
    if (s.action?.workflowType !== WORKFLOW_TYPE) continue;
    found.push({
      scheduleId: s.scheduleId,
      paused: s.state.paused,
      ...(s.state.note ? { note: s.state.note } : {}),
      ...(s.spec ? { spec: s.spec } : {}),
      recent: s.info.recentActions.map((a) => ({ workflowId: a.action.workflow.workflowId, takenAt: a.takenAt })),
      next: s.info.nextActionTimes,
    });
  }
  return found;
}

export async function pauseSearchSchedule(client: Client, scheduleId: string, note?: string): Promise<void> {
  await client.schedule.getHandle(scheduleId).pause(note);
}

export async function unpauseSearchSchedule(client: Client, scheduleId: string, note?: string): Promise<void> {
  await client.schedule.getHandle(scheduleId).unpause(note);
}

/** Starts a run now; by default under the schedule's overlap policy (with SKIP, none while one is going). */
export async function triggerSearchSchedule(client: Client, scheduleId: string, overlap?: ScheduleOverlapPolicy): Promise<void> {
  const handle = client.schedule.getHandle(scheduleId);
  // The SDK sends ALLOW_ALL when no policy is given, so the schedule's own is looked up and passed.
  await handle.trigger(overlap ?? (await handle.describe()).policies.overlap);
}

/**
 * Takes the runs that were due between `start` and `end` now. They are all
 * due at once, so SKIP would start only the first; the default BUFFER_ALL
 * runs them one after another, each warm-starting from the one before.
 */
export async function backfillSearchSchedule(
  client: Client,
  scheduleId: string,
  range: { start: Date; end: Date; overlap?: ScheduleOverlapPolicy },
): Promise<void> {
  if (!(range.start < range.end)) throw new Error(`backfill: start ${range.start.toISOString()} must be before end ${range.end.toISOString()}`);
  const backfill: Backfill = { start: range.start, end: range.end, overlap: range.overlap ?? ScheduleOverlapPolicy.BUFFER_ALL };
  await client.schedule.getHandle(scheduleId).backfill(backfill);
}

/** Deletes the schedule: no new runs start; runs already going go on. */
export async function deleteSearchSchedule(client: Client, scheduleId: string): Promise<void> {
  await client.schedule.getHandle(scheduleId).delete();
}

/** The runs a schedule started (newest first), found by the `TemporalScheduledById` Temporal sets on them. */
export async function listScheduledRuns(
  client: Client,
  scheduleId: string,
  status?: Parameters<typeof scheduledRunsQuery>[1],
): Promise<WorkflowExecutionInfo[]> {
  const runs: WorkflowExecutionInfo[] = [];
  for await (const run of client.workflow.list({ query: scheduledRunsQuery(scheduleId, status) })) runs.push(run);
  return runs.sort((a, b) => b.startTime.getTime() - a.startTime.getTime());
}

function checkScheduleId(id: string): void {
  if (!id || !SCHEDULE_ID_PATTERN.test(id)) throw new Error(`schedule id ${JSON.stringify(id)}: give a non-empty id without quotes or backslashes`);
}

function hasTimes(t: ScheduleTiming): boolean {
  return (t.cron?.length ?? 0) > 0 || (t.calendars?.length ?? 0) > 0 || t.every !== undefined;
}

function intervals(t: ScheduleTiming): NonNullable<ScheduleSpec['intervals']> {
  return t.every !== undefined ? [{ every: t.every, ...(t.offset !== undefined ? { offset: t.offset } : {}) }] : [];
}

/** The timing as Temporal's spec; mistakes Temporal would report less clearly are refused here. */
function scheduleSpec(t: ScheduleTiming): ScheduleSpec {
  if (!hasTimes(t)) throw new Error('schedule: give cron, calendars or every (e.g. cron ["0 2 * * *"] for 02:00 every night)');
  if (t.timezone !== undefined) checkTimezone(t.timezone);
  return {
    ...(t.cron?.length ? { cronExpressions: t.cron } : {}),
    ...(t.calendars?.length ? { calendars: t.calendars } : {}),
    ...(t.every !== undefined ? { intervals: intervals(t) } : {}),
    ...(t.timezone !== undefined ? { timezone: t.timezone } : {}),
    ...(t.jitter !== undefined ? { jitter: t.jitter } : {}),
  };
}

function checkTimezone(timezone: string): void {
  try {
    new Intl.DateTimeFormat('en', { timeZone: timezone });
  } catch {
    throw new Error(`schedule: unknown time zone '${timezone}'; use an IANA name such as "Europe/Berlin" or "UTC"`);
  }
}

function policies(p: SchedulePolicies, base: { overlap?: ScheduleOverlapPolicy; catchupWindow?: Duration; pauseOnFailure?: boolean }) {
  const overlap = p.overlap ?? base.overlap;
  const catchupWindow = p.catchupWindow ?? base.catchupWindow;
  const pauseOnFailure = p.pauseOnFailure ?? base.pauseOnFailure;
  return {
    ...(overlap !== undefined ? { overlap } : {}),
    ...(catchupWindow !== undefined ? { catchupWindow } : {}),
    ...(pauseOnFailure !== undefined ? { pauseOnFailure } : {}),
  };
}

function digest(d: ScheduleDescription): SearchScheduleInfo {
  return {
    scheduleId: d.scheduleId,
    config: d.action.args?.[0],
    taskQueue: d.action.taskQueue,
    spec: d.spec,
    overlap: d.policies.overlap,
    catchupWindowMs: d.policies.catchupWindow,
    pauseOnFailure: d.policies.pauseOnFailure,
    paused: d.state.paused,
    ...(d.state.note ? { note: d.state.note } : {}),
    actionsTaken: d.info.numActionsTaken,
    skippedOverlap: d.info.numActionsSkippedOverlap,
    missedCatchupWindow: d.info.numActionsMissedCatchupWindow,
    running: d.info.runningActions.map((a) => a.workflow.workflowId),
    recent: d.info.recentActions.map((a) => ({ workflowId: a.action.workflow.workflowId, scheduledAt: a.scheduledAt, takenAt: a.takenAt })),
    next: d.info.nextActionTimes,
  };
}
