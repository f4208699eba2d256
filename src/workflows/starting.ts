import type { SearchProgress, SearchStatus } from './api';

/**
 * What `progress` answers while the config is still being resolved (the
 * first workflow task of a search): a client that queries right after
 * starting gets a status, not "no handler for progress". Only the fields the
 * raw input states with the right type are shown; the rest wait for the
 * resolved config.
 */
export function startingProgress(input: unknown, flags: { paused: boolean; stopRequested: boolean; runs: number }): SearchProgress {
  const raw = isRecord(input) ? input : {};
  const strategy = isRecord(raw.strategy) ? raw.strategy.name : raw.strategy;
  const evaluation = isRecord(raw.evaluation) ? raw.evaluation : {};
  const status: SearchStatus = flags.stopRequested ? 'stopping' : flags.paused ? 'paused' : 'starting';
  return {
    status,
    space: text(raw.space),
    dataset: text(raw.dataset),
    strategy: text(strategy),
    evaluator: text(evaluation.evaluator),
    iteration: 0,
    evaluated: 0,
    budget: typeof raw.budget === 'number' && Number.isFinite(raw.budget) ? raw.budget : 0,
    inFlight: 0,
    failed: 0,
    runs: flags.runs,
    topK: [],
    pareto: {},
  };
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function text(v: unknown): string {
  return typeof v === 'string' ? v : '';
}
