import { ApplicationFailure } from '@temporalio/workflow';
import type { Candidate, EvalResult, SearchConfig } from '../search/types';
import { batchEvaluationActivity, evaluationActivity } from './activity-calls';
import { evaluationFailure } from './failures';

/** A candidate's evaluation as the search records it: its result, or the failure that drops it (or ends the search). */
export type Outcome = { candidate: Candidate; result: EvalResult } | { candidate: Candidate; error: Error };

/**
 * How a search evaluates a batch: one activity per candidate, in parallel,
 * or, for a cheap evaluator (`evaluation.batched`), the whole batch in one
 * activity. Either way each candidate's failure is its own outcome, so it
 * does not lose the others' results.
 */
export function batchEvaluator(config: SearchConfig): (candidates: readonly Candidate[]) => Promise<Outcome[]> {
  if (!config.evaluation.batched) {
    const evaluate = evaluationActivity(config);
    return (candidates) =>
      Promise.all(
        candidates.map((c) =>
          evaluate(c).then(
            (result): Outcome => ({ candidate: c, result }),
            (err: unknown): Outcome => ({ candidate: c, error: evaluationFailure(err, c) }),
          ),
        ),
      );
  }
  const evaluateBatch = batchEvaluationActivity(config);
  return async (candidates) => {
    let outcomes: unknown[];
    try {
      outcomes = await evaluateBatch(candidates);
    } catch (err) {
      // The activity itself failed for good (a bad request, a worker without the evaluator, timeouts): every candidate did.
      return candidates.map((c) => ({ candidate: c, error: evaluationFailure(err, c) }));
    }
    return candidates.map((c, i) => outcomeOf(c, outcomes[i]));
  };
}

/** One candidate's outcome as a worker returned it, read defensively: any worker may answer on the queue. */
function outcomeOf(candidate: Candidate, raw: unknown): Outcome {
  const o = (typeof raw === 'object' && raw !== null ? raw : {}) as { result?: unknown; error?: unknown; type?: unknown; nonRetryable?: unknown };
  const result = o.result as EvalResult | undefined;
  if (result && typeof result === 'object' && typeof result.valAcc === 'number' && typeof result.cost === 'object' && result.cost !== null) return { candidate, result };
  const message = typeof o.error === 'string' ? o.error : 'the eval worker returned no outcome for it';
  if (o.nonRetryable === true) {
    // As for a single evaluation: no retry can fix it (a missing table), so the search ends with its message.
    return { candidate, error: ApplicationFailure.create({ message: `evaluation of ${candidate.arch} failed: ${message}`, type: typeof o.type === 'string' ? o.type : 'EvaluationFailed', nonRetryable: true }) };
  }
  return { candidate, error: new Error(message) };
}
