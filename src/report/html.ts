import { escapeHtml } from './escape';

/**
 * Small HTML builders. Plain strings and numbers are always escaped; only a
 * `Raw` (built here from escaped parts) goes in as it is.
 */
export interface Raw {
  html: string;
  /** What the cell sorts by, when not its text (a number shown rounded, a dash for none). */
  sort?: number | string;
  /** Right-aligned, as numbers are. */
  numeric?: boolean;
}

export type Cell = string | number | boolean | null | undefined | Raw;

export const raw = (html: string): Raw => ({ html });

export function cell(value: Cell): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'object') return value.html;
  return escapeHtml(value);
}

/** A number shown to `digits` places that sorts by its whole value; none shows a dash and sorts last. */
export function num(value: number | undefined | null, digits = 2): Raw {
  return { html: escapeHtml(fixed(value, digits)), sort: value ?? '', numeric: true };
}

function td(c: Cell): string {
  const numeric = typeof c === 'number' || (typeof c === 'object' && c?.numeric === true);
  const sort = typeof c === 'number' ? c : typeof c === 'object' && c ? c.sort : undefined;
  const attrs = (numeric ? ' class="num"' : '') + (sort !== undefined ? ` data-v="${escapeHtml(sort)}"` : '');
  return `<td${attrs}>${cell(c)}</td>`;
}

export interface TableOptions {
  id?: string;
  /** Headers become buttons that sort by their column (the page's table script). */
  sortable?: boolean;
  /** Each column's name in a filter (`origin:llm`, `val>90`), in header order. */
  keys?: readonly string[];
  /** Many rows: the table scrolls within a box of its own, its header staying in view. */
  tall?: boolean;
  /** The first column stays in view when the table scrolls sideways. */
  stickyFirst?: boolean;
  /** Many columns: the table takes the page's width and its architectures wrap to fit, rather than widen it. */
  fit?: boolean;
}

function th(header: string, i: number, options: TableOptions): string {
  const key = options.keys?.[i];
  const attrs = (key ? ` data-key="${escapeHtml(key)}"` : '') + (options.sortable ? ' aria-sort="none"' : '');
  const label = escapeHtml(header);
  return `<th${attrs}>${options.sortable ? `<button type="button" class="sort" title="sort by ${label}">${label}</button>` : label}</th>`;
}

/** A table in a box that scrolls sideways when the table is wider than the page. */
export function table(headers: readonly string[], rows: readonly (readonly Cell[])[], options: TableOptions = {}): string {
  const classes = [...(options.sortable ? ['sortable'] : []), ...(options.stickyFirst ? ['sticky-first'] : []), ...(options.fit ? ['fit'] : [])];
  const head = `<tr>${headers.map((h, i) => th(h, i, options)).join('')}</tr>`;
  const body = rows.map((r) => `<tr>${r.map(td).join('')}</tr>`).join('\n');
  const id = options.id ? ` id="${escapeHtml(options.id)}"` : '';
  const cls = classes.length > 0 ? ` class="${classes.join(' ')}"` : '';
  return `<div class="table-wrap${options.tall ? ' tall' : ''}"><table${id}${cls}><thead>${head}</thead><tbody>\n${body}\n</tbody></table></div>`;
}

/** Rows of label and value; a label may carry a hint shown on hover (e.g. the field's name in the JSON). */
export function facts(rows: readonly (readonly [string, Cell] | readonly [string, Cell, string])[]): string {
  const row = ([k, v, hint]: readonly [string, Cell, string?]): string =>
    `<tr><th${hint ? ` title="${escapeHtml(hint)}"` : ''}>${escapeHtml(k)}</th><td>${cell(v)}</td></tr>`;
  return `<table class="facts">${rows.map(row).join('\n')}</table>`;
}

export const code = (text: string): Raw => raw(`<code class="arch">${escapeHtml(text)}</code>`);
export const pre = (text: string): string => `<pre>${escapeHtml(text)}</pre>`;
export const link = (href: string, text: string): Raw => raw(`<a href="${escapeHtml(href)}">${escapeHtml(text)}</a>`);

/** A number to `digits` places, or a dash. */
export function fixed(value: number | undefined | null, digits = 2): string {
  return value === undefined || value === null || Number.isNaN(value) ? '-' : value.toFixed(digits);
}
