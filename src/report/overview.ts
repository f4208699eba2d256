import type { ReportEvaluation, SearchReportData } from './types';

/** One search in a few figures: the report's summary and a comparison's row. */
export interface Overview {
  workflowId: string;
  status: string;
  space?: string;
  dataset?: string;
  strategy?: string;
  evaluator?: string;
  seed?: number;
  budget?: number;
  evaluated: number;
  iterations?: number;
  stopReason?: string;
  best?: ReportEvaluation;
  /** Evaluations it took to find the best. */
  foundAfter?: number;
  failedEvaluations: number;
  llmCalls: number;
  tokensIn: number;
  tokensOut: number;
  llmSeconds: number;
  llmFailures: number;
  startedAt?: string;
  closedAt?: string;
  durationS?: number;
}

/** Best feasible by validation accuracy, the earliest on ties (as the search picks it). */
export function bestOf(evaluations: readonly ReportEvaluation[]): { best: ReportEvaluation; index: number } | undefined {
  let top: { best: ReportEvaluation; index: number } | undefined;
  evaluations.forEach((e, index) => {
    if (e.feasible && (!top || e.valAcc > top.best.valAcc)) top = { best: e, index };
  });
  return top;
}

export function overview(data: SearchReportData): Overview {
  const { result, config } = data;
  const top = bestOf(data.evaluations);
  const started = data.startedAt ? Date.parse(data.startedAt) : NaN;
  const closed = data.closedAt ? Date.parse(data.closedAt) : NaN;
  const space = result?.space ?? config?.space;
  const dataset = result?.dataset ?? config?.dataset;
  const strategy = result?.strategy ?? config?.strategy.name;
  const evaluator = result?.evaluator ?? config?.evaluation.evaluator;
  const seed = result?.seed ?? config?.seed;
  const budget = result?.budget ?? config?.budget;
  return {
    workflowId: data.workflowId,
    status: data.status,
    ...(space !== undefined ? { space } : {}),
    ...(dataset !== undefined ? { dataset } : {}),
    ...(strategy !== undefined ? { strategy } : {}),
    ...(evaluator !== undefined ? { evaluator } : {}),
    ...(seed !== undefined ? { seed } : {}),
    ...(budget !== undefined ? { budget } : {}),
    evaluated: data.evaluations.length,
    ...(result ? { iterations: result.iterations, stopReason: result.stopReason } : {}),
    ...(top ? { best: top.best, foundAfter: top.index + 1 } : {}),
    failedEvaluations: data.failedEvaluations.length,
    llmCalls: data.llm.length,
    tokensIn: data.llm.reduce((n, c) => n + c.tokensIn, 0),
    tokensOut: data.llm.reduce((n, c) => n + c.tokensOut, 0),
    llmSeconds: data.llm.reduce((n, c) => n + c.latencyMs, 0) / 1000,
    llmFailures: data.llmFailures.length,
    ...(data.startedAt ? { startedAt: data.startedAt } : {}),
    ...(data.closedAt ? { closedAt: data.closedAt } : {}),
    ...(Number.isFinite(started) && Number.isFinite(closed) ? { durationS: (closed - started) / 1000 } : {}),
  };
}
