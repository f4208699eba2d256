import { createRegistry } from '../lib/registry';
import { commandEvaluator } from './command';
import { nb201TableEvaluator } from './nb201';
import { ofaPredictorEvaluator } from './ofa-predictor';
import { naswotEvaluator } from './naswot';
import { ofaSupernetEvaluator } from './ofa-supernet';
import { onnxCostEvaluator } from './onnx-cost';
import type { EvaluatorPlugin } from './types';

/** Every evaluator by the name a search config gives as `evaluation.evaluator`. One line each. */
export const EVALUATORS = createRegistry<EvaluatorPlugin>('evaluator', [
  nb201TableEvaluator,
  ofaPredictorEvaluator,
  commandEvaluator,
  ofaSupernetEvaluator,
  naswotEvaluator,
  onnxCostEvaluator,
]);
