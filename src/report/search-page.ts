import type { ActivityTally } from '../client/history';
import { rankingLine } from '../client/search';
import type { CostMetric } from '../search/summary';
import { COST_UNITS, costMetrics, paretoFront } from './candidates';
import { clippedText, marksText, originText, strategyText } from './captions';
import { accuracyFocus, belowAxis, bestChart, costChart, importanceChart, llmLatencyChart, llmTokensChart, originChart, type ChartSpec } from './charts';
import { escapeHtml } from './escape';
import { evaluationsTable, topTable } from './eval-table';
import { code, facts, fixed, link, num, pre, table, type Cell } from './html';
import { decisionEffects, type DecisionEffect } from './importance';
import { exchanges, llmTables } from './llm-section';
import { bestOf, overview } from './overview';
import { chartCanvas, page } from './page';
import { statRows } from './stats';
import type { ReportEvaluation, SearchReportData } from './types';
import { duration, when } from './units';

/** One search's report as a self-contained HTML page: a pure function of its data. */

/** A served page's state: how it updates itself (see ./serve.ts). */
export interface LiveView {
  /** Changes whenever the report does: the page fetches itself again when the server's differs. */
  version: number;
  /** How often the page asks the server, in milliseconds. */
  intervalMs: number;
  /** ISO time the history was last read. */
  checkedAt: string;
}

export interface SearchPageView {
  /** What the evaluator's accuracy is, e.g. "validation accuracy". */
  accuracyLabel: string;
  /** ISO time the report was made. */
  generatedAt: string;
  /** The files written beside the page, relative to it. */
  files: { csv: string; json: string; config?: string };
  /** The command that starts the same search again. */
  reproduce?: string;
  /** Chart.js's source (default: the installed package's bundle). */
  chartJs?: string;
  /** Served by `report --serve`: the page updates itself while the search runs. */
  live?: LiveView;
}

/** The canvas ids of a report's charts, by what they show. */
export const CHART_IDS = {
  best: 'chart-best',
  cost: (metric: CostMetric) => `chart-cost-${metric}`,
  origins: 'chart-origins',
  llmLatency: 'chart-llm-latency',
  llmTokens: 'chart-llm-tokens',
  importance: 'chart-importance',
} as const;

function section(title: string, id: string, body: string): string {
  return `<section id="${escapeHtml(id)}"><h2>${escapeHtml(title)}</h2>\n${body}\n</section>`;
}

/**
 * A block to open; an id keeps it as the reader left it across a served
 * page's updates. `data-open-default` says it came open, so that one the
 * reader did not touch follows the page (the latest strategy opens, the one
 * before closes).
 */
const openAttrs = (open: boolean): string => (open ? ' open data-open-default' : '');

function details(id: string, summary: string, body: string, open = false): string {
  return `<details id="${escapeHtml(id)}"${openAttrs(open)}><summary>${escapeHtml(summary)}</summary>${body}</details>`;
}

/** How one kind of activity ended, as the search log counts them. */
function tallyText(t: ActivityTally): string {
  return `${t.completed} completed, ${t.failed} failed, ${t.timedOut} timed out; ${t.retried} took more than one attempt`;
}

/** The served page's banner: whether it still updates, and how far the search has got. */
function liveBanner(data: SearchReportData, live: LiveView, budget: number | undefined): string {
  const running = data.status === 'running';
  const progress = `<span id="live-evaluated">${data.evaluations.length}</span>${escapeHtml(` of ${budget ?? '?'} evaluated.`)}`;
  const text = running
    ? `Live: the search is running; this page updates itself every ${duration(live.intervalMs)} (history last read <span id="live-checked">${escapeHtml(when(live.checkedAt))}</span>). ${progress} <span id="live-note"></span>`
    : `${escapeHtml(`The search has ended (${data.status}): this page no longer updates.`)} ${progress}`;
  return `<p id="live" class="live${running ? '' : ' ended'}" data-status="${escapeHtml(data.status)}" data-version="${live.version}" data-interval="${live.intervalMs}">${text}</p>`;
}

