import { createRegistry } from '../lib/registry';
import { commandEvaluator } from './command';
import { nb201TableEvaluator } from './nb201';
import { ofaPredictorEvaluator } from './ofa-predictor';
import { ofaSupernetEvaluator } from './ofa-supernet';
import type { EvaluatorPlugin } from './types';

/** Every evaluator by the name a search config gives as `evaluation.evaluator`. One line each. */
export const EVALUATORS = createRegistry<EvaluatorPlugin>('evaluator', [
  nb201TableEvaluator,
  ofaPredictorEvaluator,
  commandEvaluator,
  ofaSupernetEvaluator,
]);
