import {
  allHandlersFinished,
  ApplicationFailure,
  condition,
  continueAsNew,
  log,
  makeContinueAsNewFunc,
  patched,
  proxyActivities,
  proxyLocalActivities,
  setHandler,
  upsertMemo,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { ConfigActivities } from '../activities/config';
import type { EvalActivities } from '../activities/evaluate';
import type { LlmActivities } from '../activities/llm';
import type { LlmPort } from '../llm/types';
import { identityAttributes, progressAttributes } from '../search-attributes';
import { MAX_BUDGET, MAX_HINT_CHARS, MAX_PENDING_HINTS } from '../search/limits';
import { packState, unpackState } from '../search/pack';
import { createEngine, type SearchEngine, type SearchIo } from '../search/search';
import { best, paretoFronts, topK, type SearchResult } from '../search/summary';
import type { Candidate, EvalResult, SearchConfig, SearchState, StopReason } from '../search/types';
import {
  extendBudgetUpdate,
  pauseSignal,
  progressQuery,
  resumeSignal,
  steerSignal,
  stopSignal,
  type CarriedState,
  type SearchMemo,
  type SearchProgress,
  type SearchStatus,
} from './api';
import { backoff, evaluationFailure, isFatal, llmFailures, strategyStep, surfaceFailures } from './failures';
import { startingProgress } from './starting';
import { warmStart, withSeeds } from './warm-start';

/**
 * A neural architecture search as one durable workflow. Each iteration
 * proposes a batch (pure code, deterministic from the seed and the LLM's
 * recorded answers), evaluates it in parallel on the eval task queue, records
 * the results and lets the strategy observe them. Everything a search needs
 * to go on lives in `SearchState`, which crosses continue-as-new together
 * with the config resolved at the first run.
 */
export async function nasSearch(input: unknown, carried?: CarriedState): Promise<SearchResult> {
  // Carried state is trusted (its config was resolved by an earlier run), so only continue-as-new may pass it.
  if (carried !== undefined && !workflowInfo().continuedFromExecutionRunId) {
    throw ApplicationFailure.nonRetryable('nasSearch takes one argument, the search config; the second is passed only by continue-as-new', 'BadInput');
  }
  let paused = carried?.paused ?? false;
  let stopRequested = carried?.stopRequested ?? false;
  const runs = carried?.runs ?? 0;
  const hints: string[] = carried?.hints ?? [];
  // Signals may arrive while the config is being resolved; they only set flags until then.
  setHandler(pauseSignal, () => void (paused = true));
  setHandler(resumeSignal, () => void (paused = false));
  setHandler(stopSignal, () => void (stopRequested = true));
  // A signal is in the history before this runs, so a bad hint can only be left out (the client refuses
  // it before sending); the pending ones are capped because they cross continue-as-new.
  setHandler(steerSignal, (hint) => {
    if (typeof hint !== 'string' || !hint.trim()) return;
    if (hints.length >= MAX_PENDING_HINTS) return void log.warn('steering hint dropped: too many waiting for the Navigator', { pending: hints.length });
    hints.push(hint.trim().slice(0, MAX_HINT_CHARS));
  });
  // Registered before the first await too: a query sent right after the start may reach the first
  // workflow task, when the config is still being resolved. Registering makes no command, so old
  // histories replay unchanged.
  let progress = (): SearchProgress => startingProgress(input, { paused, stopRequested, runs });
  setHandler(progressQuery, () => progress());

  const resolved = carried?.config ?? (await resolveConfig(input));
  // Asked once, at the first run and only when the config wants it: histories without it replay unchanged.
  const warm = !carried && resolved.warmStart ? await warmStart({ ...resolved, warmStart: resolved.warmStart }) : undefined;
  // The seeds join the config that crosses continue-as-new; the memo keeps the config as resolved.
  const config = warm ? withSeeds(resolved, warm.architectures) : resolved;
  const engine = createEngine(config);
  let state = carried ? unpackState(carried) : engine.init();
  let inFlight = 0;
  let llmInFlight = false;
  let finished: StopReason | undefined;
  const takesHints = Object.keys(config.llm).length > 0;
  if (!takesHints && hints.length > 0) log.warn('steering hints ignored: the strategy talks to no LLM', { strategy: config.strategy.name });

  const evaluate = evaluator(config);
  const io: SearchIo = {
    ...(takesHints ? { llm: llmPort(config, (busy) => (llmInFlight = busy)) } : {}),
    takeHints: () => hints.splice(0),
  };
  // Handlers may change the budget while an activity is awaited; a state
  // computed across that await must not undo it (budgets only grow).
  const adopt = (next: SearchState): SearchState => ({ ...next, budget: Math.max(next.budget, state.budget) });

  const stats = (s: SearchState) => engine.report(s);
  const status = (): SearchStatus =>
    finished ? 'completed' : stopRequested ? 'stopping' : paused ? 'paused' : inFlight > 0 ? 'evaluating' : llmInFlight ? 'asking the LLM' : 'running';
  progress = () => {
    const top = best(state);
    return {
      status: status(),
      space: config.space,
      dataset: config.dataset,
      strategy: config.strategy.name,
      evaluator: config.evaluation.evaluator,
      iteration: state.iteration,
      evaluated: state.evaluated.length,
      budget: state.budget,
      inFlight,
      failed: state.failed.length,
      runs,
      ...(top ? { best: { arch: top.arch, valAcc: top.valAcc, ...top.cost } } : {}),
      topK: topK(state, config.topK).map((e) => ({ arch: e.arch, valAcc: e.valAcc })),
      pareto: paretoFronts(state),
      ...(stats(state) ? { stats: stats(state) } : {}),
      ...(finished ? { stopReason: finished } : {}),
    };
  };
  setHandler(
    extendBudgetUpdate,
    (extra) => {
      state = { ...state, budget: state.budget + extra, exhausted: false };
      return state.budget;
    },
    {
      validator: (extra) => {
        if (!Number.isInteger(extra) || extra < 1) {
          throw ApplicationFailure.nonRetryable(`extendBudget: expected a positive whole number of evaluations to add, got ${String(extra)}`, 'BadUpdate');
        }
        if (state.budget + extra > MAX_BUDGET) {
          throw ApplicationFailure.nonRetryable(`extendBudget: the budget would be ${state.budget + extra}, above the limit of ${MAX_BUDGET}; add at most ${MAX_BUDGET - state.budget}`, 'BadUpdate');
        }
      },
    },
  );

  if (runs === 0) {
    upsertSearchAttributes(identityAttributes(config));
    upsertMemo({ name: config.name ?? null, config: resolved, ...(warm ? { warmStart: warm } : {}) } satisfies SearchMemo);
  }

  for (;;) {
    finished = engine.stopReason(state) ?? (stopRequested ? 'stopped' : undefined);
    if (finished) break;
    if (paused) {
      log.info('search paused', { evaluated: state.evaluated.length });
      await condition(() => !paused || stopRequested);
      continue;
    }

    const proposed = await strategyStep(() => engine.propose(state, io));
    state = adopt(proposed.state);
    if (proposed.candidates.length === 0) continue;

    inFlight = proposed.candidates.length;
    const outcomes = await Promise.all(
      proposed.candidates.map((c) =>
        evaluate(c).then(
          (result): Outcome => ({ candidate: c, result }),
          (err: unknown): Outcome => ({ candidate: c, error: evaluationFailure(err, c) }),
        ),
      ),
    );
    inFlight = 0;
    const recordedBefore = state.evaluated.length;
    state = record(engine, state, outcomes);
    upsertSearchAttributes(progressAttributes(state.evaluated.length, best(state)?.valAcc));
    log.info('iteration done', { iteration: state.iteration, evaluated: state.evaluated.length, best: best(state)?.valAcc });

    const goesOn = (): boolean => engine.stopReason(state) === undefined && !stopRequested;
    if (goesOn()) state = adopt(await strategyStep(() => engine.observe(state, state.evaluated.slice(recordedBefore), io)));

    if (shouldContinueAsNew(config) && goesOn()) {
      await condition(allHandlersFinished);
      // Temporal does not carry an upserted memo across continue-as-new: the next run gets it (config,
      // warm start) here. Behind a patch, as histories recorded before continued without it.
      const memo = workflowInfo().memo;
      const next = patched('memo-across-continue-as-new') && memo ? makeContinueAsNewFunc<typeof nasSearch>({ memo }) : continueAsNew<typeof nasSearch>;
      // Packed, as the list of evaluations grows with the search and the input is one payload (2 MB at most).
      const carriedState = packState(state);
      if (!carriedState.packed) log.warn('evaluations carried unpacked: the packed columns would not give them back exactly', { evaluated: state.evaluated.length });
      return next(input, { config, ...carriedState, paused, stopRequested, runs: runs + 1, hints });
    }
  }
  // A stop with budget left still reports what was found.
  return engine.summarize(state, finished);
}

type Outcome = { candidate: Candidate; result: EvalResult } | { candidate: Candidate; error: Error };

/** Resolves the raw input once, as a local activity: the registries are worker code, and the answer lands in history. */
function resolveConfig(input: unknown): Promise<SearchConfig> {
  const { resolveConfig: resolve } = proxyLocalActivities<ConfigActivities>({
    startToCloseTimeout: '1m',
    retry: backoff(3, '1s', '10s'),
  });
  return surfaceFailures(resolve)(input);
}

/** One candidate's evaluation on the eval queue; the request carries the evaluator's name and options. */
function evaluator(config: SearchConfig): (c: Candidate) => Promise<EvalResult> {
  const { evaluate } = proxyActivities<EvalActivities>({
    taskQueue: config.evaluation.taskQueue,
    startToCloseTimeout: config.evaluation.startToCloseTimeout as `${number}s`,
    heartbeatTimeout: config.evaluation.heartbeatTimeout as `${number}s`,
    retry: backoff(config.evaluation.maximumAttempts, '1s', '1m'),
  });
  const { constraint } = config;
  return (c) =>
    evaluate({
      evaluator: config.evaluation.evaluator,
      options: config.evaluation.options,
      space: config.space,
      dataset: config.dataset,
      arch: c.arch,
      ...(constraint?.metric === 'latency' && constraint.device ? { latencyDevice: constraint.device } : {}),
      ...(config.evaluation.costEvaluator ? { costEvaluator: config.evaluation.costEvaluator, costOptions: config.evaluation.costOptions ?? {} } : {}),
      ...(config.evaluation.latencyFrom ? { latencyFrom: config.evaluation.latencyFrom } : {}),
    });
}

/** The strategy's LLM port: the `llmChat` activity; `busy` tells `progress` a call is out. */
function llmPort(config: SearchConfig, busy: (calling: boolean) => void): LlmPort {
  const { llmCalls } = config;
  const chat = llmFailures(
    proxyActivities<LlmActivities>({
      ...(llmCalls.taskQueue ? { taskQueue: llmCalls.taskQueue } : {}),
      startToCloseTimeout: llmCalls.startToCloseTimeout as `${number}m`,
      heartbeatTimeout: llmCalls.heartbeatTimeout as `${number}s`,
      retry: backoff(llmCalls.maximumAttempts, '2s', '2m'),
    }).llmChat,
  );
  return async (call) => {
    busy(true);
    try {
      return await chat(call);
    } finally {
      busy(false);
    }
  };
}

function record(engine: SearchEngine, state: SearchState, outcomes: Outcome[]): SearchState {
  const fatal = outcomes.find((o): o is { candidate: Candidate; error: Error } => 'error' in o && isFatal(o.error));
  if (fatal) throw fatal.error;
  const ok = outcomes.filter((o): o is { candidate: Candidate; result: EvalResult } => 'result' in o);
  const failed = outcomes.filter((o): o is { candidate: Candidate; error: Error } => 'error' in o);
  for (const f of failed) log.warn('evaluation failed after retries', { arch: f.candidate.arch, error: f.error.message });
  state = engine.recordFailures(state, failed.map((f) => ({ candidate: f.candidate, error: f.error.message })));
  return engine.record(state, ok.map((o) => o.candidate), ok.map((o) => o.result));
}

function shouldContinueAsNew(config: SearchConfig): boolean {
  const info = workflowInfo();
  if (info.continueAsNewSuggested) return true;
  return config.continueAsNewAfterEvents !== undefined && info.historyLength >= config.continueAsNewAfterEvents;
}
