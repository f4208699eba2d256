import { getSpace } from '../spaces';
import type { Cost, SearchSpace } from '../spaces/types';
import type { Constraint, SearchConfig } from './config';
import { Rng, type RngState } from './rng';
import type { CollmState, CollmStats } from './collm/coordinator';
import { makeStrategy } from './strategies';
import { observe, type Candidate, type EvalResult, type Evaluation, type Observation } from './types';

/**
 * The deterministic search loop shared by the `nasSearch` workflow and the
 * in-process runner: propose a batch, record its results, decide whether to
 * stop. The state is plain JSON, so it can be carried across continue-as-new
 * and a search resumed from it gives exactly the same proposals.
 */
export interface SearchState {
  rng: RngState;
  iteration: number;
  /** Unique architectures evaluated, in the order they were recorded. */
  evaluated: Evaluation[];
  /** Seed architectures already proposed. */
  seedsUsed: number;
  strategy: unknown;
  /** The evaluation budget, which `extendBudget` can raise. */
  budget: number;
  /** Set once no strategy can find a new feasible architecture. */
  exhausted: boolean;
  /** Candidates whose evaluation failed for good; never proposed again, not counted in the budget. */
  failed: FailedCandidate[];
}

export interface FailedCandidate extends Candidate {
  error: string;
  iteration: number;
}

export type StopReason = 'budget' | 'target' | 'exhausted' | 'stopped' | 'iterations';

export function createSearch(config: SearchConfig): SearchState {
  return {
    rng: Rng.fromSeed(config.seed).state(),
    iteration: 0,
    evaluated: [],
    seedsUsed: 0,
    strategy: makeStrategy(config.strategy).init(),
    budget: config.budget,
    exhausted: false,
    failed: [],
  };
}

/** Whether a cost meets the constraint; unknown metrics (e.g. latency before evaluation) pass. */
export function meetsConstraint(cost: Cost, constraint: Constraint | undefined): boolean {
  if (!constraint) return true;
  const value =
    constraint.metric === 'flops' ? cost.flopsM : constraint.metric === 'params' ? cost.paramsM : cost.latencyMs;
  return value === undefined || value <= constraint.max;
}

export function remaining(state: SearchState): number {
  return Math.max(0, state.budget - state.evaluated.length);
}

/**
 * Proposes up to `batchSize` new candidates (fewer near the end of the budget),
 * each with a canonical key not seen before and meeting any cost constraint
 * that can be checked without evaluating.
 */
export function proposeBatch(config: SearchConfig, state: SearchState): { state: SearchState; candidates: Candidate[] } {
  const space = getSpace(config.space);
  const strategy = makeStrategy(config.strategy);
  const rng = new Rng(state.rng);
  const taken = new Set([...state.evaluated, ...state.failed].map((e) => e.key));
  const history: Observation[] = state.evaluated.map(observe);
  const want = Math.min(config.batchSize, remaining(state));
  const candidates: Candidate[] = [];
  let seedsUsed = state.seedsUsed;
  let exhausted = false;
  const isFeasible = (arch: unknown): boolean => meetsConstraint(space.cost(arch, config.dataset), config.constraint);

  while (candidates.length < want) {
    let proposal: { arch: unknown; origin: Candidate['origin'] } | null = null;
    if (seedsUsed < config.seedArchitectures.length) {
      const arch = space.parse(config.seedArchitectures[seedsUsed++]!);
      // A seed that repeats an earlier one is skipped rather than evaluated twice.
      if (taken.has(space.key(arch))) continue;
      proposal = { arch, origin: 'seed' };
    } else {
      proposal = strategy.propose(state.strategy, {
        space: space as SearchSpace<unknown>,
        rng,
        isTaken: (key) => taken.has(key),
        isFeasible,
        history,
        pending: candidates.length,
      });
    }
    if (proposal === null) {
      exhausted = true;
      break;
    }
    const key = space.key(proposal.arch);
    taken.add(key);
    candidates.push({ arch: space.format(proposal.arch), key, origin: proposal.origin });
  }
  return {
    state: { ...state, rng: rng.state(), seedsUsed, exhausted: state.exhausted || (exhausted && candidates.length === 0) },
    candidates,
  };
}

