import type { ActivityTally } from '../client/history';
import { rankingLine } from '../client/search';
import type { CostMetric } from '../search/summary';
import { COST_UNITS, costMetrics, paretoFront } from './candidates';
import { bestChart, costChart, llmLatencyChart, llmTokensChart, originChart, type ChartSpec } from './charts';
import { escapeHtml } from './escape';
import { code, facts, fixed, link, pre, table, type Cell } from './html';
import { bestOf, overview } from './overview';
import { chartCanvas, page } from './page';
import type { ReportEvaluation, SearchReportData } from './types';

/** One search's report as a self-contained HTML page: a pure function of its data. */

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
}

/** The canvas ids of a report's charts, by what they show. */
export const CHART_IDS = {
  best: 'chart-best',
  cost: (metric: CostMetric) => `chart-cost-${metric}`,
  origins: 'chart-origins',
  llmLatency: 'chart-llm-latency',
  llmTokens: 'chart-llm-tokens',
} as const;

const when = (iso: string | undefined): string => (iso ? iso.replace('T', ' ').replace(/\.\d+Z$/, 'Z') : '-');

function section(title: string, id: string, body: string): string {
  return `<section id="${escapeHtml(id)}"><h2>${escapeHtml(title)}</h2>\n${body}\n</section>`;
}

function evaluationRow(e: ReportEvaluation, index: number, metrics: readonly CostMetric[]): Cell[] {
  const cost = { flops: e.cost.flopsM, params: e.cost.paramsM, latency: e.cost.latencyMs };
  return [index + 1, code(e.arch), fixed(e.valAcc), fixed(e.testAcc), ...metrics.map((m) => fixed(cost[m], m === 'params' ? 3 : 2)), e.origin, e.iteration];
}

/** How one kind of activity ended, as the search log counts them. */
function tallyText(t: ActivityTally): string {
  return `${t.completed} completed, ${t.failed} failed, ${t.timedOut} timed out; ${t.retried} took more than one attempt`;
}

