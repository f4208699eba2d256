import { DEFAULT_RESULT_HISTORY } from './limits';
import type { Evaluation, FailedCandidate, Origin, RankingTally, SearchConfig, SearchState, StopReason } from './types';

/** What a search reports: the best architectures, the curve, the result. Pure reads of the state. */

/**
 * Found by list: the workflow asks several times per batch, and the list
 * grows with the search. A state's list is never changed in place (a batch
 * makes a new one), so the answer for a list stays right.
 */
const bestOf = new WeakMap<readonly Evaluation[], Evaluation | null>();

/** Best feasible evaluation by validation accuracy (earliest wins ties). */
export function best(state: SearchState): Evaluation | undefined {
  const known = bestOf.get(state.evaluated);
  if (known !== undefined) return known ?? undefined;
  let top: Evaluation | undefined;
  for (const e of state.evaluated) if (e.feasible && (!top || e.valAcc > top.valAcc)) top = e;
  bestOf.set(state.evaluated, top ?? null);
  return top;
}

export function topK(state: SearchState, k: number): Evaluation[] {
  return state.evaluated
    .filter((e) => e.feasible)
    .map((e, i) => ({ e, i }))
    .sort((a, b) => b.e.valAcc - a.e.valAcc || a.i - b.i)
    .slice(0, k)
    .map(({ e }) => e);
}

export interface TrajectoryPoint {
  evaluated: number;
  bestValAcc: number;
  bestTestAcc?: number;
}

/** Best validation accuracy after each evaluation (the curve users plot). */
export function trajectory(state: SearchState): TrajectoryPoint[] {
  const points: TrajectoryPoint[] = [];
  let top: Evaluation | undefined;
  state.evaluated.forEach((e, i) => {
    if (e.feasible && (!top || e.valAcc > top.valAcc)) {
      top = e;
      points.push({ evaluated: i + 1, bestValAcc: e.valAcc, ...(e.testAcc !== undefined ? { bestTestAcc: e.testAcc } : {}) });
    }
  });
  return points;
}

/** One point of a Pareto front: accuracy against one cost. */
export interface ParetoPoint {
  arch: string;
  valAcc: number;
  /** The cost in the metric's unit (MFLOPs, M params, ms). */
  cost: number;
}

export type CostMetric = 'flops' | 'params' | 'latency';

const COST_OF: Record<CostMetric, (e: Evaluation) => number | undefined> = {
  flops: (e) => e.cost.flopsM,
  params: (e) => e.cost.paramsM,
  latency: (e) => e.cost.latencyMs,
};

/**
 * The Pareto front of validation accuracy against each cost the evaluations
 * carry: the architectures no other beats on both (cheapest first). A metric
 * some evaluation lacks (latency of an unconstrained search) has no front.
 */
export function paretoFronts(state: SearchState): Partial<Record<CostMetric, ParetoPoint[]>> {
  const fronts: Partial<Record<CostMetric, ParetoPoint[]>> = {};
  if (state.evaluated.length === 0) return fronts;
  for (const metric of Object.keys(COST_OF) as CostMetric[]) {
    const points = state.evaluated.map((e) => ({ arch: e.arch, valAcc: e.valAcc, cost: COST_OF[metric](e) }));
    if (points.some((p) => p.cost === undefined)) continue;
    const sorted = (points as ParetoPoint[]).slice().sort((a, b) => a.cost - b.cost || b.valAcc - a.valAcc);
    const front: ParetoPoint[] = [];
    for (const p of sorted) if (front.length === 0 || p.valAcc > front[front.length - 1]!.valAcc) front.push(p);
    fronts[metric] = front;
  }
  return fronts;
}

/** How many evaluations came from each origin, over all and among the top-k. */
export interface OriginCounts {
  evaluated: Partial<Record<Origin, number>>;
  topK: Partial<Record<Origin, number>>;
}

function countOrigins(evaluations: readonly Evaluation[]): Partial<Record<Origin, number>> {
  const counts: Partial<Record<Origin, number>> = {};
  for (const e of evaluations) counts[e.origin] = (counts[e.origin] ?? 0) + 1;
  return counts;
}

export function origins(state: SearchState, k: number): OriginCounts {
  return { evaluated: countOrigins(state.evaluated), topK: countOrigins(topK(state, k)) };
}

export interface SearchResult {
  status: 'completed';
  stopReason: StopReason;
  space: string;
  dataset: string;
  strategy: string;
  evaluator: string;
  seed: number;
  budget: number;
  evaluated: number;
  iterations: number;
  best?: Evaluation;
  topK: Evaluation[];
  /** Best-so-far points: after `evaluated` evaluations the best validation accuracy was `bestValAcc`. */
  trajectory: TrajectoryPoint[];
  /** Accuracy against each known cost: the architectures no other beats on both. */
  pareto: Partial<Record<CostMetric, ParetoPoint[]>>;
  /** Where the evaluated architectures, and the top-k, came from (LLM, fill, mutation, random...). */
  origins: OriginCounts;
  /**
   * The evaluated architectures in order: every one, or with `historyTruncated`
   * the last `resultHistory` of the config (default DEFAULT_RESULT_HISTORY),
   * so that the result stays far below Temporal's 2 MB payload limit however
   * long the search. `evaluated` counts them all; the search log
   * (src/client/search-log.ts) and the report (src/report) read every one from
   * the workflow histories.
   */
  history: Evaluation[];
  /** Set when `history` leaves out the oldest evaluations. */
  historyTruncated?: true;
  /** Candidates whose evaluation failed for good: every one, or the last as many as `history` may hold. */
  failed: FailedCandidate[];
  /** How many failed in all, when `failed` leaves out the oldest. */
  failedTotal?: number;
  /** The strategy's own figures, e.g. LLM calls, tokens and what became of the generated candidates. */
  stats?: Record<string, number | string>;
  /** With a ranking stage: pools ranked, candidates scored and screened out, the ranker's time, fallbacks. */
  ranking?: RankingTally;
}

export function summarize(
  config: SearchConfig,
  state: SearchState,
  reason: StopReason,
  stats: Record<string, number | string> | undefined,
): SearchResult {
  const top = best(state);
  const keep = config.resultHistory ?? DEFAULT_RESULT_HISTORY;
  const history = state.evaluated.length > keep ? state.evaluated.slice(state.evaluated.length - keep) : state.evaluated;
  const failed = state.failed.length > keep ? state.failed.slice(state.failed.length - keep) : state.failed;
  return {
    status: 'completed',
    stopReason: reason,
    space: config.space,
    dataset: config.dataset,
    strategy: config.strategy.name,
    evaluator: config.evaluation.evaluator,
    seed: config.seed,
    budget: state.budget,
    evaluated: state.evaluated.length,
    iterations: state.iteration,
    ...(top ? { best: top } : {}),
    topK: topK(state, config.topK),
    trajectory: trajectory(state),
    pareto: paretoFronts(state),
    origins: origins(state, config.topK),
    history,
    ...(history.length < state.evaluated.length ? { historyTruncated: true as const } : {}),
    failed,
    ...(failed.length < state.failed.length ? { failedTotal: state.failed.length } : {}),
    ...(stats ? { stats } : {}),
    ...(state.ranking ? { ranking: state.ranking } : {}),
  };
}
