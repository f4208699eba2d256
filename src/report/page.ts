import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { CHARTS_SCRIPT } from './browser/charts';
import { LIVE_SCRIPT } from './browser/live';
import { TABLE_SCRIPT } from './browser/table';
import type { ChartSpec } from './charts';
import { escapeHtml, jsonForScript } from './escape';

/**
 * The page around a report: Chart.js inlined (the file opens offline), the
 * chart configs as inert JSON, the page's own scripts (./browser), and a
 * content security policy that runs only those scripts, by hash, and loads
 * nothing from anywhere. Should text from a search ever slip past the
 * escaping, it still cannot run or call out.
 */

let chartJs: string | undefined;

/** Chart.js's UMD bundle, read once from the installed package. */
export function chartJsSource(): string {
  if (chartJs === undefined) {
    // The package's exports hide dist/; its main entry sits beside the bundle.
    const source = readFileSync(join(dirname(require.resolve('chart.js')), 'chart.umd.min.js'), 'utf8');
    if (/<\/script|<!--/i.test(source)) throw new Error('the Chart.js bundle cannot be inlined: it contains </script or <!--');
    chartJs = source;
  }
  return chartJs;
}

const CSS = `
body { font: 14px/1.45 system-ui, sans-serif; margin: 2rem auto; max-width: 1200px; padding: 0 1rem; color: #222; }
h1 { font-size: 1.5rem; word-break: break-all; } h2 { margin-top: 2.2rem; border-bottom: 1px solid #ddd; }
.table-wrap { max-width: 100%; overflow-x: auto; margin: .5rem 0; } .table-wrap.tall { max-height: 36rem; overflow-y: auto; }
.table-wrap::-webkit-scrollbar { height: 10px; width: 10px; } .table-wrap::-webkit-scrollbar-thumb { background: #bbb; border-radius: 5px; }
table { border-collapse: collapse; } td, th { border: 1px solid #ddd; padding: .25rem .5rem; text-align: left; vertical-align: top; }
th { background: #f5f5f5; } td.num { text-align: right; font-variant-numeric: tabular-nums; } table.facts { margin: .5rem 0; }
.tall thead th { position: sticky; top: 0; z-index: 1; }
th button.sort { font: inherit; font-weight: bold; background: none; border: 0; padding: 0; cursor: pointer; text-align: left; color: inherit; }
th[aria-sort="ascending"]::after { content: " ▲"; } th[aria-sort="descending"]::after { content: " ▼"; }
tr[hidden] { display: none; }
table.sticky-first { border-collapse: separate; border-spacing: 0; } .sticky-first td, .sticky-first th { border-width: 0 1px 1px 0; } .sticky-first tr > :first-child { border-left-width: 1px; } .sticky-first thead th { border-top-width: 1px; }
.sticky-first th:first-child, .sticky-first td:first-child { position: sticky; left: 0; z-index: 1; background: #fff; } .sticky-first th:first-child { background: #f5f5f5; }
code, pre { font: 12px/1.4 ui-monospace, monospace; } pre { background: #f7f7f7; padding: .6rem; overflow-x: auto; white-space: pre-wrap; overflow-wrap: anywhere; margin: .3rem 0; }
.arch { word-break: break-all; } td code.arch { display: inline-block; min-width: 18em; }
table.fit { width: 100%; } table.fit td code.arch { display: inline; min-width: 0; } table.fit th { word-break: normal; } .chart { position: relative; height: 380px; margin: 1rem 0; }
.grid { display: grid; grid-template-columns: repeat(auto-fit, minmax(520px, 1fr)); gap: 1rem; }
.muted { color: #777; } details { margin: .4rem 0; } summary { cursor: pointer; }
.tools { display: flex; gap: 1rem; align-items: baseline; flex-wrap: wrap; } .tools input { font: inherit; width: 32em; max-width: 100%; padding: .2rem .4rem; }
.exchange { border-left: 3px solid #ddd; padding-left: .6rem; } .exchange.failed { border-left-color: #d62728; }
.role { font-weight: bold; font-size: 12px; color: #555; margin-top: .4rem; }
.live { background: #eef6ff; border: 1px solid #cfe3fa; padding: .4rem .6rem; } .live.ended { background: #f5f5f5; border-color: #ddd; }
`;

const sha256 = (text: string): string => `'sha256-${createHash('sha256').update(text, 'utf8').digest('base64')}'`;

/** A canvas for the chart `id`; `points` counts its data points, for people and tests reading the page. */
export function chartCanvas(id: string, spec: ChartSpec, caption: string): string {
  const points = spec.data.datasets.reduce((n, d) => n + d.data.length, 0);
  return `<figure><div class="chart"><canvas id="${escapeHtml(id)}" data-points="${points}" role="img" aria-label="${escapeHtml(caption)}"></canvas></div><figcaption class="muted">${escapeHtml(caption)}</figcaption></figure>`;
}

// Inlined in <script>: nothing in them may close the element or open a comment.
for (const own of [CHARTS_SCRIPT, TABLE_SCRIPT, LIVE_SCRIPT]) if (/<\/script|<!--/i.test(own)) throw new Error('a report script cannot be inlined: it contains </script or <!--');

/** The scripts a page runs, in order: Chart.js, the charts, the tables and, on a served page, the live updates. */
function scripts(live: boolean, library: string): string[] {
  return [library, CHARTS_SCRIPT, TABLE_SCRIPT, ...(live ? [LIVE_SCRIPT] : [])];
}

/**
 * The page's content security policy: its own scripts by hash, nothing
 * loaded from anywhere; a served page may also ask its own server for
 * updates (`connect-src 'self'`).
 */
export function contentSecurityPolicy(options: { live?: boolean; chartJs?: string } = {}): string {
  const live = options.live ?? false;
  const hashes = scripts(live, options.chartJs ?? chartJsSource()).map(sha256).join(' ');
  return `default-src 'none'; img-src data:; style-src 'unsafe-inline'; script-src ${hashes}` + (live ? "; connect-src 'self'" : '');
}

export interface PageParts {
  title: string;
  body: string;
  charts: Record<string, ChartSpec>;
  chartJs?: string;
  /** Served by `report --serve`: the page updates itself from its server. */
  live?: boolean;
}

/** The whole page; its content is `<main id="report">`, which a served page replaces on each update. */
export function page(p: PageParts): string {
  const library = p.chartJs ?? chartJsSource();
  const live = p.live ?? false;
  return [
    '<!doctype html>',
    '<html lang="en"><head><meta charset="utf-8">',
    `<meta http-equiv="Content-Security-Policy" content="${contentSecurityPolicy({ live, chartJs: library })}">`,
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<title>${escapeHtml(p.title)}</title><style>${CSS}</style></head><body>`,
    `<main id="report">\n${p.body}\n</main>`,
    `<script type="application/json" id="report-data">${jsonForScript({ charts: p.charts })}</script>`,
    ...scripts(live, library).map((s) => `<script>${s}</script>`),
    '</body></html>',
    '',
  ].join('\n');
}
