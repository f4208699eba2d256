/** CSV that spreadsheets open as data. */

/**
 * One field. Text comes from searches (architectures an LLM wrote, ids): a
 * leading = + - @ would make a spreadsheet evaluate it as a formula, so such
 * text is quoted with a leading apostrophe. Numbers stay numbers.
 */
export function csvField(value: unknown): string {
  if (value === undefined || value === null) return '';
  let s = String(value);
  if (typeof value === 'string' && /^[=+\-@\t\r]/.test(s)) s = `'${s}`;
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export function csv(header: readonly string[], rows: readonly (readonly unknown[])[]): string {
  return [header.map(csvField).join(','), ...rows.map((r) => r.map(csvField).join(','))].join('\n') + '\n';
}
