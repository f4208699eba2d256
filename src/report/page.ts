import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { ChartSpec } from './charts';
import { escapeHtml, jsonForScript } from './escape';

/**
 * The page around a report: Chart.js inlined (the file opens offline), the
 * chart configs as inert JSON, and a content security policy that runs only
 * those two scripts, by hash, and loads nothing from anywhere. Should text
 * from a search ever slip past the escaping, it still cannot run or call out.
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

/** Builds each chart from its config; a point's own `label` (e.g. its architecture) is its tooltip, after the series' name. */
const CLIENT_SCRIPT = `(function () {
  'use strict';
  var specs = JSON.parse(document.getElementById('report-data').textContent).charts;
  var callbacks = Chart.defaults.plugins.tooltip.callbacks;
  var defaultLabel = callbacks && callbacks.label;
  Object.keys(specs).forEach(function (id) {
    var config = specs[id];
    var plugins = (config.options.plugins = config.options.plugins || {});
    plugins.tooltip = Object.assign({}, plugins.tooltip, {
      callbacks: {
        label: function (ctx) {
          var raw = ctx.raw;
          if (raw && typeof raw === 'object' && typeof raw.label === 'string') return ctx.dataset.label + ': ' + raw.label;
          return defaultLabel ? defaultLabel.call(this, ctx) : ctx.formattedValue;
        }
      }
    });
    new Chart(document.getElementById(id), config);
  });
})();`;

const CSS = `
body { font: 14px/1.45 system-ui, sans-serif; margin: 2rem auto; max-width: 1200px; padding: 0 1rem; color: #222; }
h1 { font-size: 1.5rem; word-break: break-all; } h2 { margin-top: 2.2rem; border-bottom: 1px solid #ddd; }
table { border-collapse: collapse; margin: .5rem 0; display: block; max-width: 100%; overflow-x: auto; } td, th { border: 1px solid #ddd; padding: .25rem .5rem; text-align: left; vertical-align: top; }
th { background: #f5f5f5; } td.num { text-align: right; font-variant-numeric: tabular-nums; }
code, pre { font: 12px/1.4 ui-monospace, monospace; } pre { background: #f7f7f7; padding: .6rem; overflow-x: auto; white-space: pre-wrap; word-break: break-all; }
.arch { word-break: break-all; } td code.arch { display: inline-block; min-width: 18em; } .chart { position: relative; height: 380px; margin: 1rem 0; }
.grid { display: grid; grid-template-columns: repeat(auto-fit, minmax(520px, 1fr)); gap: 1rem; }
.muted { color: #777; } details { margin: .4rem 0; } summary { cursor: pointer; }
`;

const sha256 = (text: string): string => `'sha256-${createHash('sha256').update(text, 'utf8').digest('base64')}'`;

/** A canvas for the chart `id`; `points` counts its data points, for people and tests reading the page. */
export function chartCanvas(id: string, spec: ChartSpec, caption: string): string {
  const points = spec.data.datasets.reduce((n, d) => n + d.data.length, 0);
  return `<figure><div class="chart"><canvas id="${escapeHtml(id)}" data-points="${points}" role="img" aria-label="${escapeHtml(caption)}"></canvas></div><figcaption class="muted">${escapeHtml(caption)}</figcaption></figure>`;
}

export function page(p: { title: string; body: string; charts: Record<string, ChartSpec>; chartJs?: string }): string {
  const library = p.chartJs ?? chartJsSource();
  const csp = `default-src 'none'; img-src data:; style-src 'unsafe-inline'; script-src ${sha256(library)} ${sha256(CLIENT_SCRIPT)}`;
  return [
    '<!doctype html>',
    '<html lang="en"><head><meta charset="utf-8">',
    `<meta http-equiv="Content-Security-Policy" content="${csp}">`,
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<title>${escapeHtml(p.title)}</title><style>${CSS}</style></head><body>`,
    p.body,
    `<script type="application/json" id="report-data">${jsonForScript({ charts: p.charts })}</script>`,
    `<script>${library}</script>`,
    `<script>${CLIENT_SCRIPT}</script>`,
    '</body></html>',
    '',
  ].join('\n');
}
