import type { CostMetric } from '../search/summary';
import { csv } from './csv';
import type { ReportEvaluation } from './types';

/** The evaluated candidates as figures and files: best-so-far, Pareto fronts, CSV and JSON. */

export const COST_UNITS: Record<CostMetric, string> = { flops: 'MFLOPs', params: 'M params', latency: 'latency (ms)' };

export function costOf(e: ReportEvaluation, metric: CostMetric): number | undefined {
  return metric === 'flops' ? e.cost.flopsM : metric === 'params' ? e.cost.paramsM : e.cost.latencyMs;
}

/** The costs every evaluation carries (latency only where an evaluator measured it for all). */
export function costMetrics(evaluations: readonly ReportEvaluation[]): CostMetric[] {
  if (evaluations.length === 0) return [];
  return (['flops', 'params', 'latency'] as const).filter((m) => evaluations.every((e) => costOf(e, m) !== undefined));
}

/** Best feasible validation accuracy after each evaluation; null until one is feasible. */
export function bestSoFar(evaluations: readonly ReportEvaluation[]): { valAcc: number | null; testAcc: number | null }[] {
  let top: ReportEvaluation | undefined;
  return evaluations.map((e) => {
    if (e.feasible && (!top || e.valAcc > top.valAcc)) top = e;
    return { valAcc: top?.valAcc ?? null, testAcc: top?.testAcc ?? null };
  });
}

/**
 * Indices of the evaluations on the Pareto front of accuracy against one
 * cost, cheapest first: as the search computes it (all evaluations, ties on
 * cost kept by the higher accuracy).
 */
export function paretoFront(evaluations: readonly ReportEvaluation[], metric: CostMetric): number[] {
  const sorted = evaluations
    .map((e, i) => ({ i, cost: costOf(e, metric)!, valAcc: e.valAcc }))
    .sort((a, b) => a.cost - b.cost || b.valAcc - a.valAcc);
  const front: typeof sorted = [];
  for (const p of sorted) if (front.length === 0 || p.valAcc > front[front.length - 1]!.valAcc) front.push(p);
  return front.map((p) => p.i);
}

const CSV_COLUMNS = ['index', 'iteration', 'origin', 'arch', 'key', 'valAcc', 'testAcc', 'flopsM', 'paramsM', 'latencyMs', 'feasible'] as const;

/** One row per evaluation, in the order the search recorded them. */
export function candidatesCsv(evaluations: readonly ReportEvaluation[]): string {
  return csv(
    CSV_COLUMNS,
    evaluations.map((e, i) => [i + 1, e.iteration, e.origin, e.arch, e.key, e.valAcc, e.testAcc, e.cost.flopsM, e.cost.paramsM, e.cost.latencyMs, e.feasible]),
  );
}

export function candidatesJson(evaluations: readonly ReportEvaluation[]): string {
  return JSON.stringify(evaluations.map((e, i) => ({ index: i + 1, ...e })), null, 2) + '\n';
}
