import { best, paretoFronts, topK } from '../search/summary';
import type { SearchProgress, SearchStatus } from './api';
import type { SearchRun } from './run';

/**
 * What the `progress` query answers once the config is resolved (before
 * that, `startingProgress`): the search as it stands between two awaits.
 */
export function projectProgress(run: SearchRun): SearchProgress {
  const { config, state } = run;
  const top = best(state);
  const stats = run.engine.report(state);
  return {
    status: statusOf(run),
    space: config.space,
    dataset: config.dataset,
    strategy: config.strategy.name,
    evaluator: config.evaluation.evaluator,
    iteration: state.iteration,
    evaluated: state.evaluated.length,
    budget: state.budget,
    inFlight: run.inFlight,
    failed: state.failed.length,
    runs: run.runs,
    ...(top ? { best: { arch: top.arch, valAcc: top.valAcc, ...(top.testAcc !== undefined ? { testAcc: top.testAcc } : {}), cost: top.cost } } : {}),
    topK: topK(state, config.topK).map((e) => ({ arch: e.arch, valAcc: e.valAcc })),
    pareto: paretoFronts(state),
    ...(stats ? { stats } : {}),
    ...(state.ranking ? { ranking: state.ranking } : {}),
    ...(run.finished ? { stopReason: run.finished } : {}),
  };
}

/** A stop asked for outranks a pause, as the loop checks for a stop first and a pause waits for one. */
function statusOf(run: SearchRun): SearchStatus {
  const { paused, stopRequested } = run.controls;
  if (run.finished) return 'completed';
  if (stopRequested) return 'stopping';
  if (paused) return 'paused';
  if (run.inFlight > 0) return 'evaluating';
  if (run.rankingInFlight) return 'ranking';
  return run.llmInFlight ? 'asking the LLM' : 'running';
}
