import { nb201Evaluator, type Nb201EvaluatorOptions } from './nb201';
import type { Evaluator } from './types';

export type { EvalRequest, EvalContext, Evaluator } from './types';

export interface EvaluatorOptions {
  nb201?: Nb201EvaluatorOptions;
}

/** The evaluators an eval worker serves, by space name. */
export function createEvaluators(options: EvaluatorOptions = {}): Map<string, Evaluator> {
  const list = [nb201Evaluator(options.nb201)];
  return new Map(list.map((e) => [e.space, e]));
}
