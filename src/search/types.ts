import type { Cost } from '../spaces/types';

/** Where a candidate came from, kept with every evaluation for analysis. */
export type Origin =
  | 'seed'
  | 'random'
  | 'mutation'
  /** Written by the Generator LLM (first answer, or the follow-up with errors). */
  | 'llm'
  | 'llm-retry'
  /** Mutation of a best architecture, filling a batch the Generator left short. */
  | 'fill';

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
