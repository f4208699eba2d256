import {
  allHandlersFinished,
  ApplicationFailure,
  condition,
  continueAsNew,
  log,
  makeContinueAsNewFunc,
  patched,
  setCurrentDetails,
  upsertMemo,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { WarmStart } from '../activities/warm-start';
import { searchSummary } from '../search/describe';
import { packState, unpackState } from '../search/pack';
import { createEngine, type SearchIo } from '../search/search';
import { best, type SearchResult } from '../search/summary';
import type { Candidate, EvalResult, SearchConfig, SearchState } from '../search/types';
import { llmPort, resolveConfig, scoringPort } from './activity-calls';
import { batchEvaluator, type Outcome } from './evaluations';
import type { CarriedState, SearchMemo } from './api';
import { isFatal, strategyStep } from './failures';
import { currentDetails } from './details';
import { acceptBudgetExtensions, answerProgress, listenForControls } from './handlers';
import { projectProgress } from './progress';
import { pauseMarker } from './paused';
import type { Controls, SearchRun } from './run';
import { identityAttributes, progressAttributes } from './search-attributes';
import { startingProgress } from './starting';
import { warmStart, withSeeds } from './warm-start';

/**
 * A neural architecture search as one durable workflow. Each iteration
 * proposes a batch (pure code, deterministic from the seed and the LLM's
 * recorded answers), evaluates it in parallel on the eval task queue, records
 * the results and lets the strategy observe them. Everything a search needs
 * to go on lives in `SearchState`, which crosses continue-as-new together
 * with the config resolved at the first run.
 *
 * Every await of the search is in this function, so the order of its
 * commands reads here: recorded histories replay only if it stays the same.
 */
export async function nasSearch(input: unknown, carried?: CarriedState): Promise<SearchResult> {
  // Carried state is trusted (its config was resolved by an earlier run), so only continue-as-new may pass it.
  if (carried !== undefined && !workflowInfo().continuedFromExecutionRunId) {
    throw ApplicationFailure.nonRetryable('nasSearch takes one argument, the search config; the second is passed only by continue-as-new', 'BadInput');
  }
  const controls: Controls = { paused: carried?.paused ?? false, stopRequested: carried?.stopRequested ?? false, hints: carried?.hints ?? [] };
  const runs = carried?.runs ?? 0;
  // Before the first await: a signal or a query may reach the first workflow task, while the config is
  // still being resolved. Signals only set flags until then; the query answers what the raw input says.
  // The Web UI's current details follow every change a person could see; signals change them too.
  let showDetails = (): void => {};
  listenForControls(controls, () => showDetails());
  answerProgress(() => startingProgress(input, { paused: controls.paused, stopRequested: controls.stopRequested, runs }));

  const resolved = carried?.config ?? (await resolveConfig(input));
  // Asked once, at the first run and only when the config wants it: histories without it replay unchanged.
  const warm = !carried && resolved.warmStart ? await warmStart({ ...resolved, warmStart: resolved.warmStart }) : undefined;
  // The seeds join the config that crosses continue-as-new; the memo keeps the config as resolved.
  const config = warm ? withSeeds(resolved, warm.architectures) : resolved;
  const engine = createEngine(config);
  const state = carried ? unpackState(carried) : engine.init();
  const run: SearchRun = { config, engine, controls, runs, state, inFlight: 0, llmInFlight: false, finished: undefined };
  const evaluate = batchEvaluator(config);
  const ports = strategyPorts(run, () => showDetails());
  answerProgress(() => projectProgress(run));
  const summary = searchSummary(config);
  showDetails = () => setCurrentDetails(currentDetails(projectProgress(run), summary, workflowInfo().workflowId));
  acceptBudgetExtensions(run, showDetails);
  if (runs === 0) describeSearch(config, resolved, warm);
  const markPaused = pauseMarker();

  for (;;) {
    run.finished = engine.stopReason(run.state) ?? (controls.stopRequested ? 'stopped' : undefined);
    showDetails();
    if (run.finished) break;
    if (controls.paused) {
      log.info('search paused', { evaluated: run.state.evaluated.length });
      await markPaused(true);
      await condition(() => !controls.paused || controls.stopRequested);
      await markPaused(false);
      continue;
    }

    const proposed = await strategyStep(() => engine.propose(run.state, ports));
    run.state = keepGrownBudget(run, proposed.state);
    if (proposed.candidates.length === 0) continue;

    run.inFlight = proposed.candidates.length;
    showDetails();
    const outcomes = await evaluate(proposed.candidates);
    run.inFlight = 0;
    const recordedBefore = run.state.evaluated.length;
    recordOutcomes(run, outcomes);
    showDetails();
    if (goesOn(run)) {
      const observed = await strategyStep(() => engine.observe(run.state, run.state.evaluated.slice(recordedBefore), ports));
      run.state = keepGrownBudget(run, observed);
    }

    if (shouldContinueAsNew(config) && goesOn(run)) {
      // An update still running when the run ends would be lost with it.
      await condition(allHandlersFinished);
      return continueAsNewWith(input, run);
    }
  }
  // A stop with budget left still reports what was found.
  return engine.summarize(run.state, run.finished);
}

/** The ports the search may reach besides its state: the LLM, only when its config names one, people's hints, and a ranker's scores. */
function strategyPorts(run: SearchRun, changed: () => void): SearchIo {
  const talksToLlm = Object.keys(run.config.llm).length > 0;
  if (!talksToLlm && run.controls.hints.length > 0) log.warn('steering hints ignored: the strategy talks to no LLM', { strategy: run.config.strategy.name });
  const score = scoringPort(run.config, (busy) => {
    run.rankingInFlight = busy;
    changed();
  });
  // The proposals an LLM call helps make are the next iteration's.
  const llm = (): SearchIo['llm'] =>
    llmPort(
      run.config,
      (busy) => {
        run.llmInFlight = busy;
        changed();
      },
      () => run.state.iteration + 1,
    );
  return {
    ...(talksToLlm ? { llm: llm() } : {}),
    takeHints: () => run.controls.hints.splice(0),
    ...(score ? { score } : {}),
  };
}

/** Set once, at the first run: search attributes to find the search by, and a memo that says what it searches. */
function describeSearch(config: SearchConfig, resolved: SearchConfig, warm: WarmStart | undefined): void {
  upsertSearchAttributes(identityAttributes(config));
  upsertMemo({ name: config.name ?? null, config: resolved, ...(warm ? { warmStart: warm } : {}) } satisfies SearchMemo);
}

/**
 * `next` with the budget `extendBudget` may have grown while `next` was being
 * computed across an await: that step must not undo it (budgets only grow).
 */
function keepGrownBudget(run: SearchRun, next: SearchState): SearchState {
  return { ...next, budget: Math.max(next.budget, run.state.budget) };
}

function goesOn(run: SearchRun): boolean {
  return run.engine.stopReason(run.state) === undefined && !run.controls.stopRequested;
}

/**
 * Records a batch into `run.state` and shows it in the search attributes. A
 * failure no retry can fix ends the search; the others only drop their candidate.
 */
function recordOutcomes(run: SearchRun, outcomes: Outcome[]): void {
  const fatal = outcomes.find((o): o is { candidate: Candidate; error: Error } => 'error' in o && isFatal(o.error));
  if (fatal) throw fatal.error;
  const ok = outcomes.filter((o): o is { candidate: Candidate; result: EvalResult } => 'result' in o);
  const failed = outcomes.filter((o): o is { candidate: Candidate; error: Error } => 'error' in o);
  for (const f of failed) log.warn('evaluation failed after retries', { arch: f.candidate.arch, error: f.error.message });
  const { engine } = run;
  const withFailures = engine.recordFailures(run.state, failed.map((f) => ({ candidate: f.candidate, error: f.error.message })));
  run.state = engine.record(withFailures, ok.map((o) => o.candidate), ok.map((o) => o.result));
  upsertSearchAttributes(progressAttributes(run.state.evaluated.length, best(run.state)?.valAcc, run.state.ranking?.screened));
  log.info('iteration done', { iteration: run.state.iteration, evaluated: run.state.evaluated.length, best: best(run.state)?.valAcc });
}

/** Temporal suggests it as the history grows; a config may ask for it sooner (tests, small histories). */
function shouldContinueAsNew(config: SearchConfig): boolean {
  const info = workflowInfo();
  if (info.continueAsNewSuggested) return true;
  return config.continueAsNewAfterEvents !== undefined && info.historyLength >= config.continueAsNewAfterEvents;
}

/** Hands the search on to a fresh run with an empty history: its state, config, flags and pending hints. */
function continueAsNewWith(input: unknown, run: SearchRun): Promise<never> {
  // Temporal does not carry an upserted memo across continue-as-new: the next run gets it (config,
  // warm start) here. Behind a patch, as histories recorded before continued without it.
  const memo = workflowInfo().memo;
  const next = patched('memo-across-continue-as-new') && memo ? makeContinueAsNewFunc<typeof nasSearch>({ memo }) : continueAsNew<typeof nasSearch>;
  // Packed, as the list of evaluations grows with the search and the input is one payload (2 MB at most).
  const carriedState = packState(run.state);
  if (!carriedState.packed) log.warn('evaluations carried unpacked: the packed columns would not give them back exactly', { evaluated: run.state.evaluated.length });
  const { paused, stopRequested, hints } = run.controls;
  return next(input, { config: run.config, ...carriedState, paused, stopRequested, runs: run.runs + 1, hints });
}
