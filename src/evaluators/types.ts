import type { z } from 'zod';
import type { EvalResult } from '../search/types';

/** One evaluation as the eval queue receives it: small, so it fits in workflow history. */
export interface EvalRequest<O = Record<string, unknown>> {
  /** The evaluator plug-in to run. */
  evaluator: string;
  /** Its options from the search config (validated when the search started). */
  options: O;
  space: string;
  dataset: string;
  /** Architecture in the space's text format. */
  arch: string;
  /** The device a latency constraint names, when the search is latency-constrained. */
  latencyDevice?: string;
  /** An evaluator that measures costs beside this one (e.g. onnx-cost for latency on this machine), with its options. */
  costEvaluator?: string;
  costOptions?: Record<string, unknown>;
  /** 'cost': the cost evaluator measures the latency device, not the evaluator. */
  latencyFrom?: 'cost';
}

export interface EvalContext {
  /** Device this evaluation is pinned to, e.g. "cuda:1" or "cpu". */
  device: string;
  /** Tells Temporal the evaluation is alive; long evaluations must call it. */
  heartbeat(details?: unknown): void;
  /** Waits, heartbeating, and stops early when the evaluation is cancelled. */
  sleep(ms: number): Promise<void>;
  /** Fires when the evaluation is cancelled or times out: stop work, kill children. */
  signal: AbortSignal;
}

/** A running evaluator on one eval worker. */
export interface Evaluator<O = Record<string, unknown>> {
  /** Checks that the evaluator can run here (data present...); throws a clear error if not. */
  check(): void;
  evaluate(request: EvalRequest<O>, context: EvalContext): Promise<EvalResult>;
  /** Costs only, for evaluators that measure rather than score (`measuresOnly`). */
  measure?(request: EvalRequest<O>, context: EvalContext): Promise<Pick<EvalResult, 'cost' | 'metrics'>>;
}

/**
 * An evaluator as a plug-in: its name in a search config
 * (`evaluation.evaluator`), the spaces it can score, its own per-search
 * options and a factory run once per eval worker process with that worker's
 * settings (data paths...). Adding one is a file or folder with one of these
 * and one line in `registry.ts`.
 */
export interface EvaluatorPlugin<O = any, W = any> {
  readonly name: string;
  /** One line for help and error messages. */
  readonly description: string;
  /** Spaces it can evaluate; 'any' for evaluators that hand the architecture to someone else (a user's program). */
  readonly spaces: readonly string[] | 'any';
  /** What its accuracy is, for people: "validation accuracy", "predicted top-1 (...)", "NASWOT score"... */
  readonly accuracyLabel: string;
  /** What follows its accuracy when printed: '%' (absent) for a percentage, '' for a score that is not one. */
  readonly unit?: '%' | '';
  /** Who serves it when a TypeScript eval worker does not, e.g. "the Python eval worker (python -m collm_eval)". */
  readonly servedBy?: string;
  /** It measures costs and scores no accuracy: usable only as `evaluation.costEvaluator`. */
  readonly measuresOnly?: true;
  /**
   * It answers in microseconds or milliseconds (a table, a predictor), so a
   * search sends its whole batch in one `evaluateBatch` activity: Temporal's
   * cost per activity would otherwise be the whole cost of the search.
   */
  readonly batch?: true;
  /** Whether it reports a latency for the device a latency constraint names; absent: it reports none. */
  readonly latency?: (device: string) => boolean;
  /** Per-search options (`evaluation.options`), with defaults; strict. */
  readonly options: z.ZodType<O>;
  /** Builds the evaluator on an eval worker; `settings` are that worker's (undefined: defaults and environment). */
  create(settings: W | undefined): Evaluator<O>;
}

/**
 * An evaluation that failed. `retryable` tells the activity whether another
 * attempt could succeed (a busy GPU) or not (missing data, an illegal
 * architecture), the way LlmError does for LLM calls.
 */
export class EvaluationError extends Error {
  constructor(
    message: string,
    readonly retryable: boolean,
    /** A short type name for Temporal's failure, e.g. "TableError". */
    readonly type = 'EvaluationError',
  ) {
    super(message);
    this.name = type;
  }
}
