import type { ScheduleSpecDescription } from '@temporalio/client';
import type { SearchScheduleInfo, SearchScheduleListing } from '../../../client/schedule';
import { resolveSearchConfig } from '../../../config/resolve';
import { formatDuration } from '../../../lib/duration';

/** Schedules as people read them; --json prints what the schedule functions return instead. */

type Calendar = NonNullable<ScheduleSpecDescription['calendars']>[number];
type Range = { start: number | string; end: number | string; step: number };

const pad = (n: number | string) => String(n).padStart(2, '0');
/** JANUARY → January, MONDAY → Monday. */
const titled = (name: number | string) => String(name).charAt(0) + String(name).slice(1).toLowerCase();

/** Ranges as words: "1, 15", "Monday-Friday", "0-59 every 15". */
function rangesText(ranges: readonly Range[], name: (v: number | string) => string = String): string {
  return ranges
    .map((r) => (r.start === r.end ? name(r.start) : `${name(r.start)}-${name(r.end)}${r.step > 1 ? ` every ${r.step}` : ''}`))
    .join(', ');
}

const single = (ranges: readonly Range[]): number | undefined =>
  ranges.length === 1 && ranges[0]!.start === ranges[0]!.end ? Number(ranges[0]!.start) : undefined;
/** Every value from first to last, as the server fills in a field a calendar leaves out. */
const whole = (ranges: readonly Range[], first: number | string, last: number | string): boolean =>
  ranges.length === 0 || (ranges.length === 1 && ranges[0]!.start === first && ranges[0]!.end === last && ranges[0]!.step === 1);
const several = (ranges: readonly Range[]) => ranges.length > 1 || ranges.some((r) => r.start !== r.end);

/** The times of day: "at 03:00", "at 03:00 and 15:00", "every hour at :15", "every 15 minutes". */
function timeText(c: Calendar): string {
  const [h, m, s] = [single(c.hour), single(c.minute), single(c.second)];
  const clock = (hour: number | string, minute: number) => `${pad(hour)}:${pad(minute)}${s ? `:${pad(s)}` : ''}`;
  if (m !== undefined && s !== undefined) {
    if (h !== undefined) return `at ${clock(h, m)}`;
    if (whole(c.hour, 0, 23)) return `every hour at :${pad(m)}${s ? `:${pad(s)}` : ''}`;
    if (c.hour.every((r) => r.start === r.end)) return `at ${c.hour.map((r) => clock(r.start, m)).join(' and ')}`;
    if (c.hour.length === 1) {
      const r = c.hour[0]!;
      return `${r.step > 1 ? `every ${r.step} hours` : 'every hour'} from ${clock(r.start, m)} to ${clock(r.end, m)}`;
    }
  }
  const step = c.minute.length === 1 && c.minute[0]!.start === 0 && c.minute[0]!.end === 59 ? c.minute[0]!.step : undefined;
  if (step !== undefined && s === 0 && whole(c.hour, 0, 23)) return step === 1 ? 'every minute' : `every ${step} minutes`;
  return `at hour ${rangesText(c.hour)}, minute ${rangesText(c.minute)}${s === 0 ? '' : `, second ${rangesText(c.second)}`}`;
}

/**
 * A calendar in words: "at 03:00 on day 1 of January", "at 02:30 on
 * Monday-Friday", "every 15 minutes". The server keeps a cron expression as
 * such a calendar, not as written, so this is how a --cron reads back too.
 */
