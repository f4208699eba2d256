import type { ScheduleSpecDescription } from '@temporalio/client';
import type { SearchScheduleInfo, SearchScheduleListing } from '../../../client/schedule';
import { resolveSearchConfig } from '../../../config/resolve';

/** Schedules as people read them; --json prints what the schedule functions return instead. */

const UNITS: [string, number][] = [
  ['d', 86_400_000],
  ['h', 3_600_000],
  ['m', 60_000],
  ['s', 1000],
];

/** 86400000 → "1d", 5400000 → "90m": the largest unit that divides it, as --every takes it. */
export function formatDuration(ms: number): string {
  for (const [unit, size] of UNITS) if (ms >= size && ms % size === 0) return `${ms / size}${unit}`;
  return `${ms}ms`;
}

type Calendar = NonNullable<ScheduleSpecDescription['calendars']>[number];
type Range = { start: number | string; end: number | string; step: number };

const rangesText = (ranges: readonly Range[]): string =>
  ranges.map((r) => `${r.start}${r.end !== r.start ? `-${r.end}` : ''}${r.step > 1 ? `/${r.step}` : ''}`).join(',');

/** What the server fills in for a field a calendar leaves out (every day, every month, any year). */
const ALL: Partial<Record<keyof Calendar, string>> = {
  dayOfMonth: '1-31',
  month: 'JANUARY-DECEMBER',
  year: '',
  dayOfWeek: 'SUNDAY-SATURDAY',
};

/** {hour 2, minute 30, dayOfWeek MONDAY-FRIDAY} → "02:30 dayOfWeek MONDAY-FRIDAY". The server keeps cron expressions as calendars. */
function calendarText(c: Calendar): string {
  const single = (ranges: readonly Range[]) => (ranges.length === 1 && ranges[0]!.start === ranges[0]!.end ? Number(ranges[0]!.start) : undefined);
  const [h, m, s] = [single(c.hour), single(c.minute), single(c.second)];
  const pad = (n: number) => String(n).padStart(2, '0');
  const parts =
    h !== undefined && m !== undefined && s !== undefined
      ? [`${pad(h)}:${pad(m)}${s ? `:${pad(s)}` : ''}`]
      : [`hour ${rangesText(c.hour)}`, `minute ${rangesText(c.minute)}`, ...(s === 0 ? [] : [`second ${rangesText(c.second)}`])];
  for (const field of ['dayOfMonth', 'month', 'year', 'dayOfWeek'] as const) {
    const text = rangesText(c[field] as readonly Range[]);
    if (text !== ALL[field]) parts.push(`${field} ${text}`);
  }
  return parts.join(' ') + (c.comment ? ` (${c.comment})` : '');
}

/** "every 24h +2h; 02:30 dayOfWeek MONDAY-FRIDAY (Europe/Berlin), jitter 10m" */
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
