import type { CostMetric } from '../search/summary';
import type { Constraint } from '../search/types';
import { bestSoFar, COST_UNITS, costOf, paretoFront } from './candidates';
import type { LlmExchange, ReportEvaluation, TimelineText } from './types';

/**
 * Chart.js configs for the report, as plain JSON (built here, drawn by the
 * page). A point may carry `label`, the text its tooltip shows.
 */

export interface Dataset {
  label: string;
  data: unknown[];
  [option: string]: unknown;
}

export interface ChartSpec {
  type: 'scatter' | 'bar';
  data: { labels?: (string | number)[]; datasets: Dataset[] };
  options: Record<string, unknown>;
}

export const ORIGIN_COLORS: Record<string, string> = {
  llm: '#1f77b4',
  'llm-retry': '#17becf',
  'llm-repair': '#9467bd',
  fill: '#ff7f0e',
  mutation: '#2ca02c',
  random: '#7f7f7f',
  seed: '#d62728',
  policy: '#8c564b',
  unknown: '#bcbd22',
};

const SERIES_COLORS = ['#1f77b4', '#ff7f0e', '#2ca02c', '#d62728', '#9467bd', '#8c564b', '#e377c2', '#7f7f7f', '#bcbd22', '#17becf'];

export function seriesColor(i: number): string {
  return SERIES_COLORS[i % SERIES_COLORS.length] ?? `hsl(${(i * 137) % 360} 60% 45%)`;
}

const short = (text: string, n = 140): string => (text.length > n ? `${text.slice(0, n - 1)}…` : text);
const pct = (v: number | null | undefined): string => (v === null || v === undefined || Number.isNaN(v) ? '-' : v.toFixed(2));

function describe(e: ReportEvaluation, index: number): string {
  return `#${index + 1} ${short(e.arch)} | ${pct(e.valAcc)} (${e.origin}, iteration ${e.iteration}${e.feasible ? '' : ', over the constraint'})`;
}

function options(x: Record<string, unknown>, y: Record<string, unknown>, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    animation: false,
    responsive: true,
    maintainAspectRatio: false,
    scales: { x, y },
    plugins: { legend: { position: 'bottom' } },
    ...extra,
  };
}

const axis = (text: string, more: Record<string, unknown> = {}): Record<string, unknown> => ({ type: 'linear', title: { display: true, text }, ...more });

/** Best-so-far validation (and test) accuracy against evaluations, every evaluation, and the Navigator's turns and hints. */
export function bestChart(
  evaluations: readonly ReportEvaluation[],
  accuracyLabel: string,
  marks: { strategies: readonly TimelineText[]; hints: readonly TimelineText[] },
): ChartSpec {
  const curve = bestSoFar(evaluations);
  const floor = Math.min(...evaluations.map((e) => e.valAcc).filter((v) => Number.isFinite(v)));
  const at = (evaluated: number): number | null => (evaluated > 0 ? (curve[Math.min(evaluated, curve.length) - 1]?.valAcc ?? null) : null) ?? (Number.isFinite(floor) ? floor : 0);
  const datasets: Dataset[] = [
    {
      label: 'best so far',
      data: curve.map((b, i) => ({ x: i + 1, y: b.valAcc })),
      showLine: true,
      stepped: 'after',
      pointRadius: 0,
      borderWidth: 2,
      borderColor: '#1f77b4',
      backgroundColor: '#1f77b4',
      order: 1,
    },
  ];
  if (curve.some((b) => b.testAcc !== null)) {
    datasets.push({
      label: 'test accuracy of the best so far',
      data: curve.map((b, i) => ({ x: i + 1, y: b.testAcc })),
      showLine: true,
      stepped: 'after',
      pointRadius: 0,
      borderWidth: 1.5,
      borderDash: [6, 4],
      borderColor: '#2ca02c',
      backgroundColor: '#2ca02c',
      order: 2,
    });
  }
  datasets.push({
    label: 'each evaluation',
    data: evaluations.map((e, i) => ({ x: i + 1, y: e.valAcc, label: describe(e, i) })),
    pointRadius: 2.5,
    backgroundColor: 'rgba(120,120,120,0.45)',
    borderColor: 'rgba(120,120,120,0.45)',
    order: 3,
  });
  const mark = (label: string, items: readonly TimelineText[], color: string, pointStyle: string): void => {
    if (items.length === 0) return;
    datasets.push({
      label,
      data: items.map((t) => ({ x: t.evaluated, y: at(t.evaluated), label: `${label} after ${t.evaluated} evaluations: ${short(t.text.replace(/\s+/g, ' '), 100)}` })),
      pointStyle,
      pointRadius: 8,
      backgroundColor: color,
      borderColor: color,
      order: 0,
    });
  };
  mark('Navigator strategy', marks.strategies, '#9467bd', 'triangle');
  mark('steering hint', marks.hints, '#d62728', 'rectRot');
  return { type: 'scatter', data: { datasets }, options: options(axis('evaluations', { min: 0 }), axis(accuracyLabel)) };
}