/** Records a batch's results (same order as the candidates) and advances the iteration. */
export function recordBatch(
  config: SearchConfig,
  state: SearchState,
  candidates: readonly Candidate[],
  results: readonly EvalResult[],
): SearchState {
  if (candidates.length !== results.length) {
    throw new Error(`recordBatch: ${candidates.length} candidates but ${results.length} results`);
  }
  const iteration = state.iteration + 1;
  const batch: Evaluation[] = candidates.map((c, i) => {
    const r = results[i]!;
    return {
      ...c,
      valAcc: r.valAcc,
      ...(r.testAcc !== undefined ? { testAcc: r.testAcc } : {}),
      cost: r.cost,
      feasible: meetsConstraint(r.cost, config.constraint),
      iteration,
    };
  });
  const strategy = makeStrategy(config.strategy);
  return {
    ...state,
    iteration,
    evaluated: state.evaluated.concat(batch),
    strategy: strategy.update(state.strategy, batch.map(observe)),
  };
}

/** Records candidates whose evaluation failed after every retry, so they are not proposed again. */
export function recordFailures(state: SearchState, failures: readonly { candidate: Candidate; error: string }[]): SearchState {
  if (failures.length === 0) return state;
  return {
    ...state,
    failed: state.failed.concat(failures.map((f) => ({ ...f.candidate, error: f.error, iteration: state.iteration }))),
  };
}

/** Best feasible evaluation by validation accuracy (earliest wins ties). */
export function best(state: SearchState): Evaluation | undefined {
  let top: Evaluation | undefined;
  for (const e of state.evaluated) if (e.feasible && (!top || e.valAcc > top.valAcc)) top = e;
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

/** Why the search should stop now, or undefined to go on. */
export function stopReason(config: SearchConfig, state: SearchState): StopReason | undefined {
  const top = best(state);
  if (config.targetAccuracy !== undefined && top && top.valAcc >= config.targetAccuracy) return 'target';
  if (remaining(state) === 0) return 'budget';
  if (config.strategy.name === 'collm' && config.strategy.maxIterations !== undefined && state.iteration >= config.strategy.maxIterations) {
    return 'iterations';
  }
  if (state.exhausted) return 'exhausted';
  return undefined;
}

/** Best validation accuracy after each evaluation (the curve users plot). */
export function trajectory(state: SearchState): { evaluated: number; bestValAcc: number; bestTestAcc?: number }[] {
  const points: { evaluated: number; bestValAcc: number; bestTestAcc?: number }[] = [];
  let top: Evaluation | undefined;
  state.evaluated.forEach((e, i) => {
    if (e.feasible && (!top || e.valAcc > top.valAcc)) {
      top = e;
      points.push({ evaluated: i + 1, bestValAcc: e.valAcc, ...(e.testAcc !== undefined ? { bestTestAcc: e.testAcc } : {}) });
    }
  });
  return points;
}

export interface SearchResult {
  status: 'completed';
  stopReason: StopReason;
  space: string;
  dataset: string;
  strategy: string;
  seed: number;
  budget: number;
  evaluated: number;
  iterations: number;
  best?: Evaluation;
  topK: Evaluation[];
  /** Best-so-far points: after `evaluated` evaluations the best validation accuracy was `bestValAcc`. */
  trajectory: ReturnType<typeof trajectory>;
  /** Every evaluated architecture in order (the search log). */
  history: Evaluation[];
  /** Candidates whose evaluation failed for good. */
  failed: FailedCandidate[];
  /** LLM strategies: calls, tokens, and what became of the generated candidates. */
  llm?: CollmStats & { promptVersion: string };
}

export function summarize(config: SearchConfig, state: SearchState, reason: StopReason): SearchResult {
  const top = best(state);
  return {
    status: 'completed',
    stopReason: reason,
    space: config.space,
    dataset: config.dataset,
    strategy: config.strategy.name,
    seed: config.seed,
    budget: state.budget,
    evaluated: state.evaluated.length,
    iterations: state.iteration,
    ...(top ? { best: top } : {}),
    topK: topK(state, config.topK),
    trajectory: trajectory(state),
    history: state.evaluated,
    failed: state.failed,
    ...(config.strategy.name === 'collm'
      ? { llm: { promptVersion: (state.strategy as CollmState).promptVersion, ...(state.strategy as CollmState).stats } }
      : {}),
  };
}

/** Runs a whole search in this process with a synchronous evaluator (benchmarks, tests). */
export function runSearch(
  config: SearchConfig,
  evaluate: (candidate: Candidate) => EvalResult,
): SearchResult {
  if (config.strategy.name === 'collm') throw new Error('strategy collm runs only in the nasSearch workflow (its LLM calls are activities)');
  let state = createSearch(config);
  for (;;) {
    const reason = stopReason(config, state);
    if (reason) return summarize(config, state, reason);
    const proposed = proposeBatch(config, state);
    state = proposed.state;
    if (proposed.candidates.length === 0) continue;
    state = recordBatch(config, state, proposed.candidates, proposed.candidates.map(evaluate));
  }
}
