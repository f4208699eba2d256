import type { CostMetric } from '../search/summary';
import { COST_UNITS } from './candidates';
import { escapeHtml } from './escape';
import { code, num, table, type Cell } from './html';
import type { ReportEvaluation } from './types';

/**
 * Tables of evaluations: every one, sortable by any column and filtered by
 * what the reader types (the page's table script), and the top ones.
 */

export const EVALUATIONS_TABLE_ID = 'evaluations-table';

/** Column names a filter uses (`val>90`, `origin:llm`), with the costs the evaluations carry. */
function keys(metrics: readonly CostMetric[]): string[] {
  return ['index', 'arch', 'val', 'test', ...metrics, 'origin', 'iteration', 'feasible'];
}

function headers(metrics: readonly CostMetric[], accuracyLabel: string): string[] {
  return ['#', 'architecture', accuracyLabel, 'test accuracy', ...metrics.map((m) => COST_UNITS[m]), 'origin', 'iteration', 'feasible'];
}

function row(e: ReportEvaluation, index: number, metrics: readonly CostMetric[]): Cell[] {
  const cost = { flops: e.cost.flopsM, params: e.cost.paramsM, latency: e.cost.latencyMs };
  return [index + 1, code(e.arch), num(e.valAcc), num(e.testAcc), ...metrics.map((m) => num(cost[m], m === 'params' ? 3 : 2)), e.origin, e.iteration, e.feasible ? 'yes' : 'no'];
}

const FILTER_HELP =
  'Words match anywhere in a row; origin:llm or arch:3x3 match one column\'s text, origin=llm the whole of it; ' +
  'val>90, flops<=100, iteration=3 compare numbers (columns: index, arch, val, test, flops, params, latency, origin, iteration, feasible). ' +
  'A click on a column\'s header sorts by it, a second click the other way.';

/** Every evaluation, in the order the search recorded them, with a filter box and a count of the rows shown. */
export function evaluationsTable(evaluations: readonly ReportEvaluation[], metrics: readonly CostMetric[], accuracyLabel: string): string {
  const id = EVALUATIONS_TABLE_ID;
  const tools =
    `<div class="tools"><input type="search" id="evaluations-filter" data-filter-for="${id}" aria-label="Filter the evaluations" placeholder="filter, e.g. origin:llm feasible:yes val>90 nor_conv_3x3">` +
    `<span class="muted" data-count-for="${id}" id="evaluations-count">${evaluations.length} of ${evaluations.length} shown</span></div>` +
    `<p class="muted">${escapeHtml(FILTER_HELP)}</p>`;
  return tools + table(headers(metrics, accuracyLabel), evaluations.map((e, i) => row(e, i, metrics)), { id, sortable: true, keys: keys(metrics), tall: true });
}

/** The best feasible evaluations, best first (earliest on ties, as the search ranks them). */
export function topTable(evaluations: readonly ReportEvaluation[], metrics: readonly CostMetric[], accuracyLabel: string, k: number): string {
  const ranked = evaluations
    .map((e, i) => ({ e, i }))
    .filter(({ e }) => e.feasible)
    .sort((a, b) => b.e.valAcc - a.e.valAcc || a.i - b.i)
    .slice(0, k);
  return table(headers(metrics, accuracyLabel), ranked.map(({ e, i }) => row(e, i, metrics)), { id: 'top-table', sortable: true, keys: keys(metrics) });
}
