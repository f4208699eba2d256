import {
  ActivityFailure,
  ApplicationFailure,
  TimeoutFailure,
  allHandlersFinished,
  condition,
  continueAsNew,
  defineQuery,
  defineSignal,
  defineUpdate,
  log,
  proxyActivities,
  setHandler,
  upsertMemo,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { EvalActivities } from '../activities/evaluate';
import type { LlmActivities } from '../activities/llm';
import {
  NAS_BEST_VAL_ACC,
  NAS_DATASET,
  NAS_EVALUATED,
  NAS_SPACE,
  NAS_STRATEGY,
} from '../search-attributes';
import { ConfigError, parseSearchConfig, type SearchConfig } from '../search/config';
import {
  best,
  createSearch,
  proposeBatch,
  recordBatch,
  recordFailures,
  stopReason,
  summarize,
  topK,
  type SearchResult,
  type SearchState,
  type StopReason,
} from '../search/search';
import type { Candidate, EvalResult, Evaluation } from '../search/types';
import { collmDriver, type CollmDriver } from './collm';

export type SearchStatus = 'running' | 'evaluating' | 'asking the LLM' | 'paused' | 'stopping' | 'completed';

export interface SearchProgress {
  status: SearchStatus;
  space: string;
  dataset: string;
  strategy: string;
  iteration: number;
  evaluated: number;
  budget: number;
  inFlight: number;
  failed: number;
  /** Continue-as-new runs so far. */
  runs: number;
  best?: { arch: string; valAcc: number; flopsM: number; paramsM: number; latencyMs?: number };
  topK: { arch: string; valAcc: number }[];
  stopReason?: StopReason;
}

/** What one run hands the next across continue-as-new. */
export interface CarriedState {
  state: SearchState;
  paused: boolean;
  stopRequested: boolean;
  runs: number;
  /** Steering hints not yet read by the Navigator. */
  hints?: string[];
}

export const progressQuery = defineQuery<SearchProgress>('progress');
export const pauseSignal = defineSignal('pause');
export const resumeSignal = defineSignal('resume');
/** Finish the evaluations in flight, then return the result. */
export const stopSignal = defineSignal('stop');
/** A person's hint for the LLM Navigator, read at its next turn (collm only). */
export const steerSignal = defineSignal<[string]>('steer');
/** Adds evaluations to the budget; returns the new budget. */
export const extendBudgetUpdate = defineUpdate<number, [number]>('extendBudget');

/**
 * A neural architecture search as one durable workflow. Each iteration
 * proposes a batch (pure code, deterministic from the seed), evaluates it in
 * parallel on the eval task queue, and records the results. Everything a
 * search needs to go on lives in `SearchState`, which crosses continue-as-new.
 */
export async function nasSearch(input: unknown, carried?: CarriedState): Promise<SearchResult> {
  const config = validate(input);
  let state = carried?.state ?? createSearch(config);
  let paused = carried?.paused ?? false;
  let stopRequested = carried?.stopRequested ?? false;
  const runs = carried?.runs ?? 0;
  const hints: string[] = carried?.hints ?? [];
  let inFlight = 0;
  let llmInFlight = false;
  let finished: StopReason | undefined;

  const { evaluate } = proxyActivities<EvalActivities>({
    taskQueue: config.evaluation.taskQueue,
    startToCloseTimeout: config.evaluation.startToCloseTimeout as `${number}s`,
    heartbeatTimeout: config.evaluation.heartbeatTimeout as `${number}s`,
    retry: backoff(config.evaluation.maximumAttempts, '1s', '1m'),
  });

  const collm: CollmDriver | undefined =
    config.strategy.name === 'collm'
      ? collmDriver(
          config,
          config.strategy,
          surfaceLlmErrors(proxyActivities<LlmActivities>({
            ...(config.strategy.llmTaskQueue ? { taskQueue: config.strategy.llmTaskQueue } : {}),
            startToCloseTimeout: config.strategy.llmTimeout as `${number}m`,
            heartbeatTimeout: config.strategy.llmHeartbeatTimeout as `${number}s`,
            retry: backoff(config.strategy.llmMaximumAttempts, '2s', '2m'),
          }).llmChat, (busy) => (llmInFlight = busy)),
          () => hints.splice(0),
        )
      : undefined;
  // Handlers may change the budget while an activity is awaited; a state
  // computed across that await must not undo it (budgets only grow).
  const adopt = (next: SearchState): SearchState => ({ ...next, budget: Math.max(next.budget, state.budget) });

  setHandler(progressQuery, () => {
    const top = best(state);
    return {
      status: finished
        ? 'completed'
        : stopRequested
          ? 'stopping'
          : paused
            ? 'paused'
            : inFlight > 0
              ? 'evaluating'
              : llmInFlight
                ? 'asking the LLM'
                : 'running',
      space: config.space,
      dataset: config.dataset,
      strategy: config.strategy.name,
      iteration: state.iteration,
      evaluated: state.evaluated.length,
      budget: state.budget,
      inFlight,
      failed: state.failed.length,
      runs,
      ...(top ? { best: { arch: top.arch, valAcc: top.valAcc, ...top.cost } } : {}),
      topK: topK(state, config.topK).map((e) => ({ arch: e.arch, valAcc: e.valAcc })),
      ...(finished ? { stopReason: finished } : {}),
    };
  });
  setHandler(pauseSignal, () => {
    paused = true;
  });
  setHandler(resumeSignal, () => {
    paused = false;
  });
  setHandler(stopSignal, () => {
    stopRequested = true;
  });
  setHandler(steerSignal, (hint) => {
    if (!collm) {
      log.warn('steer ignored: only the collm strategy has a Navigator', { hint });
      return;
    }
    if (typeof hint === 'string' && hint.trim()) hints.push(hint.trim().slice(0, 2000));
  });
  setHandler(
    extendBudgetUpdate,
    (extra) => {
      state = { ...state, budget: state.budget + extra, exhausted: false };
      return state.budget;
    },
    {
      validator: (extra) => {
        if (!Number.isInteger(extra) || extra < 1) {
          throw new Error(`extendBudget: expected a positive whole number of evaluations to add, got ${String(extra)}`);
        }
      },
    },
  );

  if (runs === 0) {
    upsertSearchAttributes([
      { key: NAS_SPACE, value: config.space },
      { key: NAS_DATASET, value: config.dataset },
      { key: NAS_STRATEGY, value: config.strategy.name },
    ]);
    upsertMemo({
      name: config.name ?? null,
      space: config.space,
      dataset: config.dataset,
      strategy: config.strategy,
      budget: config.budget,
      seed: config.seed,
      batchSize: config.batchSize,
      constraint: config.constraint ?? null,
      targetAccuracy: config.targetAccuracy ?? null,
    });
  }

  for (;;) {
    finished = stopReason(config, state) ?? (stopRequested ? 'stopped' : undefined);
    if (finished) break;
    if (paused) {
      log.info('search paused', { evaluated: state.evaluated.length });
      await condition(() => !paused || stopRequested);
      continue;
    }

    const proposed = collm ? await collm.propose(state) : proposeBatch(config, state);
    state = adopt(proposed.state);
    if (proposed.candidates.length === 0) continue;

    inFlight = proposed.candidates.length;
    const outcomes = await Promise.all(
      proposed.candidates.map((c) =>
        evaluate({
          space: config.space,
          dataset: config.dataset,
          arch: c.arch,
          ...(config.constraint?.metric === 'latency' ? { latencyDevice: config.constraint.device } : {}),
        }).then(
          (result): Outcome => ({ candidate: c, result }),
          (err: unknown): Outcome => ({ candidate: c, error: failureOf(err, c) }),
        ),
      ),
    );
    inFlight = 0;
    const recordedBefore = state.evaluated.length;
    state = record(config, state, outcomes);
    const batch: Evaluation[] = state.evaluated.slice(recordedBefore);
    const top = best(state);
    upsertSearchAttributes([
      { key: NAS_EVALUATED, value: state.evaluated.length },
      ...(top ? [{ key: NAS_BEST_VAL_ACC, value: top.valAcc }] : []),
    ]);
    log.info('iteration done', { iteration: state.iteration, evaluated: state.evaluated.length, best: top?.valAcc });

    if (collm && stopReason(config, state) === undefined && !stopRequested) {
      state = adopt(await collm.reflect(state, batch));
    }

    if (shouldContinueAsNew(config) && stopReason(config, state) === undefined && !stopRequested) {
      await condition(allHandlersFinished);
      return continueAsNew<typeof nasSearch>(input, { state, paused, stopRequested, runs: runs + 1, hints });
    }
  }
  // A stop with budget left still reports what was found.
  return summarize(config, state, finished);
}

type Outcome = { candidate: Candidate; result: EvalResult } | { candidate: Candidate; error: Error };

function record(config: SearchConfig, state: SearchState, outcomes: Outcome[]): SearchState {
  const fatal = outcomes.find((o) => 'error' in o && o.error instanceof ApplicationFailure && o.error.nonRetryable);
  if (fatal && 'error' in fatal) throw fatal.error;
  const ok = outcomes.filter((o): o is { candidate: Candidate; result: EvalResult } => 'result' in o);
  const failed = outcomes.filter((o): o is { candidate: Candidate; error: Error } => 'error' in o);
  for (const f of failed) log.warn('evaluation failed after retries', { arch: f.candidate.arch, error: f.error.message });
  state = recordFailures(state, failed.map((f) => ({ candidate: f.candidate, error: f.error.message })));
  return recordBatch(config, state, ok.map((o) => o.candidate), ok.map((o) => o.result));
}

/**
 * Errors that no retry can fix (missing table, unknown space) end the search
 * with the evaluator's own message; other failures only drop the candidate.
 */
function failureOf(err: unknown, candidate: Candidate): Error {
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

/**
 * Wraps the LLM activity: an error no retry can fix (bad key, unknown model)
 * ends the search with the provider's own message rather than Temporal's
 * generic "Activity task failed"; `busy` tells `progress` a call is out.
 */
function surfaceLlmErrors<A extends unknown[], R>(
  fn: (...args: A) => Promise<R>,
  busy: (calling: boolean) => void,
): (...args: A) => Promise<R> {
  return async (...args) => {
    busy(true);
    try {
      return await fn(...args);
    } catch (err) {
      if (err instanceof ActivityFailure && err.cause instanceof ApplicationFailure) {
        throw ApplicationFailure.create({ message: err.cause.message, type: err.cause.type ?? 'LlmError', nonRetryable: true });
      }
      throw err;
    } finally {
      busy(false);
    }
  };
}

function backoff(maximumAttempts: number, initialInterval: `${number}s`, maximumInterval: `${number}${'s' | 'm'}`) {
  return { maximumAttempts, initialInterval, backoffCoefficient: 2, maximumInterval };
}

function shouldContinueAsNew(config: SearchConfig): boolean {
  const info = workflowInfo();
  if (info.continueAsNewSuggested) return true;
  return config.continueAsNewAfterEvents !== undefined && info.historyLength >= config.continueAsNewAfterEvents;
}

function validate(input: unknown): SearchConfig {
  try {
    return parseSearchConfig(input);
  } catch (err) {
    // Any error here is about the input: fail the search at once rather than retry the task forever.
    const problems = err instanceof ConfigError ? err.problems : [String(err)];
    throw ApplicationFailure.create({
      message: err instanceof ConfigError ? err.message : `invalid search config: ${String(err)}`,
      type: 'InvalidSearchConfig',
      nonRetryable: true,
      details: [problems],
    });
  }
}
