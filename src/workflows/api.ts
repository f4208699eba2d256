import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { WarmStart } from '../activities/warm-start';
import type { PackedEvaluations } from '../search/pack';
import type { CostMetric, ParetoPoint } from '../search/summary';
import type { Cost } from '../spaces/types';
import type { RankingTally, SearchConfig, SearchState, StopReason } from '../search/types';

/**
 * What people and scripts can ask of and send to a running `nasSearch`:
 * its queries, signals and updates, and the state it carries across
 * continue-as-new.
 *
 * Status `starting`: the config is still being resolved (the first workflow
 * task), before the first proposal.
 */
export type SearchStatus = 'starting' | 'running' | 'ranking' | 'evaluating' | 'asking the LLM' | 'paused' | 'stopping' | 'completed';

export interface SearchProgress {
  status: SearchStatus;
  space: string;
  dataset: string;
  strategy: string;
  evaluator: string;
  iteration: number;
  evaluated: number;
  budget: number;
  inFlight: number;
  failed: number;
  /** Continue-as-new runs so far. */
  runs: number;
  /** Named as in the result (`best.cost.flopsM`), so one reader serves both. */
  best?: { arch: string; valAcc: number; testAcc?: number; cost: Cost };
  topK: { arch: string; valAcc: number }[];
  /** Accuracy against each known cost: the non-dominated architectures, cheapest first. */
  pareto: Partial<Record<CostMetric, ParetoPoint[]>>;
  /** The strategy's own figures: LLM calls, tokens, failures ridden out... */
  stats?: Record<string, number | string>;
  /** With a ranking stage: pools ranked, candidates scored and screened out, the ranker's time, fallbacks. */
  ranking?: RankingTally;
  stopReason?: StopReason;
}

/** The memo a search sets at its first run, for the Web UI and scripts. */
export interface SearchMemo {
  name: string | null;
  /** The config as resolved at the first run, before any warm-start seeds. */
  config: SearchConfig;
  /** Where the seeds of a warm start came from (only when the config has `warmStart`). */
  warmStart?: WarmStart;
}

/** What one run hands the next across continue-as-new. */
export interface CarriedState {
  /** The config as resolved at the search's first run: defaults never change under a running search. */
  config: SearchConfig;
  /** With `packed`, its `evaluated` is empty: read it with `unpackState` (src/search/pack.ts). */
  state: SearchState;
  /** `state.evaluated` in columns, compressed: the one part of the state that grows with the search. */
  packed?: PackedEvaluations;
  paused: boolean;
  stopRequested: boolean;
  runs: number;
  /** Steering hints not yet read by the strategy. */
  hints?: string[];
}

export const progressQuery = defineQuery<SearchProgress>('progress');
export const pauseSignal = defineSignal('pause');
export const resumeSignal = defineSignal('resume');
/** Finish the evaluations in flight, then return the result. */
export const stopSignal = defineSignal('stop');
/** A person's hint for the LLM (e.g. the CoLLM-NAS Navigator), read at its next turn. */
export const steerSignal = defineSignal<[string]>('steer');
/** Adds evaluations to the budget; returns the new budget. */
export const extendBudgetUpdate = defineUpdate<number, [number]>('extendBudget');
