import { ActivityFailure, ApplicationFailure, patched, TimeoutFailure } from '@temporalio/workflow';
import { isLlmRefusalType, LLM_UNAVAILABLE_TYPE, llmUnavailableMessage, searchEndsMessage } from '../llm/failure';
import { LlmUnavailable } from '../llm/types';
import { RankingFailed } from '../search/rank';
import type { Candidate } from '../search/types';

/**
 * How activity failures become the search's: which end it, which only drop
 * a candidate, and the message a person reads in either case.
 */

/**
 * Errors that no retry can fix (missing table, unknown evaluator) end the
 * search with the evaluator's own message; other failures only drop the candidate.
 */
export function evaluationFailure(err: unknown, candidate: Candidate): Error {
  if (err instanceof ActivityFailure && err.cause instanceof ApplicationFailure) {
    const cause = err.cause;
    if (cause.nonRetryable) {
      return ApplicationFailure.create({
        message: `evaluation of ${candidate.arch} failed: ${cause.message}`,
        type: cause.type ?? 'EvaluationFailed',
        nonRetryable: true,
      });
    }
    return new Error(cause.message);
  }
  if (err instanceof ActivityFailure && err.cause instanceof TimeoutFailure) {
    // Heartbeat: the eval worker died or hung; start-to-close: the evaluation ran too long.
    const kind = err.cause.timeoutType === 'HEARTBEAT' ? 'no heartbeat from the eval worker' : `${err.cause.timeoutType ?? 'activity'} timeout`;
    return new Error(`timed out on every attempt (${kind})`);
  }
  return err instanceof Error ? new Error(err.message) : new Error(String(err));
}

export function isFatal(err: Error): boolean {
  return err instanceof ApplicationFailure && err.nonRetryable === true;
}

/**
 * An activity's failure re-raised as the search's own: the activity's message
 * and type (bad key, unknown model, invalid config), non-retryable, so the
 * search fails with what went wrong rather than Temporal's generic "Activity
 * task failed". Anything that is not an activity's application failure is
 * returned as it is.
 */
function asSearchFailure(err: unknown): unknown {
  if (err instanceof ActivityFailure && err.cause instanceof ApplicationFailure) {
    const cause = err.cause;
    return ApplicationFailure.create({
      message: cause.message,
      type: cause.type ?? 'ActivityFailed',
      nonRetryable: true,
      details: cause.details ? [...cause.details] : undefined,
    });
  }
  return err;
}

/** An activity whose failure ends the search with the activity's own message (see `asSearchFailure`). */
export function surfaceFailures<A extends unknown[], R>(fn: (...args: A) => Promise<R>): (...args: A) => Promise<R> {
  return async (...args) => {
    try {
      return await fn(...args);
    } catch (err) {
      throw asSearchFailure(err);
    }
  };
}

/**
 * A strategy's error that ends the search by its config (an LLM still
 * unavailable after its retries under `onLlmFailure: "fail"`), as a failure
 * of the search. Thrown as it is, a plain Error fails the workflow task, which
 * Temporal retries forever: the search would stay Running and never answer.
 * Other errors of workflow code are bugs and are left to do just that, so a
 * fixed deploy picks the search up where it stopped.
 */
function strategyFailure(err: unknown): unknown {
  if (err instanceof LlmUnavailable) {
    return ApplicationFailure.create({ message: searchEndsMessage(err.message), type: LLM_UNAVAILABLE_TYPE, nonRetryable: true });
  }
  if (err instanceof RankingFailed) {
    return ApplicationFailure.create({ message: `${err.message}; the search ends, as its rank.onFailure is "fail" ("fallback" keeps the strategy's order instead)`, type: 'RankingFailed', nonRetryable: true });
  }
  return err;
}

/**
 * The scoring activity's failures, whatever they are (retries spent, a
 * worker without the evaluator, a timeout), as RankingFailed: the engine
 * then keeps the strategy's order or ends the search, by rank.onFailure.
 */
export function rankingFailures<A extends unknown[], R>(ranker: string, fn: (...args: A) => Promise<R>): (...args: A) => Promise<R> {
  return async (...args) => {
    try {
      return await fn(...args);
    } catch (err) {
      if (err instanceof RankingFailed) throw err;
      const cause = err instanceof ActivityFailure && err.cause ? err.cause : err;
      const why = cause instanceof TimeoutFailure ? `${cause.timeoutType ?? 'activity'} timeout on every attempt` : cause instanceof Error ? cause.message : String(cause);
      throw new RankingFailed(`ranking by ${ranker} failed: ${why}`);
    }
  };
}

/** A strategy step (propose, observe) whose search-ending errors end the search (see `strategyFailure`). */
export async function strategyStep<R>(step: () => Promise<R>): Promise<R> {
  try {
    return await step();
  } catch (err) {
    throw strategyFailure(err);
  }
}

export function backoff(maximumAttempts: number, initialInterval: `${number}s`, maximumInterval: `${number}${'s' | 'm'}`) {
  return { maximumAttempts, initialInterval, backoffCoefficient: 2, maximumInterval };
}

/**
 * The LLM activity's failures, as a strategy sees them: one that may pass
 * (retries exhausted on timeouts, 429s, 5xx, a worker gone) becomes
 * LlmUnavailable, which a strategy may ride out; one no retry fixes (bad
 * key, unknown model) ends the search with the provider's message. Which
 * failures are retryable, and their types and messages, is src/llm/failure.ts's.
 */
export function llmFailures<A extends unknown[], R>(fn: (...args: A) => Promise<R>): (...args: A) => Promise<R> {
  return async (...args) => {
    try {
      return await fn(...args);
    } catch (err) {
      const cause = err instanceof ActivityFailure ? err.cause : undefined;
      if (cause instanceof TimeoutFailure || (cause instanceof ApplicationFailure && !cause.nonRetryable)) {
        throw new LlmUnavailable(llmUnavailableMessage(cause.message));
      }
      // A refused request (malformed to the server, too long for its model) is the strategy's to count;
      // searches recorded before ended on it, and replay as they ran.
      if (cause instanceof ApplicationFailure && isLlmRefusalType(cause.type ?? undefined) && patched('llm-refusals-ridden-out')) {
        throw new LlmUnavailable(cause.message, 'refused');
      }
      throw asSearchFailure(err);
    }
  };
}