function summary(data: SearchReportData, view: SearchPageView): string {
  const o = overview(data);
  const constraint = data.config?.constraint;
  const status = data.closeReason ? `${data.status}: ${data.closeReason}` : data.status;
  return facts([
    ['workflow', data.workflowId],
    ['status', status + (data.result ? '' : ' (no result: this report shows what the history holds; origins of the last run\'s candidates are unknown)')],
    ['runs (continue-as-new)', data.runIds.length],
    ['space / dataset', `${o.space ?? '-'} / ${o.dataset ?? '-'}`],
    ['strategy', strategyText(o.strategy)],
    ['evaluator', `${o.evaluator ?? '-'} (${view.accuracyLabel})`],
    ['seed', o.seed],
    ['evaluated / budget', `${o.evaluated} / ${o.budget ?? '-'}` + (o.failedEvaluations ? `, ${o.failedEvaluations} failed` : '')],
    ['iterations', o.iterations],
    ...(data.result?.ranking ? ([['ranking', rankingLine(data.result.ranking)]] as [string, Cell][]) : []),
    ...(data.activities
      ? ([
          ['evaluation activities', tallyText(data.activities.evaluations)],
          ['LLM activities', tallyText(data.activities.llm)],
        ] as [string, Cell][])
      : []),
    ['stop reason', o.stopReason],
    ['constraint', constraint ? `${constraint.metric} ≤ ${constraint.max}${constraint.device ? ` on ${constraint.device}` : ''}` : 'none'],
    ['LLMs', Object.entries(data.config?.llm ?? {}).map(([role, l]) => `${role}: ${l.model} (${l.provider})`).join(', ') || 'none'],
    ['started', when(o.startedAt)],
    ['closed', when(o.closedAt)],
    ['duration', o.durationS !== undefined ? duration(o.durationS * 1000) : '-'],
  ]);
}

function finalArchitecture(evals: readonly ReportEvaluation[], accuracyLabel: string): string {
  const top = bestOf(evals);
  if (!top) return '<p>No evaluated architecture met the constraint.</p>';
  const { best } = top;
  return facts([
    ['architecture', code(best.arch)],
    [accuracyLabel, fixed(best.valAcc)],
    ['test accuracy', fixed(best.testAcc)],
    ['cost', `${fixed(best.cost.flopsM)} MFLOPs, ${fixed(best.cost.paramsM, 3)} M params` + (best.cost.latencyMs !== undefined ? `, ${fixed(best.cost.latencyMs)} ms` : '')],
    ['origin', `${best.origin}, iteration ${best.iteration}`],
    ['found after', `${top.index + 1} evaluations`],
  ]);
}

function reproduce(data: SearchReportData, command: string | undefined): string {
  return (
    (command ? `<p>Start the same search again (same config and seed; an LLM answers the same only for the same model, seed and sampling):</p>${pre(command)}` : '') +
    (data.input !== undefined ? details('config-given', 'Config as given', pre(JSON.stringify(data.input, null, 2))) : '') +
    (data.config ? details('config-resolved', 'Config as resolved (defaults applied)', pre(JSON.stringify(data.config, null, 2))) : '')
  );
}

/** The progress charts, drawn into `charts`; their captions say what they mark and what lies below the axis. */
function progress(data: SearchReportData, view: SearchPageView, metrics: readonly CostMetric[], charts: Record<string, ChartSpec>): string {
  const evals = data.evaluations;
  const label = view.accuracyLabel;
  const focus = accuracyFocus(evals);
  const clipped = clippedText(focus, belowAxis(evals, focus).map((i) => evals[i]!.valAcc));
  charts[CHART_IDS.best] = bestChart(evals, label, data, focus);
  const costs = metrics.map((m) => {
    const id = CHART_IDS.cost(m);
    charts[id] = costChart(evals, m, label, data.config?.constraint, focus);
    return chartCanvas(id, charts[id]!, `${label} against ${COST_UNITS[m]}; the line is the Pareto front${clipped}`);
  });
  charts[CHART_IDS.origins] = originChart(evals);
  const bestCaption = `Best ${label} so far against evaluations${marksText({ strategies: data.strategies.length, hints: data.hints.length })}${clipped}`;
  return (
    chartCanvas(CHART_IDS.best, charts[CHART_IDS.best]!, bestCaption) +
    `<div class="grid">${costs.join('\n')}</div>` +
    chartCanvas(CHART_IDS.origins, charts[CHART_IDS.origins]!, 'Where each iteration\'s candidates came from (the origins are explained below)')
  );
}

