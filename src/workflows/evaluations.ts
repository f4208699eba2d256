import { ApplicationFailure } from '@temporalio/workflow';
import type { Candidate, EvalResult, SearchConfig } from '../search/types';
import { batchEvaluationActivity, evaluationActivity, type BatchOutcome } from './activity-calls';
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
    let outcomes: BatchOutcome[];
    try {
      outcomes = await evaluateBatch(candidates);
    } catch (err) {
      // The activity itself failed for good (a bad request, a worker without the evaluator, timeouts): every candidate did.
      return candidates.map((c) => ({ candidate: c, error: evaluationFailure(err, c) }));
    }
    return candidates.map((c, i) => outcomeOf(c, outcomes[i]!));
  };
}

/** A candidate's outcome in a batch, as the search records it. */
function outcomeOf(candidate: Candidate, o: BatchOutcome): Outcome {
  if ('result' in o) return { candidate, result: o.result };
  if (o.nonRetryable) {
    // As for a single evaluation: no retry can fix it (a missing table), so the search ends with its message.
    return { candidate, error: ApplicationFailure.create({ message: `evaluation of ${candidate.arch} failed: ${o.error}`, type: o.type ?? 'EvaluationFailed', nonRetryable: true }) };
  }
  return { candidate, error: new Error(o.error) };
}
