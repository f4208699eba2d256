import type { CostMetric } from '../search/summary';
import type { Constraint } from '../search/types';
import { bestSoFar, COST_UNITS, costOf, paretoFront } from './candidates';
import { focusAxis, type AxisFocus } from './axis';
import type { DecisionEffect } from './importance';
import { evaluationTip, gist, wrap } from './tips';
import type { LlmExchange, ReportEvaluation, TimelineText } from './types';
import { duration } from './units';

/**
 * Chart.js configs for the report, as plain JSON (built here, drawn by the
 * page). A point may carry `tip`, the lines its tooltip shows.
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

/** A y axis that starts at `focus.min` when there is one. */
const yAxis = (text: string, focus: AxisFocus | undefined): Record<string, unknown> => axis(text, focus ? { min: focus.min } : {});

/**
 * The accuracy axis of a search's charts: the evaluations decide where it
 * starts. The curves of the best so far lie above them, save where a search
 * starts with a far-off one.
 */
export function accuracyFocus(evaluations: readonly ReportEvaluation[]): AxisFocus | undefined {
  return focusAxis(evaluations.map((e) => e.valAcc));
}

/** The evaluations below the axis's start (their index), which the charts mark on its floor. */
export function belowAxis(evaluations: readonly ReportEvaluation[], focus: AxisFocus | undefined): number[] {
  return focus ? evaluations.flatMap((e, i) => (e.valAcc < focus.min ? [i] : [])) : [];
}

/** The label of the ▼ marks of evaluations under the axis. */
export const BELOW_AXIS = 'below the axis';

/** Where the evaluations under the axis lie: one ▼ each on its floor, its tooltip giving the true figures. */
function floorMarks(evaluations: readonly ReportEvaluation[], below: readonly number[], focus: AxisFocus, x: (e: ReportEvaluation, i: number) => number | undefined, accuracyLabel: string): Dataset {
  return {
    label: BELOW_AXIS,
    data: below.map((i) => ({ x: x(evaluations[i]!, i), y: focus.min, tip: [...wrap(`drawn on the axis's floor: its ${accuracyLabel} is ${evaluations[i]!.valAcc}`), ...evaluationTip(evaluations[i]!, i, accuracyLabel)] })),
    pointStyle: 'triangle',
    rotation: 180,
    pointRadius: 6,
    backgroundColor: '#444',
    borderColor: '#444',
    clip: false,
    order: -1,
  };
}

/** Best-so-far validation (and test) accuracy against evaluations, every evaluation, and the Navigator's turns and hints. */
export function bestChart(
  evaluations: readonly ReportEvaluation[],
  accuracyLabel: string,
  marks: { strategies: readonly TimelineText[]; hints: readonly TimelineText[] },
  focus: AxisFocus | undefined = accuracyFocus(evaluations),
): ChartSpec {
  const curve = bestSoFar(evaluations);
  const floor = Math.min(...evaluations.map((e) => e.valAcc).filter((v) => Number.isFinite(v)));
  const bottom = focus?.min ?? (Number.isFinite(floor) ? floor : 0);
  // A marker sits on the curve where there is one, else on the axis's floor.
  const at = (evaluated: number): number => Math.max((evaluated > 0 ? curve[Math.min(evaluated, curve.length) - 1]?.valAcc : null) ?? bottom, bottom);
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
    data: evaluations.map((e, i) => ({ x: i + 1, y: e.valAcc, tip: evaluationTip(e, i, accuracyLabel) })),
    pointRadius: 2.5,
    backgroundColor: 'rgba(120,120,120,0.45)',
    borderColor: 'rgba(120,120,120,0.45)',
    order: 3,
  });
  const below = belowAxis(evaluations, focus);
  if (focus && below.length > 0) datasets.push(floorMarks(evaluations, below, focus, (_e, i) => i + 1, accuracyLabel));
  const mark = (label: string, items: readonly TimelineText[], color: string, pointStyle: string): void => {
    if (items.length === 0) return;
    datasets.push({
      label,
      data: items.map((t) => ({ x: t.evaluated, y: at(t.evaluated), tip: [`${label} after ${t.evaluated} evaluations:`, ...wrap(gist(t.text, 300))] })),
      pointStyle,
      pointRadius: 8,
      backgroundColor: color,
      borderColor: color,
      // A turn before the first evaluation sits on the axes' corner: drawn whole.
      clip: false,
      order: 0,
    });
  };
  mark('Navigator strategy', marks.strategies, '#9467bd', 'triangle');
  mark('steering hint', marks.hints, '#d62728', 'rectRot');
  return { type: 'scatter', data: { datasets }, options: options(axis('evaluations', { min: 0 }), yAxis(accuracyLabel, focus)) };
}

