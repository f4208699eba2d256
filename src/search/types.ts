import type { ResolvedLlm } from '../llm/types';
import type { RngState } from '../lib/rng';
import type { Cost } from '../spaces/types';

/**
 * The search core's data: a resolved config, the search state, candidates and
 * evaluations. All of it plain JSON, so it crosses workflow history and
 * continue-as-new unchanged.
 */

/** Where a candidate came from, kept with every evaluation for analysis. */
export type Origin =
  | 'seed'
  | 'random'
  | 'mutation'
  /** Sampled from a learned policy (reinforce). */
  | 'policy'
  /** Written by the Generator LLM (first answer, or the follow-up with errors). */
  | 'llm'
  | 'llm-retry'
  /** A Generator proposal that repeated an evaluated architecture, mutated into a new one. */
  | 'llm-repair'
  /** Mutation of a best architecture, filling a batch the Generator left short. */
  | 'fill';

export interface Constraint {
  metric: 'flops' | 'params' | 'latency';
  /** In the metric's unit: MFLOPs, M params or ms. */
  max: number;
  /** For latency: which device, e.g. "hwnb_pixel3". */
  device?: string;
}

export interface EvaluationConfig {
  /** The evaluator plug-in that scores candidates (default: the space's natural one). */
  evaluator: string;
  /** The evaluator's own options. */
  options: Record<string, unknown>;
  /** An evaluator that measures costs beside it (set for a latency device the main one does not measure). */
  costEvaluator?: string;
  costOptions?: Record<string, unknown>;
  /** 'cost' when the cost evaluator, not the evaluator, measures the constraint's latency device. */
  latencyFrom?: 'cost';
  startToCloseTimeout: string;
  heartbeatTimeout: string;
  maximumAttempts: number;
  taskQueue: string;
  /** Stop the search after this many candidates in a row failed every attempt (a broken evaluator, not a bad candidate). */
  maxFailuresInARow: number;
  /** Each batch in one `evaluateBatch` activity (cheap evaluators); absent or false: one activity per candidate. */
  batched?: boolean;
}

/**
 * The ranking stage: each iteration the strategy proposes a pool larger than
 * the batch, a cheap ranker scores it, and only the top goes to the
 * evaluator. The budget counts the evaluator's evaluations only.
 */
export interface RankConfig {
  /** "cost" (the cost model, free), "llm" (the strategy's own LLM ranking) or the name of an evaluator that scores cheaply. */
  by: string;
  /** Candidates proposed per full batch; a smaller batch near the end of the budget gets a pool in proportion. */
  pool: number;
  /** The ranker's options: the cost ranker's, or the evaluator's. */
  options: Record<string, unknown>;
  /** A ranking that fails after its retries: keep the strategy's own order (recorded) or fail the search. */
  onFailure: 'fallback' | 'fail';
  /** For an evaluator: the task queue of the workers that score (default: the evaluation's). */
  taskQueue: string;
  /** For an evaluator: longest one scoring call (a whole pool) may take. */
  startToCloseTimeout: string;
  heartbeatTimeout: string;
  maximumAttempts: number;
}

/** How LLM calls run as activities (strategies with LLM roles). */
export interface LlmCallsConfig {
  /** Default: the control worker's queue. */
  taskQueue?: string;
  startToCloseTimeout: string;
  heartbeatTimeout: string;
  maximumAttempts: number;
}

/** The strategy plug-in's name and its options, defaults applied. */
export interface StrategyConfig {
  name: string;
  [option: string]: unknown;
}

/**
 * A search config with every default applied and every plug-in name checked:
 * what a search runs on from its first workflow task to its last, across
 * continue-as-new, whatever later releases change in the defaults.
 */