function originsTable(data: SearchReportData): string {
  const all = new Map<string, ReportEvaluation[]>();
  for (const e of data.evaluations) all.set(e.origin, [...(all.get(e.origin) ?? []), e]);
  const topK = (data.result?.origins.topK ?? {}) as Record<string, number>;
  const rows = [...all.entries()].map(([origin, list]): Cell[] => {
    const feasible = list.filter((e) => e.feasible);
    return [origin, originText(origin), list.length, data.result ? (topK[origin] ?? 0) : '-', num(feasible.length ? Math.max(...feasible.map((e) => e.valAcc)) : undefined)];
  });
  return table(['origin', 'what it is', 'evaluated', 'in the top-k', 'best'], rows, { id: 'origins-table', sortable: true });
}

function paretoTables(evals: readonly ReportEvaluation[], metrics: readonly CostMetric[], accuracyLabel: string): string {
  return metrics
    .map((m) => {
      const front = paretoFront(evals, m);
      const cost = (e: ReportEvaluation): number | undefined => (m === 'flops' ? e.cost.flopsM : m === 'params' ? e.cost.paramsM : e.cost.latencyMs);
      const rows = front.map((i): Cell[] => [i + 1, code(evals[i]!.arch), num(evals[i]!.valAcc), num(cost(evals[i]!), m === 'params' ? 3 : 2), evals[i]!.origin]);
      const body = table(['#', 'architecture', accuracyLabel, COST_UNITS[m], 'origin'], rows, { id: `pareto-table-${m}`, sortable: true });
      return details(`pareto-${m}`, `${accuracyLabel} against ${COST_UNITS[m]}: ${front.length} architecture(s)`, body);
    })
    .join('\n');
}

/** Which choices the accuracy depends on: a bar per decision and a table of each one's best and worst choice. */
function importance(effects: readonly DecisionEffect[], accuracyLabel: string, charts: Record<string, ChartSpec>): string {
  charts[CHART_IDS.importance] = importanceChart(effects);
  const choice = (c: DecisionEffect['choices'][number] | undefined): string => (c ? `${c.choice}: ${fixed(c.meanAcc)} (${c.evaluations})` : '-');
  const rows = effects.map((e): Cell[] => [e.decision, num(e.importance * 100, 1), choice(e.choices[0]), choice(e.choices.length > 1 ? e.choices.at(-1) : undefined), e.choices.length]);
  const caption =
    `How much of the variance of ${accuracyLabel} each decision's choice explains on its own (its main effect, η²), among the architectures this search evaluated: ` +
    'a search gathers around good choices, so this describes its sample, not the whole space';
  return (
    chartCanvas(CHART_IDS.importance, charts[CHART_IDS.importance]!, caption) +
    table(['decision', '% of variance', `best choice: mean ${accuracyLabel} (evaluations)`, 'worst choice', 'choices seen'], rows, { id: 'importance-table', sortable: true })
  );
}

function timelineTitle(data: SearchReportData): string {
  if (data.strategies.length === 0) return 'Steering hints';
  return data.hints.length === 0 ? 'Navigator strategies' : 'Navigator strategies and steering hints';
}

function timeline(data: SearchReportData): string {
  const items = [
    ...data.strategies.map((s, i) => ({ ...s, kind: `Navigator strategy ${i + 1}`, id: `strategy-${i + 1}` })),
    ...data.hints.map((h, i) => ({ ...h, kind: 'Steering hint', id: `hint-${i + 1}` })),
  ].sort((a, b) => a.at.localeCompare(b.at) || a.evaluated - b.evaluated);
  const last = items.filter((t) => t.kind !== 'Steering hint').at(-1);
  return items
    .map((t) => {
      const head = `${t.kind}, after ${t.evaluated} evaluations (${when(t.at)})`;
      return t.kind === 'Steering hint'
        ? `<p class="hint" id="${t.id}"><strong>${escapeHtml(head)}:</strong> ${escapeHtml(t.text)}</p>`
        : `<details class="strategy" id="${t.id}"${openAttrs(t === last)}><summary>${escapeHtml(head)}</summary>${pre(t.text)}</details>`;
    })
    .join('\n');
}

