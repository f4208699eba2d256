import { MAX_SCREENED_KEPT } from './limits';
import { LLM_RANKER, RANKERS } from './rankers';
import type { SearchSpace } from '../spaces/types';
import type { Candidate, RankConfig, RankingTally, SearchState } from './types';

/**
 * The ranking stage's pure parts: how large a pool to ask for, how a pool's
 * scores pick the candidates to evaluate, and how the state records the
 * rest. Scores come from the cost model here, or from a worker through the
 * engine's `score` port; the engine owns the order of the steps.
 */

/** One candidate's cheap score, or why it has none (it then ranks after every scored one). */
export type ScoreOutcome = { score: number; ms?: number } | { error: string };

/** Scores a pool on a worker (the scoring activity in a workflow, any function elsewhere), one outcome per candidate. */
export type ScorePort = (candidates: readonly Candidate[]) => Promise<ScoreOutcome[]>;

/** Where a ranker runs: in the search (cost model), in the strategy (its LLM), or on a worker (an evaluator). */
export function rankerKind(rank: RankConfig): 'pure' | 'strategy' | 'worker' {
  if (rank.by === LLM_RANKER) return 'strategy';
  return RANKERS.has(rank.by) ? 'pure' : 'worker';
}

/** The pool for `want` candidates: the configured pool for a full batch, in proportion for a smaller one. */
export function poolSize(rank: RankConfig | undefined, want: number, batchSize: number): number {
  if (!rank || rankerKind(rank) === 'strategy' || want <= 0) return want;
  return Math.max(want, Math.ceil((rank.pool * want) / batchSize));
}

/** The cost model's scores (a `pure` ranker's) of the pool's architectures, computed in the search itself. */
export function pureScores(rank: RankConfig, space: SearchSpace<unknown>, dataset: string, archs: readonly unknown[]): ScoreOutcome[] {
  const ranker = RANKERS.get(rank.by);
  // Options added to a ranker after a search started take their defaults; what the search resolved stays.
  const parsed = ranker.options.safeParse(rank.options);
  const scores = ranker.score(archs, parsed.success ? parsed.data : rank.options, { space, dataset });
  return scores.map((score) => ({ score }));
}

/**
 * The `count` candidates to evaluate: highest score first, the pool's own
 * order on ties, and candidates without a score after every scored one.
 * Without scores (a ranking that failed) the pool's own order.
 */
export function pickTop(pool: readonly Candidate[], scores: readonly ScoreOutcome[] | undefined, count: number): { chosen: Candidate[]; screened: { candidate: Candidate; score?: number }[] } {
  const scoreOf = (i: number): number | undefined => {
    const s = scores?.[i];
    return s && 'score' in s && Number.isFinite(s.score) ? s.score : undefined;
  };
  const order = pool.map((_, i) => i);
  if (scores) {
    order.sort((a, b) => {
      const sa = scoreOf(a);
      const sb = scoreOf(b);
      if (sa === undefined || sb === undefined) return (sa === undefined ? 1 : 0) - (sb === undefined ? 1 : 0) || a - b;
      return sb - sa || a - b;
    });
  }
  return {
    chosen: order.slice(0, count).map((i) => pool[i]!),
    screened: order.slice(count).map((i) => {
      const score = scoreOf(i);
      return { candidate: pool[i]!, ...(score !== undefined ? { score } : {}) };
    }),
  };
}

/** The state after a pool was ranked: the tally, and the screened-out candidates kept for strategies. */
export function recordRanking(
  state: SearchState,
  ranked: { scores?: readonly ScoreOutcome[]; screened: readonly { candidate: Candidate; score?: number }[]; failure?: string },
): SearchState {
  const before: RankingTally = state.ranking ?? { pools: 0, scored: 0, screened: 0, ms: 0, fallbacks: 0 };
  const scored = ranked.scores?.filter((s) => 'score' in s) ?? [];
  const ranking: RankingTally = {
    pools: before.pools + 1,
    scored: before.scored + scored.length,
    screened: before.screened + ranked.screened.length,
    ms: before.ms + scored.reduce((n, s) => n + ('ms' in s && s.ms !== undefined ? s.ms : 0), 0),
    fallbacks: before.fallbacks + (ranked.failure !== undefined ? 1 : 0),
    ...(ranked.failure !== undefined ? { lastFailure: ranked.failure.slice(0, 300) } : before.lastFailure !== undefined ? { lastFailure: before.lastFailure } : {}),
  };
  const iteration = state.iteration + 1;
  const added = ranked.screened.map(({ candidate, score }) => ({ ...candidate, ...(score !== undefined ? { score } : {}), iteration }));
  const screened = (state.screened ?? []).concat(added).slice(-MAX_SCREENED_KEPT);
  return { ...state, ranking, screened };
}

/**
 * A ranking that could not be had after its retries (the scoring workers
 * gone, the evaluator broken): by `rank.onFailure`, the search keeps the
 * strategy's order and goes on, or ends with this message.
 */
export class RankingFailed extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RankingFailed';
  }
}
