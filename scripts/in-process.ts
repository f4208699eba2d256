import { createEvaluators, type EvaluatorSettings } from '../src/evaluators';
import type { Candidate, EvalResult, SearchConfig } from '../src/search/types';

/** What an evaluator gets in this process: one CPU, nobody to heartbeat to, waits that wait, no cancellation. */
const CONTEXT = {
  device: 'cpu',
  heartbeat: () => undefined,
  sleep: (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)),
  signal: new AbortController().signal,
};

/**
 * A search's evaluator run in this process as an eval worker runs it, with a
 * worker's `settings` (data paths, allowed programs): what `runSearch` takes,
 * for benchmarks that compare a durable search with the same one in process.
 */
export function inProcessEvaluator(
  config: Pick<SearchConfig, 'space' | 'dataset'> & { evaluation: Pick<SearchConfig['evaluation'], 'evaluator' | 'options'> },
  settings: EvaluatorSettings = {},
): (c: Candidate) => Promise<EvalResult> {
  const name = config.evaluation.evaluator;
  const evaluator = createEvaluators(settings, [name]).served.get(name)!;
  const request = { evaluator: name, options: config.evaluation.options, space: config.space, dataset: config.dataset };
  return (c) => evaluator.evaluate({ ...request, arch: c.arch }, CONTEXT);
}