export interface SearchConfig {
  name?: string;
  space: string;
  dataset: string;
  strategy: StrategyConfig;
  evaluation: EvaluationConfig;
  /** The LLM of each role the strategy talks to (empty for strategies without one). */
  llm: Record<string, ResolvedLlm>;
  llmCalls: LlmCallsConfig;
  /** Number of unique architectures to evaluate. */
  budget: number;
  /** Candidates evaluated in parallel per iteration. */
  batchSize: number;
  /** A ranking stage before the evaluation; absent: every proposal is evaluated. */
  rank?: RankConfig;
  seed: number;
  constraint?: Constraint;
  /** Stop as soon as the best feasible validation accuracy reaches this (percent). */
  targetAccuracy?: number;
  /** Architectures (text format) evaluated first, e.g. a known good design. */
  seedArchitectures: string[];
  /** Seed from the best architectures of a schedule's last completed run (scheduled searches). */
  warmStart?: WarmStartConfig;
  /** Continue-as-new after this many history events even if the server has not suggested it. */
  continueAsNewAfterEvents?: number;
  /** How many best architectures `progress` and the result list. */
  topK: number;
  /** How many of the most recent evaluations the result lists in `history` (default DEFAULT_RESULT_HISTORY). */
  resultHistory?: number;
}

export interface WarmStartConfig {
  /** The schedule whose last completed run seeds this one; true: the schedule that started this run. */
  fromSchedule: true | string;
  /** How many of that run's best feasible architectures to evaluate first. */
  top: number;
}

/** A candidate about to be evaluated. */
export interface Candidate {
  /** Text form of the architecture (the space's `format`). */
  arch: string;
  /** Canonical key: equal for architectures that compute the same function. */
  key: string;
  origin: Origin;
}

/** What an evaluator returns for one architecture. */
export interface EvalResult {
  /** Accuracy the search optimises (percent). */
  valAcc: number;
  /** Held-out accuracy, for the final report only; never shown to a strategy. */
  testAcc?: number;
  cost: Cost;
  /** Which evaluation slot / device produced it. */
  device?: string;
  /** Wall time of the evaluation in milliseconds. */
  ms?: number;
  /** Further measurements (latency spread, peak memory, a proxy score...), by name. */
  metrics?: Record<string, number>;
  /** The tail of an external evaluator's output (e.g. a user program's stderr), for the search log. */
  log?: string;
}

/** One evaluated, unique architecture as the search records it. */
export interface Evaluation extends Candidate {
  valAcc: number;
  testAcc?: number;
  cost: Cost;
  /** Meets the config's cost constraint. */
  feasible: boolean;
  iteration: number;
}

/** What a strategy may see of an evaluation: everything but the test accuracy. */
export type Observation = Omit<Evaluation, 'testAcc'>;

export function observe(e: Evaluation): Observation {
  const { testAcc: _hidden, ...seen } = e;
  return seen;
}

/** A candidate the ranking kept from evaluation, with its cheap score; a strategy may propose it again. */
export interface Screened extends Candidate {
  /** Absent when scoring it failed. */
  score?: number;
  /** The iteration whose pool it was in. */
  iteration: number;
}

/** What the ranking stage has done so far. */
export interface RankingTally {
  /** Pools ranked. */
  pools: number;
  /** Candidates scored by the ranker. */
  scored: number;
  /** Candidates kept from evaluation. */
  screened: number;
  /**
   * The ranker's evaluations' time on their device slots, in milliseconds, as
   * the workers report it: summed over candidates scored side by side, so
   * GPU-seconds on a GPU worker, not wall time.
   */
  ms: number;
  /** Rankings that failed, where the strategy's own order was kept instead. */
  fallbacks: number;
  /** Why the last fallback happened. */
  lastFailure?: string;
}

export interface FailedCandidate extends Candidate {
  error: string;
  iteration: number;
}

/**
 * Everything a search needs to go on. The strategy's own state rides in
 * `strategy`; the generator state in `rng`, so a search resumed from this
 * makes exactly the proposals an uninterrupted one makes.
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
  /** Candidates that failed since the last one that evaluated. */
  failedInARow: number;
  /** With a ranking stage: what it has done, and the most recent candidates it screened out (at most MAX_SCREENED_KEPT). */
  ranking?: RankingTally;
  screened?: Screened[];
}

export type StopReason = 'budget' | 'target' | 'exhausted' | 'stopped' | 'iterations' | 'failing';