/** Accuracy against one cost: every evaluation by origin, those over the constraint apart, the Pareto front as a staircase. */
export function costChart(evaluations: readonly ReportEvaluation[], metric: CostMetric, accuracyLabel: string, constraint?: Constraint): ChartSpec {
  const point = (e: ReportEvaluation, i: number) => ({ x: costOf(e, metric), y: e.valAcc, label: describe(e, i) });
  const front = paretoFront(evaluations, metric);
  const datasets: Dataset[] = [
    {
      label: 'Pareto front',
      data: front.map((i) => point(evaluations[i]!, i)),
      showLine: true,
      stepped: 'after',
      pointRadius: 5,
      pointStyle: 'circle',
      borderWidth: 2,
      borderColor: '#000',
      backgroundColor: 'rgba(0,0,0,0)',
      order: 0,
    },
  ];
  const origins = [...new Set(evaluations.map((e) => e.origin))];
  for (const origin of origins) {
    const points = evaluations.flatMap((e, i) => (e.feasible && e.origin === origin ? [point(e, i)] : []));
    if (points.length === 0) continue;
    const color = ORIGIN_COLORS[origin] ?? '#444';
    datasets.push({ label: origin, data: points, pointRadius: 3, backgroundColor: color, borderColor: color, order: 1 });
  }
  const over = evaluations.flatMap((e, i) => (e.feasible ? [] : [point(e, i)]));
  if (over.length > 0) {
    datasets.push({ label: 'over the constraint', data: over, pointStyle: 'crossRot', pointRadius: 4, borderColor: '#999', backgroundColor: '#999', order: 2 });
  }
  if (constraint?.metric === metric) {
    const ys = evaluations.map((e) => e.valAcc).filter((v) => Number.isFinite(v));
    datasets.push({
      label: `constraint (${constraint.max})`,
      data: [{ x: constraint.max, y: Math.min(...ys) }, { x: constraint.max, y: Math.max(...ys) }],
      showLine: true,
      pointRadius: 0,
      borderDash: [4, 4],
      borderColor: '#d62728',
      backgroundColor: '#d62728',
      order: 3,
    });
  }
  const unit = metric === 'latency' && constraint?.device ? `${COST_UNITS[metric]} on ${constraint.device}` : COST_UNITS[metric];
  return { type: 'scatter', data: { datasets }, options: options(axis(unit), axis(accuracyLabel)) };
}

/** How many evaluations of each iteration came from each origin. */
export function originChart(evaluations: readonly ReportEvaluation[]): ChartSpec {
  const iterations = [...new Set(evaluations.map((e) => e.iteration))].sort((a, b) => a - b);
  const origins = [...new Set(evaluations.map((e) => e.origin))];
  const datasets = origins.map((origin) => ({
    label: origin,
    data: iterations.map((it) => evaluations.filter((e) => e.iteration === it && e.origin === origin).length),
    backgroundColor: ORIGIN_COLORS[origin] ?? '#444',
  }));
  return {
    type: 'bar',
    data: { labels: iterations, datasets },
    options: options({ stacked: true, title: { display: true, text: 'iteration' } }, { stacked: true, title: { display: true, text: 'evaluations' } }),
  };
}

/** Each LLM call's latency, by purpose (Navigator, Generator, summary...). */
export function llmLatencyChart(llm: readonly LlmExchange[]): ChartSpec {
  const purposes = [...new Set(llm.map((c) => c.purpose))];
  const datasets = purposes.map((purpose, p) => ({
    label: purpose,
    data: llm.flatMap((c, i) =>
      c.purpose === purpose ? [{ x: i + 1, y: c.latencyMs / 1000, label: `call ${i + 1} (${purpose}, ${c.model}): ${(c.latencyMs / 1000).toFixed(2)} s, ${c.tokensIn} in / ${c.tokensOut} out tokens, after ${c.evaluated} evaluations` }] : [],
    ),
    pointRadius: 4,
    backgroundColor: seriesColor(p),
    borderColor: seriesColor(p),
  }));
  return { type: 'scatter', data: { datasets }, options: options(axis('LLM call', { min: 0 }), axis('latency (s)', { min: 0 })) };
}

/** Tokens in and out of each LLM call. */
export function llmTokensChart(llm: readonly LlmExchange[]): ChartSpec {
  return {
    type: 'bar',
    data: {
      labels: llm.map((_, i) => i + 1),
      datasets: [
        { label: 'tokens in (prompt)', data: llm.map((c) => c.tokensIn), backgroundColor: '#1f77b4' },
        { label: 'tokens out (answer)', data: llm.map((c) => c.tokensOut), backgroundColor: '#ff7f0e' },
      ],
    },
    options: options({ stacked: true, title: { display: true, text: 'LLM call' } }, { stacked: true, title: { display: true, text: 'tokens' } }),
  };
}

/** Several searches' best-so-far curves on one chart. */
export function compareChart(searches: readonly { name: string; evaluations: readonly ReportEvaluation[] }[], accuracyLabel: string): ChartSpec {
  const datasets = searches.map((s, i) => ({
    label: s.name,
    data: bestSoFar(s.evaluations).map((b, j) => ({ x: j + 1, y: b.valAcc })),
    showLine: true,
    stepped: 'after',
    pointRadius: 0,
    borderWidth: 2,
    borderColor: seriesColor(i),
    backgroundColor: seriesColor(i),
  }));
  return { type: 'scatter', data: { datasets }, options: options(axis('evaluations', { min: 0 }), axis(`best ${accuracyLabel} so far`)) };
}