export function renderSearchPage(data: SearchReportData, view: SearchPageView): string {
  const o = overview(data);
  const evals = data.evaluations;
  const metrics = costMetrics(evals);
  const constraint = data.config?.constraint;
  const charts: Record<string, ChartSpec> = {};
  const parts: string[] = [];

  parts.push(`<h1>Search report: ${escapeHtml(data.workflowId)}</h1>`);
  parts.push(`<p class="muted">Generated ${escapeHtml(when(view.generatedAt))} from the workflow history. Files: ${link(view.files.csv, 'candidates (CSV)').html}, ${link(view.files.json, 'candidates (JSON)').html}${view.files.config ? `, ${link(view.files.config, 'config').html}` : ''}.</p>`);

  const status = data.closeReason ? `${data.status}: ${data.closeReason}` : data.status;
  parts.push(
    section(
      'Summary',
      'summary',
      facts([
        ['workflow', data.workflowId],
        ['status', status + (data.result ? '' : ' (no result: this report shows what the history holds; origins of the last run\'s candidates are unknown)')],
        ['runs (continue-as-new)', data.runIds.length],
        ['space / dataset', `${o.space ?? '-'} / ${o.dataset ?? '-'}`],
        ['strategy', o.strategy],
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
        ['duration', o.durationS !== undefined ? `${o.durationS.toFixed(1)} s` : '-'],
      ]),
    ),
  );

  const top = bestOf(evals);
  parts.push(
    section(
      'Final architecture',
      'best',
      top
        ? facts([
            ['architecture', code(top.best.arch)],
            [view.accuracyLabel, fixed(top.best.valAcc)],
            ['test accuracy', fixed(top.best.testAcc)],
            ['cost', `${fixed(top.best.cost.flopsM)} MFLOPs, ${fixed(top.best.cost.paramsM, 3)} M params` + (top.best.cost.latencyMs !== undefined ? `, ${fixed(top.best.cost.latencyMs)} ms` : '')],
            ['origin', `${top.best.origin}, iteration ${top.best.iteration}`],
            ['found after', `${top.index + 1} evaluations`],
          ])
        : '<p>No evaluated architecture met the constraint.</p>',
    ),
  );

  if (view.reproduce || data.input !== undefined) {
    parts.push(
      section(
        'Reproduce',
        'reproduce',
        (view.reproduce ? `<p>Start the same search again (same config and seed; an LLM answers the same only for the same model, seed and sampling):</p>${pre(view.reproduce)}` : '') +
          (data.input !== undefined ? `<details><summary>Config as given</summary>${pre(JSON.stringify(data.input, null, 2))}</details>` : '') +
          (data.config ? `<details><summary>Config as resolved (defaults applied)</summary>${pre(JSON.stringify(data.config, null, 2))}</details>` : ''),
      ),
    );
  }

  if (evals.length > 0) {
    charts[CHART_IDS.best] = bestChart(evals, view.accuracyLabel, data);
    const costs = metrics.map((m) => {
      const id = CHART_IDS.cost(m);
      charts[id] = costChart(evals, m, view.accuracyLabel, constraint);
      return chartCanvas(id, charts[id]!, `${view.accuracyLabel} against ${COST_UNITS[m]}; the line is the Pareto front`);
    });
    charts[CHART_IDS.origins] = originChart(evals);
    parts.push(
      section(
        'Progress',
        'progress',
        chartCanvas(CHART_IDS.best, charts[CHART_IDS.best]!, `Best ${view.accuracyLabel} so far against evaluations; markers show the Navigator's strategies and steering hints`) +
          `<div class="grid">${costs.join('\n')}</div>` +
          chartCanvas(CHART_IDS.origins, charts[CHART_IDS.origins]!, 'Where each iteration\'s candidates came from'),
      ),
    );
    parts.push(section('Origins', 'origins', originsTable(data)));
    parts.push(section('Pareto fronts', 'pareto', paretoTables(evals, metrics, view.accuracyLabel)));
  } else {
    parts.push(section('Progress', 'progress', '<p>Nothing evaluated yet.</p>'));
  }

  if (data.strategies.length > 0 || data.hints.length > 0) parts.push(section('Navigator strategies and steering hints', 'timeline', timeline(data)));

  if (data.llm.length > 0 || data.llmFailures.length > 0) {
    let body = llmTables(data);
    if (data.llm.length > 0) {
      charts[CHART_IDS.llmLatency] = llmLatencyChart(data.llm);
      charts[CHART_IDS.llmTokens] = llmTokensChart(data.llm);
      body += `<div class="grid">${chartCanvas(CHART_IDS.llmLatency, charts[CHART_IDS.llmLatency]!, 'Latency of each LLM call')}${chartCanvas(CHART_IDS.llmTokens, charts[CHART_IDS.llmTokens]!, 'Tokens of each LLM call')}</div>`;
    }
    parts.push(section('LLM calls', 'llm', body));
  }

  if (data.result?.stats) {
    parts.push(section('Strategy figures', 'stats', facts(Object.entries(data.result.stats).map(([k, v]) => [k, typeof v === 'number' ? String(v) : v]))));
  }

  if (evals.length > 0) {
    const ranked = evals.map((e, i) => ({ e, i })).filter(({ e }) => e.feasible).sort((a, b) => b.e.valAcc - a.e.valAcc || a.i - b.i).slice(0, data.config?.topK ?? 10);
    const headers = ['#', 'architecture', view.accuracyLabel, 'test', ...metrics.map((m) => COST_UNITS[m]), 'origin', 'iteration'];
    parts.push(section('Top architectures', 'top', table(headers, ranked.map(({ e, i }) => evaluationRow(e, i, metrics)))));
    parts.push(
      section(
        'All evaluations',
        'evaluations',
        `<details><summary>${evals.length} evaluated architectures, in the order they were recorded</summary>${table(headers, evals.map((e, i) => evaluationRow(e, i, metrics)), 'id="evaluations-table"')}</details>`,
      ),
    );
  }
  if (data.failedEvaluations.length > 0) {
    parts.push(section('Failed evaluations', 'failed', table(['architecture', 'error'], data.failedEvaluations.map((f) => [code(f.arch), f.error]))));
  }

  return page({ title: `Search report: ${data.workflowId}`, body: parts.join('\n'), charts, ...(view.chartJs ? { chartJs: view.chartJs } : {}) });
}

