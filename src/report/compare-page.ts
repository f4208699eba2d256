import { axisValue } from './captions';
import { compareChart, compareFocus, type ChartSpec } from './charts';
import { csv } from './csv';
import { escapeHtml } from './escape';
import { code, link, num, table, type Cell } from './html';
import { overview, type Overview } from './overview';
import { chartCanvas, page } from './page';
import type { SearchReportData } from './types';
import { count, duration } from './units';

/** Several searches on one page (a benchmark's runs, a schedule's nightly runs): a pure function of their data. */

export interface ComparisonView {
  accuracyLabel: string;
  generatedAt: string;
  /** Each search's own report, relative to this page, by workflow id. */
  links?: Record<string, string>;
  /** The table as CSV, relative to this page. */
  csv?: string;
  chartJs?: string;
}

export const COMPARE_CHART_ID = 'chart-compare';

/** The CSV's columns: one figure each, numbers whole. */
const COLUMNS = ['search', 'status', 'space', 'dataset', 'strategy', 'evaluator', 'seed', 'evaluated', 'best', 'test of best', 'found after', 'stop reason', 'LLM calls', 'tokens in', 'tokens out', 'LLM failures', 'duration (s)', 'best architecture'] as const;

/** A search's row, as values: numbers stay numbers (the CSV keeps them whole). */
function values(o: Overview): (string | number | undefined)[] {
  return [
    o.workflowId, o.status, o.space, o.dataset, o.strategy, o.evaluator, o.seed, o.evaluated,
    o.best?.valAcc, o.best?.testAcc, o.foundAfter, o.stopReason,
    o.llmCalls, o.tokensIn, o.tokensOut, o.llmFailures, o.durationS, o.best?.arch,
  ];
}

/** The page's columns: the CSV's, with related figures paired so that the table fits a page. */
const PAGE_COLUMNS = ['search', 'status', 'space / dataset', 'strategy', 'evaluator', 'seed', 'evaluated', 'best', 'test of best', 'found after', 'stop reason', 'LLM calls (failed)', 'tokens in / out', 'duration', 'best architecture'];

function pageRow(o: Overview, own: string | undefined): Cell[] {
  return [
    own ? link(own, o.workflowId) : o.workflowId,
    o.status,
    `${o.space ?? '-'} / ${o.dataset ?? '-'}`,
    o.strategy,
    o.evaluator,
    o.seed,
    o.evaluated,
    num(o.best?.valAcc),
    num(o.best?.testAcc),
    o.foundAfter,
    o.stopReason,
    o.llmCalls ? `${o.llmCalls} (${o.llmFailures})` : '-',
    o.llmCalls ? `${count(o.tokensIn)} / ${count(o.tokensOut)}` : '-',
    { html: escapeHtml(o.durationS !== undefined ? duration(o.durationS * 1000) : '-'), sort: o.durationS ?? '', numeric: true },
    o.best ? code(o.best.arch) : '-',
  ];
}

export function renderComparisonPage(searches: readonly SearchReportData[], view: ComparisonView): string {
  const named = searches.map((s) => ({ name: s.workflowId, evaluations: s.evaluations }));
  const focus = compareFocus(named);
  const charts: Record<string, ChartSpec> = { [COMPARE_CHART_ID]: compareChart(named, view.accuracyLabel, focus) };
  const rows = searches.map(overview).map((o) => pageRow(o, view.links?.[o.workflowId]));
  const clipped = focus ? `; the axis starts at ${axisValue(focus.min)}, above a few evaluations far below the rest: a curve that starts lower starts below it` : '';
  const body = [
    `<h1>Comparison of ${searches.length} searches</h1>`,
    `<p class="muted">Generated ${escapeHtml(view.generatedAt)} from the workflow histories.${view.csv ? ` Table as ${link(view.csv, 'CSV').html}.` : ''}</p>`,
    chartCanvas(COMPARE_CHART_ID, charts[COMPARE_CHART_ID]!, `Best ${view.accuracyLabel} so far against evaluations, one line per search${clipped}`),
    table(PAGE_COLUMNS, rows, { id: 'comparison-table', sortable: true, stickyFirst: true, fit: true }),
  ].join('\n');
  return page({ title: `Comparison of ${searches.length} searches`, body, charts, ...(view.chartJs ? { chartJs: view.chartJs } : {}) });
}

/** The comparison table as CSV. */
export function comparisonCsv(searches: readonly SearchReportData[]): string {
  return csv(COLUMNS, searches.map((s) => values(overview(s))));
}
