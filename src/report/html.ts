import { escapeHtml } from './escape';

/**
 * Small HTML builders. Plain strings and numbers are always escaped; only a
 * `Raw` (built here from escaped parts) goes in as it is.
 */
export interface Raw {
  html: string;
}

export type Cell = string | number | boolean | null | undefined | Raw;

export const raw = (html: string): Raw => ({ html });

export function cell(value: Cell): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'object') return value.html;
  return escapeHtml(value);
}

export function table(headers: readonly string[], rows: readonly (readonly Cell[])[], attrs = ''): string {
  const head = `<tr>${headers.map((h) => `<th>${escapeHtml(h)}</th>`).join('')}</tr>`;
  const body = rows
    .map((r) => `<tr>${r.map((c) => (typeof c === 'number' ? `<td class="num">${cell(c)}</td>` : `<td>${cell(c)}</td>`)).join('')}</tr>`)
    .join('\n');
  return `<table${attrs ? ` ${attrs}` : ''}><thead>${head}</thead><tbody>\n${body}\n</tbody></table>`;
}

/** Rows of label and value. */
export function facts(rows: readonly (readonly [string, Cell])[]): string {
  return `<table>${rows.map(([k, v]) => `<tr><th>${escapeHtml(k)}</th><td>${cell(v)}</td></tr>`).join('\n')}</table>`;
}

export const code = (text: string): Raw => raw(`<code class="arch">${escapeHtml(text)}</code>`);
export const pre = (text: string): string => `<pre>${escapeHtml(text)}</pre>`;
export const link = (href: string, text: string): Raw => raw(`<a href="${escapeHtml(href)}">${escapeHtml(text)}</a>`);

/** A number to `digits` places, or a dash. */
export function fixed(value: number | undefined | null, digits = 2): string {
  return value === undefined || value === null || Number.isNaN(value) ? '-' : value.toFixed(digits);
}
