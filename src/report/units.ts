import { formatDuration } from '../lib/duration';

/** Quantities as people read them: "4m 05s", "12,345". */

/** A duration in milliseconds in the CLI's units, to the precision a reader wants: "245ms", "1.5s", "4m 05s", "2h 03m". */
export function duration(ms: number): string {
  if (!Number.isFinite(ms)) return '-';
  if (ms < 1000) return formatDuration(Math.round(ms));
  const seconds = Number((ms / 1000).toFixed(1));
  if (seconds < 60) return `${seconds}s`;
  return formatDuration(ms, { units: 2, smallest: 's' });
}

/** A count with thousands separators (the same on every machine). */
export function count(n: number): string {
  return Number.isInteger(n) ? n.toLocaleString('en-US') : String(n);
}

/** A camelCase field name in words: "mutationFilled" → "mutation filled". */
export function words(field: string): string {
  return field.replace(/([a-z0-9])([A-Z])/g, '$1 $2').replace(/([A-Z]+)([A-Z][a-z])/g, '$1 $2').toLowerCase();
}

/** An ISO time as "2025-06-01 12:00:00Z", or a dash. */
export function when(iso: string | undefined): string {
  return iso ? iso.replace('T', ' ').replace(/\.\d+Z$/, 'Z') : '-';
}
