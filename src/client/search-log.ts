import type { Client } from '@temporalio/client';
import type { temporal } from '@temporalio/proto';
import type { LlmCall } from '../llm/types';
import type { Cost } from '../spaces/types';
import { fetchRuns, readRun, type ActivityFailure, type ActivityPlace, type HistoryRecord } from './history';

/**
 * The search log: every LLM exchange (prompt, answer, model, tokens, latency)
 * and every evaluation, read back from the workflow history of all of a
 * search's runs by the one history reader (./history.ts), as the report
 * reads it. Nothing is logged elsewhere, so the log cannot disagree with what
 * the search actually did. It is where a long search's evaluations are all
 * listed: its result keeps only the last ones (`historyTruncated`).
 *
 * Entry kinds, one per activity that closed, in the order they closed:
 * - `llm`: an LLM exchange that completed.
 * - `llm-failed`: an LLM call that failed for good (`outcome` "failed" or
 *   "timed out", after `attempts` attempts); the search rode it out or stopped.
 * - `evaluation`: an evaluation that completed, with its result.
 * - `evaluation-failed`: an evaluation that failed for good, as `llm-failed`;
 *   the candidate was dropped (or, not retryable, the search stopped).
 * An entry that completed on a retry says so with `attempts` (above 1) and
 * `lastFailure`, the failure of the attempt before; one that completed at
 * once has neither.
 */
export type LogEntry =
  | ({ kind: 'llm'; run: string; purpose: LlmCall['purpose']; model: string; tokensIn: number; tokensOut: number; latencyMs: number; messages: LlmCall['request']['messages']; answer: string; reasoning?: string } & Retried)
  | ({ kind: 'llm-failed'; run: string; purpose: LlmCall['purpose']; model: string; messages: LlmCall['request']['messages'] } & Failed)
  | ({ kind: 'evaluation'; run: string; arch: string; valAcc: number; testAcc?: number; cost: Cost; device?: string; ms?: number; metrics?: Record<string, number>; log?: string } & Retried)
  | ({ kind: 'evaluation-failed'; run: string; arch: string } & Failed);

/** On entries that completed: present only when it took more than one attempt. */
type Retried = { attempts?: number; lastFailure?: string };
type Failed = { error: string; outcome: ActivityFailure['outcome']; attempts: number; timeoutType?: string };

type Event = temporal.api.history.v1.IHistoryEvent;

const retried = (r: ActivityPlace): Retried => (r.attempts > 1 ? { attempts: r.attempts, ...(r.lastFailure ? { lastFailure: r.lastFailure } : {}) } : {});
const failed = (r: ActivityPlace & ActivityFailure): Failed => ({ error: r.error, outcome: r.outcome, attempts: r.attempts, ...(r.timeoutType ? { timeoutType: r.timeoutType } : {}) });

/** The log entry of a history record; undefined for records the log leaves to the report (hints, signals, the run's start and end). */
export function logEntry(r: HistoryRecord): LogEntry | undefined {
  const { run } = r;
  switch (r.kind) {
    case 'llm': {
      const { call, response } = r;
      return {
        kind: 'llm', run, purpose: call.purpose, model: response.model, tokensIn: response.tokensIn, tokensOut: response.tokensOut, latencyMs: response.latencyMs,
        messages: call.request.messages, answer: response.text, ...(response.reasoning ? { reasoning: response.reasoning } : {}), ...retried(r),
      };
    }
    case 'llm-failed':
      return { kind: 'llm-failed', run, purpose: r.call.purpose, model: r.call.llm.model, messages: r.call.request.messages, ...failed(r) };
    case 'evaluation': {
      const res = r.result;
      return {
        kind: 'evaluation', run, arch: r.request.arch, valAcc: res.valAcc,
        ...(res.testAcc !== undefined ? { testAcc: res.testAcc } : {}),
        cost: res.cost,
        ...(res.device ? { device: res.device } : {}),
        ...(res.ms !== undefined ? { ms: res.ms } : {}),
        ...(res.metrics ? { metrics: res.metrics } : {}),
        ...(res.log ? { log: res.log } : {}),
        ...retried(r),
      };
    }
    case 'evaluation-failed':
      return { kind: 'evaluation-failed', run, arch: r.request.arch, ...failed(r) };
    default:
      return undefined;
  }
}

export function logFromHistory(run: string, events: readonly Event[]): LogEntry[] {
  return readRun(run, events).flatMap((r) => logEntry(r) ?? []);
}

/** The whole log of a search, across continue-as-new runs, oldest first. */
export async function searchLog(client: Client, workflowId: string): Promise<LogEntry[]> {
  return (await fetchRuns(client, workflowId)).flatMap((r) => logFromHistory(r.runId, r.events));
}
