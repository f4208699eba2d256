import { InvalidArgumentError, type Command } from 'commander';
import { ScheduleOverlapPolicy, type CalendarSpec } from '@temporalio/client';
import type { ScheduleTiming, SchedulePolicies } from '../../../client/schedule';
import { parseDuration } from '../../../lib/duration';
import { SCHEDULE_ID_PATTERN } from '../../../search/limits';
import { collect } from '../../command';
import { usageError } from '../../errors';

/** The flags `schedule` parses; commander reports a value they refuse as a usage error (exit 2). */

export function scheduleId(value: string): string {
  if (!value || !SCHEDULE_ID_PATTERN.test(value)) throw new InvalidArgumentError('a schedule id is non-empty, without quotes or backslashes, e.g. nightly-nb201');
  return value;
}

/**
 * A duration with its unit, as src/lib/duration.ts reads it ("24h", "10m",
 * "1d", "90s", "1.5h"), or a bare 0 (`--jitter 0` takes the jitter away).
 */
export function duration(value: string): number {
  const text = value.trim();
  if (text === '0') return 0;
  try {
    return parseDuration(text);
  } catch {
    throw new InvalidArgumentError('expected a duration with its unit, e.g. 24h, 10m, 1d, 90s');
  }
}

function positiveDuration(value: string): number {
  const ms = duration(value);
  if (ms === 0) throw new InvalidArgumentError('expected a duration longer than 0, e.g. 24h');
  return ms;
}

const OVERLAP_NAMES = Object.values(ScheduleOverlapPolicy)
  .filter((p): p is NonNullable<typeof p> => p !== undefined)
  .map((p) => p.toLowerCase().replace(/_/g, '-'));

export function overlap(value: string): ScheduleOverlapPolicy {
  const name = value.trim().toLowerCase().replace(/_/g, '-');
  if (!OVERLAP_NAMES.includes(name)) throw new InvalidArgumentError(`expected one of ${OVERLAP_NAMES.join(', ')}`);
  return name.toUpperCase().replace(/-/g, '_') as ScheduleOverlapPolicy;
}

/** One calendar time as JSON, e.g. {"hour": 2, "minute": 30, "dayOfWeek": "MONDAY"}; repeatable. */
function calendar(value: string, previous: CalendarSpec[]): CalendarSpec[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch {
    parsed = undefined;
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new InvalidArgumentError('expected a JSON object such as \'{"hour": 2, "minute": 30, "dayOfWeek": {"start": "MONDAY", "end": "FRIDAY"}}\'');
  }
  return [...previous, parsed as CalendarSpec];
}

export function timezone(value: string): string {
  try {
    new Intl.DateTimeFormat('en', { timeZone: value });
  } catch {
    throw new InvalidArgumentError('expected an IANA time zone, e.g. Europe/Berlin or UTC');
  }
  return value;
}

export function isoDate(value: string): Date {
  const date = new Date(value);
  if (Number.isNaN(date.getTime())) throw new InvalidArgumentError('expected a date and time, e.g. 2025-06-01T02:00:00Z');
  return date;
}

/** The timing and policy flags create and update share. */
export function withTimingFlags(command: Command, { update }: { update: boolean }): Command {
  const times = update ? ' (replaces all the schedule\'s times)' : '';
  command
    .option('--cron <expr>', `a cron expression, e.g. '0 2 * * *' for 02:00 every night; repeatable${times}`, collect, [])
    .option('--every <duration>', `a fixed interval, e.g. 24h, counted from the Unix epoch (00:00 UTC)${times}`, positiveDuration)
    .option('--offset <duration>', 'with --every: shifted by this much, e.g. --every 24h --offset 2h for 02:00 UTC', duration)
    .option('--calendar <json>', `a calendar time as JSON, e.g. '{"hour": 2, "dayOfWeek": "MONDAY"}'; repeatable${times}`, calendar, [])
    .option('--timezone <zone>', 'IANA time zone of --cron and --calendar, e.g. Europe/Berlin (default UTC)', timezone)
    .option('--jitter <duration>', 'start each run up to this much later, at random, e.g. 10m', duration)
    .option('--overlap <policy>', `when a run is due while the last still runs: ${OVERLAP_NAMES.join('|')}${update ? '' : ' (default skip)'}`, overlap)
    .option('--catchup-window <duration>', 'after the server was down, still start the runs missed by at most this long, e.g. 1d', duration)
    .option('--pause-on-failure', 'pause the schedule when a run fails');
  if (update) command.option('--no-pause-on-failure', 'no longer pause it when a run fails');
  return command;
}

export interface TimingFlags {
  cron: string[];
  every?: number;
  offset?: number;
  calendar: CalendarSpec[];
  timezone?: string;
  jitter?: number;
  overlap?: ScheduleOverlapPolicy;
  catchupWindow?: number;
  pauseOnFailure?: boolean;
}

/** The flags as the schedule functions take them. */
export function timingOf(flags: TimingFlags): ScheduleTiming & SchedulePolicies {
  if (flags.offset !== undefined && flags.every === undefined) throw usageError('--offset shifts --every: give --every too, e.g. --every 24h --offset 2h');
  return {
    ...(flags.cron.length > 0 ? { cron: flags.cron } : {}),
    ...(flags.calendar.length > 0 ? { calendars: flags.calendar } : {}),
    ...(flags.every !== undefined ? { every: flags.every } : {}),
    ...(flags.offset !== undefined ? { offset: flags.offset } : {}),
    ...(flags.timezone !== undefined ? { timezone: flags.timezone } : {}),
    ...(flags.jitter !== undefined ? { jitter: flags.jitter } : {}),
    ...(flags.overlap !== undefined ? { overlap: flags.overlap } : {}),
    ...(flags.catchupWindow !== undefined ? { catchupWindow: flags.catchupWindow } : {}),
    ...(flags.pauseOnFailure !== undefined ? { pauseOnFailure: flags.pauseOnFailure } : {}),
  };
}

/** The statuses `schedule runs --status` selects by, as visibility queries name them. */
export const RUN_STATUSES = ['Running', 'Completed', 'Failed', 'Terminated', 'Canceled', 'TimedOut'] as const;
export type RunStatus = (typeof RUN_STATUSES)[number];

/** A status as the CLI prints it ("timed-out"); the visibility names ("TimedOut") are taken too. */
export const runStatusName = (s: RunStatus): string => s.replace(/(?<=[a-z])(?=[A-Z])/g, '-').toLowerCase();
export const RUN_STATUS_NAMES = RUN_STATUSES.map(runStatusName);

export function runStatus(value: string): RunStatus {
  const key = (s: string) => s.trim().toLowerCase().replace(/[-_\s]/g, '');
  const found = RUN_STATUSES.find((s) => key(s) === key(value));
  if (!found) throw new InvalidArgumentError(`expected one of ${RUN_STATUS_NAMES.join(', ')}`);
  return found;
}
