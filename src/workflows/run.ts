import type { SearchEngine } from '../search/search';
import type { SearchConfig, SearchState, StopReason } from '../search/types';

/**
 * What one run of `nasSearch` keeps in memory, shared by the loop and the
 * handlers. Handlers run only while the loop awaits, so whatever they change
 * here the loop sees when it next wakes, and the `progress` query reads it
 * as it stands.
 */

/**
 * What the signals set. It exists before the config is resolved, so a signal
 * sent right after the start is kept, and all of it crosses continue-as-new.
 */
export interface Controls {
  paused: boolean;
  stopRequested: boolean;
  /** Steering hints not yet read by the strategy: `steer` appends, the strategy takes them all at its next LLM turn. */
  readonly hints: string[];
}

/** The search once its config is resolved: what the loop moves on and the handlers read or grow. */
export interface SearchRun {
  readonly config: SearchConfig;
  readonly engine: SearchEngine;
  readonly controls: Controls;
  /** Continue-as-new runs before this one. */
  readonly runs: number;
  /** Replaced by the loop after each step and by `extendBudget`, which grows its budget. */
  state: SearchState;
  /** Evaluations out on the eval queue. */
  inFlight: number;
  /** Whether an LLM call is out. */
  llmInFlight: boolean;
  /** Whether a pool is out for scoring (a ranking stage's evaluator). */
  rankingInFlight?: boolean;
  /** Why the search ended, once the loop has ended. */
  finished: StopReason | undefined;
}