function originsTable(data: SearchReportData): string {
  const all = new Map<string, ReportEvaluation[]>();
  for (const e of data.evaluations) all.set(e.origin, [...(all.get(e.origin) ?? []), e]);
  const topK = data.result?.origins.topK ?? {};
  const rows = [...all.entries()].map(([origin, list]): Cell[] => {
    const feasible = list.filter((e) => e.feasible);
    return [origin, list.length, data.result ? ((topK as Record<string, number>)[origin] ?? 0) : '-', fixed(feasible.length ? Math.max(...feasible.map((e) => e.valAcc)) : undefined)];
  });
  return table(['origin', 'evaluated', 'in the top-k', 'best'], rows);
}

function paretoTables(evals: readonly ReportEvaluation[], metrics: readonly CostMetric[], accuracyLabel: string): string {
  return metrics
    .map((m) => {
      const front = paretoFront(evals, m);
      const rows = front.map((i): Cell[] => [i + 1, code(evals[i]!.arch), fixed(evals[i]!.valAcc), fixed(m === 'flops' ? evals[i]!.cost.flopsM : m === 'params' ? evals[i]!.cost.paramsM : evals[i]!.cost.latencyMs, m === 'params' ? 3 : 2), evals[i]!.origin]);
      return `<details><summary>${escapeHtml(`${accuracyLabel} against ${COST_UNITS[m]}: ${front.length} architecture(s)`)}</summary>${table(['#', 'architecture', accuracyLabel, COST_UNITS[m], 'origin'], rows)}</details>`;
    })
    .join('\n');
}

function timeline(data: SearchReportData): string {
  const items = [
    ...data.strategies.map((s, i) => ({ ...s, kind: `Navigator strategy ${i + 1}` })),
    ...data.hints.map((h) => ({ ...h, kind: 'Steering hint' })),
  ].sort((a, b) => a.at.localeCompare(b.at) || a.evaluated - b.evaluated);
  return items
    .map((t, i) => {
      const head = escapeHtml(`${t.kind}, after ${t.evaluated} evaluations (${when(t.at)})`);
      return t.kind === 'Steering hint'
        ? `<p class="hint"><strong>${head}:</strong> ${escapeHtml(t.text)}</p>`
        : `<details${i === items.length - 1 ? ' open' : ''} class="strategy"><summary>${head}</summary>${pre(t.text)}</details>`;
    })
    .join('\n');
}

function llmTables(data: SearchReportData): string {
  const purposes = [...new Set([...data.llm.map((c) => c.purpose), ...data.llmFailures.map((f) => f.purpose)])];
  const rows = purposes.map((purpose): Cell[] => {
    const calls = data.llm.filter((c) => c.purpose === purpose);
    const ms = calls.map((c) => c.latencyMs);
    return [
      purpose,
      [...new Set(calls.map((c) => c.model))].join(', '),
      calls.length,
      calls.reduce((n, c) => n + c.tokensIn, 0),
      calls.reduce((n, c) => n + c.tokensOut, 0),
      fixed(ms.length ? ms.reduce((a, b) => a + b, 0) / ms.length / 1000 : undefined),
      fixed(ms.length ? Math.max(...ms) / 1000 : undefined),
      data.llmFailures.filter((f) => f.purpose === purpose).length,
    ];
  });
  const failures = data.llmFailures.length
    ? `<h3>Failed calls</h3>${table(['purpose', 'after evaluations', 'time', 'error'], data.llmFailures.map((f) => [f.purpose, f.evaluated, when(f.at), f.error]), 'id="llm-failures"')}`
    : '<p>No LLM call failed for good.</p>';
  return table(['purpose', 'model', 'calls', 'tokens in', 'tokens out', 'mean latency (s)', 'max latency (s)', 'failed'], rows, 'id="llm-summary"') + failures;
}
