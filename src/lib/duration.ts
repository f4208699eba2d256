import { msToNumber, type Duration } from '@temporalio/common';
import { z } from 'zod';

/**
 * Durations as the search config, the command evaluator's options and the
 * CLI's flags take them: Temporal's own grammar (msToNumber, the `ms`
 * package), which is how the config's activity timeouts are read in the end,
 * so whatever passes here Temporal reads the same way. A number and a unit:
 * "500ms", "30s", "10m", "2h", "1.5h", "1d", also "1 day", "2 hours", "1w".
 * A bare number, which Temporal would read as milliseconds, is refused:
 * nobody writing "30" means 30 ms. So is a negative one.
 */

const DURATION_EXAMPLES = '"30s", "10m" or "2h"';

/** Why `text` is not a duration, or undefined when it is one. */
export function durationProblem(text: string): string | undefined {
  let ms: number;
  try {
    ms = msToNumber(text as Duration);
  } catch {
    return `must be a duration such as ${DURATION_EXAMPLES}`;
  }
  if (!/[a-z]$/i.test(text)) return `must be a duration with its unit, such as ${DURATION_EXAMPLES}`;
  if (!Number.isFinite(ms) || ms < 0) return `must be a duration of 0 or more, such as ${DURATION_EXAMPLES}`;
  return undefined;
}

/** `text` in milliseconds; an Error naming it and what is accepted when it is not a duration. */
export function parseDuration(text: string): number {
  const problem = durationProblem(text);
  if (problem) throw new Error(`'${text}' ${problem.replace(/^must be/, 'is not')}`);
  return msToNumber(text as Duration);
}

/** A config field holding a duration, kept as written (Temporal reads the text); refused with `durationProblem`'s words. */
export const durationSchema = z.string().superRefine((text, ctx) => {
  const problem = durationProblem(text);
  if (problem) ctx.addIssue({ code: 'custom', message: problem });
});

const UNITS = [
  ['d', 86_400_000],
  ['h', 3_600_000],
  ['m', 60_000],
  ['s', 1000],
  ['ms', 1],
] as const;

export type DurationUnit = (typeof UNITS)[number][0];

/**
 * Milliseconds as people read them, the largest unit first, each after the
 * first two digits wide (three for ms): 86400000 → "1d", 5400000 →
 * "1h 30m", 3630000 → "1h 00m 30s", 1500 → "1s 500ms". Exact by default;
 * `smallest` rounds to that unit, and `units` shows that many units from
 * the largest, the last rounded, for a figure that is redrawn: an ETA,
 * {units: 2, smallest: 's'}, reads "45s", "1m 00s", "2h 03m".
 */
export function formatDuration(ms: number, { units, smallest = 'ms' }: { units?: number; smallest?: DurationUnit } = {}): string {
  if (!Number.isFinite(ms)) return String(ms);
  if (ms < 0) return `-${formatDuration(-ms, { ...(units !== undefined ? { units } : {}), smallest })}`;
  const last = UNITS.findIndex(([unit]) => unit === smallest);
  let value = ms;
  let window: (typeof UNITS)[number][] = [];
  // Rounding can carry into a larger unit (59.7s → 1m), which moves the window: at most twice.
  for (let pass = 0; pass < 3; pass++) {
    const first = Math.max(0, UNITS.findIndex(([, size], i) => i === last || value >= size));
    const end = units === undefined ? last + 1 : Math.min(last + 1, first + Math.max(1, units));
    window = UNITS.slice(Math.min(first, last), end);
    const step = window[window.length - 1]![1];
    const rounded = Math.round(ms / step) * step;
    if (rounded === value) break;
    value = rounded;
  }
  const parts: string[] = [];
  let left = value;
  for (const [i, [unit, size]] of window.entries()) {
    const n = Math.floor(left / size);
    left -= n * size;
    parts.push(`${String(n).padStart(i === 0 ? 1 : unit === 'ms' ? 3 : 2, '0')}${unit}`);
  }
  // Exact: units that are all zero at the end are left off ("1d", not "1d 00h 00m 00s 000ms").
  if (units === undefined) while (parts.length > 1 && /^0+[a-z]+$/.test(parts[parts.length - 1]!)) parts.pop();
  return parts.join(' ');
}