function calendarText(c: Calendar): string {
  const parts = [timeText(c)];
  const anyDay = whole(c.dayOfMonth, 1, 31);
  const anyMonth = whole(c.month, 'JANUARY', 'DECEMBER');
  const anyWeekday = whole(c.dayOfWeek, 'SUNDAY', 'SATURDAY');
  const weekdays = rangesText(c.dayOfWeek, titled);
  // Both days must match (Temporal ands them, unlike cron): "on day 13 of every month if a Friday".
  if (!anyDay) {
    parts.push(`on day${several(c.dayOfMonth) ? 's' : ''} ${rangesText(c.dayOfMonth)} of ${anyMonth ? 'every month' : rangesText(c.month, titled)}`);
    if (!anyWeekday) parts.push(`if a ${weekdays}`);
  } else {
    if (!anyWeekday) parts.push(`on ${weekdays}`);
    if (!anyMonth) parts.push(`in ${rangesText(c.month, titled)}`);
    if (anyWeekday && anyMonth && parts[0]!.startsWith('at ')) parts.push('every day');
  }
  if (c.year.length > 0) parts.push(`in ${rangesText(c.year)}`);
  return parts.join(' ') + (c.comment ? ` (${c.comment})` : '');
}

/** "every 1d +2h; at 02:30 on Monday-Friday (Europe/Berlin), jitter 10m" */
export function whenText(spec: ScheduleSpecDescription | undefined): string {
  if (!spec) return '?';
  const times = [
    ...(spec.intervals ?? []).map((i) => `every ${formatDuration(i.every)}${i.offset ? ` +${formatDuration(i.offset)}` : ''}`),
    ...(spec.calendars ?? []).map(calendarText),
  ];
  const zone = spec.timezone && (spec.calendars?.length ?? 0) > 0 ? ` (${spec.timezone})` : '';
  return `${times.join('; ') || 'never'}${zone}${spec.jitter ? `, jitter ${formatDuration(spec.jitter)}` : ''}`;
}

const time = (d: Date) => d.toISOString();

/** What a config starts, in a few words, with its defaults filled in: "nb201/cifar10 random, budget 100, warm start (top 5)". */
function configText(config: unknown): string {
  try {
    const c = resolveSearchConfig(config);
    const warm = c.warmStart ? `, warm start (top ${c.warmStart.top})` : '';
    return `${c.name ? `"${c.name}": ` : ''}${c.space}/${c.dataset} ${c.strategy.name}, budget ${c.budget}${warm}`;
  } catch {
    // A config today's registries refuse still shows, as written.
    return JSON.stringify(config);
  }
}

export function describeText(info: SearchScheduleInfo): string {
  const lines = [
    `schedule ${info.scheduleId}: ${info.paused ? 'paused' : 'active'}${info.note ? ` (${info.note})` : ''}`,
    `  starts    ${configText(info.config)} on task queue ${info.taskQueue} (the config: --json)`,
    `  when      ${whenText(info.spec)}`,
    `  overlap   ${(info.overlap ?? 'SKIP').toLowerCase().replace(/_/g, '-')}; catch-up window ${formatDuration(info.catchupWindowMs)}; ${info.pauseOnFailure ? 'pauses' : 'goes on'} when a run fails`,
    `  runs      ${info.actionsTaken} started, ${info.skippedOverlap} skipped (overlap), ${info.missedCatchupWindow} missed (catch-up window)`,
    ...info.running.map((id) => `  running   ${id}`),
    ...info.recent.slice(-5).map((r) => `  recent    ${r.workflowId} at ${time(r.takenAt)}`),
    ...info.next.slice(0, 3).map((d) => `  next      ${time(d)}${info.paused ? ' (if unpaused)' : ''}`),
  ];
  return lines.join('\n');
}

export function listText(schedules: readonly SearchScheduleListing[]): string {
  if (schedules.length === 0) return 'no search schedules; create one with `collm-nas schedule create nightly config/default.json --cron \'0 2 * * *\'`';
  return schedules
    .map((s) => {
      const next = s.next[0] && !s.paused ? `next ${time(s.next[0])}` : '';
      const last = s.recent.at(-1);
      return [s.scheduleId, s.paused ? 'paused' : 'active', whenText(s.spec), next, last ? `last ${last.workflowId}` : ''].filter(Boolean).join('\t');
    })
    .join('\n');
}
