import { ApplicationFailure, log, setHandler } from '@temporalio/workflow';
import { MAX_BUDGET, MAX_HINT_CHARS, MAX_PENDING_HINTS } from '../search/limits';
import { extendBudgetUpdate, pauseSignal, progressQuery, resumeSignal, steerSignal, stopSignal, type SearchProgress } from './api';
import type { Controls, SearchRun } from './run';

/**
 * What a running search answers to: the signals, the `progress` query and the
 * `extendBudget` update. Registering a handler makes no command, but where
 * `nasSearch` registers each, relative to its awaits, decides what a client
 * sent early gets, and the order of the signals decides how ones that arrived
 * together are delivered: keep both as they are.
 */

/**
 * The pause, resume, stop and steer signals. They only set `controls`, which
 * the loop reads between its awaits (and tell `changed`, for the Web UI). Signals that arrived before this call
 * are delivered as each handler is registered, in this order (not the order
 * they were sent), as the recorded histories were.
 */
export function listenForControls(controls: Controls, changed: () => void): void {
  const set = (flag: 'paused' | 'stopRequested', value: boolean) => () => {
    controls[flag] = value;
    changed();
  };
  setHandler(pauseSignal, set('paused', true));
  setHandler(resumeSignal, set('paused', false));
  setHandler(stopSignal, set('stopRequested', true));
  setHandler(steerSignal, (hint) => queueHint(controls.hints, hint));
}

/**
 * A steering hint, queued for the strategy. A signal is in the history before
 * this runs, so a bad hint can only be left out (the client refuses it before
 * sending); the queue is capped because it crosses continue-as-new.
 */
function queueHint(hints: string[], hint: unknown): void {
  if (typeof hint !== 'string' || !hint.trim()) return;
  if (hints.length >= MAX_PENDING_HINTS) return void log.warn('steering hint dropped: too many waiting for the Navigator', { pending: hints.length });
  hints.push(hint.trim().slice(0, MAX_HINT_CHARS));
}

/**
 * The `progress` query, answered by `project`. Registered again once the
 * config is resolved: the later registration replaces the earlier one.
 */
export function answerProgress(project: () => SearchProgress): void {
  setHandler(progressQuery, () => project());
}

/**
 * The `extendBudget` update: grows the budget of `run.state` and answers the
 * new budget. Registered only once there is a budget to grow; its validator
 * refuses a bad request before anything is written to the history.
 */
export function acceptBudgetExtensions(run: SearchRun, changed: () => void): void {
  setHandler(
    extendBudgetUpdate,
    (extra) => {
      // More room gives the strategies another try at finding architectures they had run out of.
      run.state = { ...run.state, budget: run.state.budget + extra, exhausted: false };
      changed();
      return run.state.budget;
    },
    { validator: (extra) => checkExtension(run.state.budget, extra) },
  );
}

/** Refuses (non-retryable, type BadUpdate) anything but a positive whole number that keeps the budget within MAX_BUDGET. */
function checkExtension(budget: number, extra: number): void {
  // Typed a number, but the client's payload is only JSON: check it is one.
  if (!Number.isInteger(extra) || extra < 1) {
    throw ApplicationFailure.nonRetryable(`extendBudget: expected a positive whole number of evaluations to add, got ${String(extra)}`, 'BadUpdate');
  }
  const grown = budget + extra;
  if (grown > MAX_BUDGET) {
    throw ApplicationFailure.nonRetryable(`extendBudget: the budget would be ${grown}, above the limit of ${MAX_BUDGET}; add at most ${MAX_BUDGET - budget}`, 'BadUpdate');
  }
}