/** Accuracy against one cost: every evaluation by origin, those over the constraint apart, the Pareto front as a staircase. */
export function costChart(
  evaluations: readonly ReportEvaluation[],
  metric: CostMetric,
  accuracyLabel: string,
  constraint?: Constraint,
  focus: AxisFocus | undefined = accuracyFocus(evaluations),
): ChartSpec {
  const point = (e: ReportEvaluation, i: number) => ({ x: costOf(e, metric), y: e.valAcc, tip: evaluationTip(e, i, accuracyLabel) });
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
  const below = belowAxis(evaluations, focus);
  if (focus && below.length > 0) datasets.push(floorMarks(evaluations, below, focus, (e) => costOf(e, metric), accuracyLabel));
  if (constraint?.metric === metric) {
    const ys = evaluations.map((e) => e.valAcc).filter((v) => Number.isFinite(v));
    datasets.push({
      label: `constraint (${constraint.max})`,
      data: [{ x: constraint.max, y: Math.max(Math.min(...ys), focus?.min ?? -Infinity) }, { x: constraint.max, y: Math.max(...ys) }],
      showLine: true,
      pointRadius: 0,
      borderDash: [4, 4],
      borderColor: '#d62728',
      backgroundColor: '#d62728',
      order: 3,
    });
  }
  const unit = metric === 'latency' && constraint?.device ? `${COST_UNITS[metric]} on ${constraint.device}` : COST_UNITS[metric];
  return { type: 'scatter', data: { datasets }, options: options(axis(unit), yAxis(accuracyLabel, focus)) };
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

/** Each decision's share of the accuracy's variance, the largest on top. */
export function importanceChart(effects: readonly DecisionEffect[]): ChartSpec {
  return {
    type: 'bar',
    data: {
      labels: effects.map((e) => e.decision),
      datasets: [{ label: 'share of the variance of accuracy explained (%)', data: effects.map((e) => Number((e.importance * 100).toFixed(2))), backgroundColor: '#1f77b4' }],
    },
    options: options({ title: { display: true, text: '% of the variance of accuracy' }, min: 0 }, {}, { indexAxis: 'y' }),
  };
}

/** Each LLM call's latency, by purpose (Navigator, Generator, summary...). */
export function llmLatencyChart(llm: readonly LlmExchange[]): ChartSpec {
  const purposes = [...new Set(llm.map((c) => c.purpose))];
  const datasets = purposes.map((purpose, p) => ({
    label: purpose,
    data: llm.flatMap((c, i) =>
      c.purpose === purpose
        ? [{ x: i + 1, y: c.latencyMs / 1000, tip: [`call ${i + 1}, ${c.model}`, `${duration(c.latencyMs)}, ${c.tokensIn} tokens in, ${c.tokensOut} out`, `after ${c.evaluated} evaluations`] }]
        : [],
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

/** Where the comparison's axis starts: as a search's, from all the searches' evaluations. */
export function compareFocus(searches: readonly { evaluations: readonly ReportEvaluation[] }[]): AxisFocus | undefined {
  return focusAxis(searches.flatMap((s) => s.evaluations.map((e) => e.valAcc)));
}

/** Several searches' best-so-far curves on one chart. */
export function compareChart(
  searches: readonly { name: string; evaluations: readonly ReportEvaluation[] }[],
  accuracyLabel: string,
  focus: AxisFocus | undefined = compareFocus(searches),
): ChartSpec {
  const curves = searches.map((s) => bestSoFar(s.evaluations).map((b) => b.valAcc));
  const datasets = searches.map((s, i) => ({
    label: s.name,
    data: curves[i]!.map((y, j) => ({ x: j + 1, y })),
    showLine: true,
    stepped: 'after',
    pointRadius: 0,
    borderWidth: 2,
    borderColor: seriesColor(i),
    backgroundColor: seriesColor(i),
  }));
  return { type: 'scatter', data: { datasets }, options: options(axis('evaluations', { min: 0 }), yAxis(`best ${accuracyLabel} so far`, focus)) };
}
