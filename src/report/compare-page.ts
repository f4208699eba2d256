import { compareChart, type ChartSpec } from './charts';
import { csv } from './csv';
import { escapeHtml } from './escape';
import { code, fixed, link, table, type Cell } from './html';
import { overview, type Overview } from './overview';
import { chartCanvas, page } from './page';
import type { SearchReportData } from './types';

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

const COLUMNS = ['search', 'status', 'space', 'dataset', 'strategy', 'evaluator', 'seed', 'evaluated', 'best', 'test of best', 'found after', 'stop reason', 'LLM calls', 'tokens in', 'tokens out', 'LLM failures', 'duration (s)', 'best architecture'] as const;

/** A search's row, as values: numbers stay numbers (the CSV keeps them whole; the page rounds). */
function values(o: Overview): (string | number | undefined)[] {
  return [
    o.workflowId, o.status, o.space, o.dataset, o.strategy, o.evaluator, o.seed, o.evaluated,
    o.best?.valAcc, o.best?.testAcc, o.foundAfter, o.stopReason,
    o.llmCalls, o.tokensIn, o.tokensOut, o.llmFailures, o.durationS, o.best?.arch,
  ];
}

export function renderComparisonPage(searches: readonly SearchReportData[], view: ComparisonView): string {
  const charts: Record<string, ChartSpec> = {
    [COMPARE_CHART_ID]: compareChart(searches.map((s) => ({ name: s.workflowId, evaluations: s.evaluations })), view.accuracyLabel),
  };
  const rows = searches.map(overview).map((o): Cell[] => {
    const own = view.links?.[o.workflowId];
    const cells: Cell[] = values(o);
    cells[0] = own ? link(own, o.workflowId) : o.workflowId;
    cells[8] = o.best ? fixed(o.best.valAcc) : '-';
    cells[9] = o.best ? fixed(o.best.testAcc) : '-';
    cells[16] = fixed(o.durationS, 1);
    cells[17] = o.best ? code(o.best.arch) : '-';
    return cells;
  });
  const body = [
    `<h1>Comparison of ${searches.length} searches</h1>`,
    `<p class="muted">Generated ${escapeHtml(view.generatedAt)} from the workflow histories.${view.csv ? ` Table as ${link(view.csv, 'CSV').html}.` : ''}</p>`,
    chartCanvas(COMPARE_CHART_ID, charts[COMPARE_CHART_ID]!, `Best ${view.accuracyLabel} so far against evaluations, one line per search`),
    table([...COLUMNS], rows, 'id="comparison-table"'),
  ].join('\n');
  return page({ title: `Comparison of ${searches.length} searches`, body, charts, ...(view.chartJs ? { chartJs: view.chartJs } : {}) });
}

/** The comparison table as CSV. */
export function comparisonCsv(searches: readonly SearchReportData[]): string {
  return csv(COLUMNS, searches.map((s) => values(overview(s))));
}
