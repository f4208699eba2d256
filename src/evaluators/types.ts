import type { EvalResult } from '../search/types';

/** One evaluation as the eval queue receives it: small, so it fits in workflow history. */
export interface EvalRequest {
  space: string;
  dataset: string;
  /** Architecture in the space's text format. */
  arch: string;
  /** hw.csv device column for a latency cost, when the search is latency-constrained. */
  latencyDevice?: string;
}

export interface EvalContext {
  /** Device this evaluation is pinned to, e.g. "cuda:1" or "cpu". */
  device: string;
  /** Tells Temporal the evaluation is alive; long evaluations must call it. */
  heartbeat(details?: unknown): void;
  /** Waits, heartbeating, and stops early when the evaluation is cancelled. */
  sleep(ms: number): Promise<void>;
}

/** One module per evaluator; each serves one search space. */
export interface Evaluator {
  readonly space: string;
  /** Checks that the evaluator can run here (data present...); throws a clear error if not. */
  check(): void;
  evaluate(request: EvalRequest, context: EvalContext): Promise<EvalResult>;
}