function llmSection(data: SearchReportData, charts: Record<string, ChartSpec>): string {
  let body = llmTables(data);
  if (data.llm.length > 0) {
    charts[CHART_IDS.llmLatency] = llmLatencyChart(data.llm);
    charts[CHART_IDS.llmTokens] = llmTokensChart(data.llm);
    body += `<div class="grid">${chartCanvas(CHART_IDS.llmLatency, charts[CHART_IDS.llmLatency]!, 'Latency of each LLM call')}${chartCanvas(CHART_IDS.llmTokens, charts[CHART_IDS.llmTokens]!, 'Tokens of each LLM call')}</div>`;
  }
  return body + exchanges(data);
}

function strategyFigures(stats: Readonly<Record<string, number | string>>): string {
  return facts(statRows(stats).map((r) => [r.label, r.value, `${r.field} in the result's stats`] as const));
}

export function renderSearchPage(data: SearchReportData, view: SearchPageView): string {
  const evals = data.evaluations;
  const metrics = costMetrics(evals);
  const charts: Record<string, ChartSpec> = {};
  const parts: string[] = [];
  const label = view.accuracyLabel;
  const files = `Files: ${link(view.files.csv, 'candidates (CSV)').html}, ${link(view.files.json, 'candidates (JSON)').html}${view.files.config ? `, ${link(view.files.config, 'config').html}` : ''}.`;

  parts.push(`<h1>Search report: ${escapeHtml(data.workflowId)}</h1>`);
  parts.push(`<p class="muted">Generated ${escapeHtml(when(view.generatedAt))} from the workflow history. ${files}</p>`);
  if (view.live) parts.push(liveBanner(data, view.live, overview(data).budget));
  parts.push(section('Summary', 'summary', summary(data, view)));
  parts.push(section('Final architecture', 'best', finalArchitecture(evals, label)));
  if (view.reproduce || data.input !== undefined) parts.push(section('Reproduce', 'reproduce', reproduce(data, view.reproduce)));
  if (evals.length > 0) {
    parts.push(section('Progress', 'progress', progress(data, view, metrics, charts)));
    parts.push(section('Origins', 'origins', originsTable(data)));
    parts.push(section('Pareto fronts', 'pareto', paretoTables(evals, metrics, label)));
    const effects = decisionEffects(evals, overview(data).space);
    if (effects) parts.push(section('Decision importance', 'importance', importance(effects, label, charts)));
  } else {
    parts.push(section('Progress', 'progress', '<p>Nothing evaluated yet.</p>'));
  }
  if (data.strategies.length > 0 || data.hints.length > 0) parts.push(section(timelineTitle(data), 'timeline', timeline(data)));
  if (data.llm.length > 0 || data.llmFailures.length > 0) parts.push(section('LLM calls', 'llm', llmSection(data, charts)));
  if (data.result?.stats) parts.push(section('Strategy figures', 'stats', strategyFigures(data.result.stats)));
  if (evals.length > 0) {
    parts.push(section('Top architectures', 'top', topTable(evals, metrics, label, data.config?.topK ?? 10)));
    parts.push(section(`All evaluations (${evals.length})`, 'evaluations', evaluationsTable(evals, metrics, label)));
  }
  if (data.failedEvaluations.length > 0) {
    parts.push(section('Failed evaluations', 'failed', table(['architecture', 'error'], data.failedEvaluations.map((f) => [code(f.arch), f.error]), { id: 'failed-table' })));
  }

  return page({
    title: `Search report: ${data.workflowId}`,
    body: parts.join('\n'),
    charts,
    ...(view.chartJs ? { chartJs: view.chartJs } : {}),
    ...(view.live ? { live: true } : {}),
  });
}
