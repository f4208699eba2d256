import { defaultPayloadConverter } from '@temporalio/common';
import { optionalTsToDate } from '@temporalio/common/lib/time';
import type { temporal } from '@temporalio/proto';
import type { ChatResponse, LlmCall } from '../llm/types';
import { meetsConstraint } from '../search/constraint';
import { unpackState } from '../search/pack';
import type { SearchResult } from '../search/summary';
import type { EvalResult, SearchConfig } from '../search/types';
import type { CarriedState } from '../workflows/api';
import type { ReportEvaluation, SearchReportData } from './types';

/**
 * Reads a search's report data out of its workflow histories: the result,
 * the config, every LLM exchange and failure, the Navigator's strategies and
 * the steering hints, each placed by time and by evaluations done. The
 * history is the one record of what the search did, so nothing else is read.
 */

type Event = temporal.api.history.v1.IHistoryEvent;
/** An evaluation of the last run: `batch` is the workflow task that scheduled it, `order` its place in the batch. */
type LastRunEvaluation = { arch: string; result: EvalResult; batch: string; order: number };
type Payloads = temporal.api.common.v1.IPayloads | null | undefined;

export interface RunHistory {
  runId: string;
  events: readonly Event[];
}

function decode<T>(payloads: Payloads, index = 0): T | undefined {
  const payload = payloads?.payloads?.[index];
  return payload ? defaultPayloadConverter.fromPayload<T>(payload) : undefined;
}

const timeOf = (e: Event): string => optionalTsToDate(e.eventTime)?.toISOString() ?? '';

/** `runs` oldest first: the first run, then each run it continued as. */
export function reportFromHistories(workflowId: string, runs: readonly RunHistory[]): SearchReportData {
  const data: SearchReportData = {
    workflowId,
    runIds: runs.map((r) => r.runId),
    status: 'running',
    evaluations: [],
    failedEvaluations: [],
    llm: [],
    llmFailures: [],
    strategies: [],
    hints: [],
  };
  let evaluated = 0;
  let carried: CarriedState | undefined;
  // Evaluations of the last run, for a search that has no result yet.
  let lastRun: LastRunEvaluation[] = [];

  for (const [runIndex, run] of runs.entries()) {
    const scheduled = new Map<string, { type: string; input: unknown; batch: string; order: number }>();
    lastRun = [];
    for (const e of run.events) {
      const at = timeOf(e);
      const started = e.workflowExecutionStartedEventAttributes;
      if (started) {
        if (runIndex === 0) {
          data.input = decode(started.input);
          data.startedAt = at;
        }
        carried = decode<CarriedState>(started.input, 1) ?? carried;
        // The memo's config (as resolved, before any warm-start seeds) wins over the carried one.
        if (carried) data.config ??= carried.config;
      }
      const memo = e.workflowPropertiesModifiedEventAttributes?.upsertedMemo?.fields?.config;
      if (memo) data.config = defaultPayloadConverter.fromPayload<SearchConfig>(memo);

      const s = e.activityTaskScheduledEventAttributes;
      if (s) {
        scheduled.set(String(e.eventId), { type: s.activityType?.name ?? '', input: decode(s.input), batch: String(s.workflowTaskCompletedEventId), order: Number(e.eventId) });
      }
      const done = e.activityTaskCompletedEventAttributes;
      if (done) {
        const from = scheduled.get(String(done.scheduledEventId));
        if (from?.type === 'llmChat') {
          const call = from.input as LlmCall;
          const r = decode<ChatResponse>(done.result)!;
          data.llm.push({ at, evaluated, purpose: call.purpose, model: r.model, tokensIn: r.tokensIn, tokensOut: r.tokensOut, latencyMs: r.latencyMs });
          if (call.purpose === 'navigator') data.strategies.push({ at, evaluated, text: r.text });
        } else if (from?.type === 'evaluate') {
          evaluated++;
          lastRun.push({ arch: (from.input as { arch: string }).arch, result: decode<EvalResult>(done.result)!, batch: from.batch, order: from.order });
        }
      }
      const failure = e.activityTaskFailedEventAttributes ?? e.activityTaskTimedOutEventAttributes;
      if (failure) {
        const from = scheduled.get(String(failure.scheduledEventId));
        const error = failure.failure?.message || (e.activityTaskTimedOutEventAttributes ? 'timed out' : 'failed');
        if (from?.type === 'llmChat') data.llmFailures.push({ at, evaluated, purpose: (from.input as LlmCall).purpose, error });
        else if (from?.type === 'evaluate') data.failedEvaluations.push({ arch: (from.input as { arch: string }).arch, error });
      }
      const signal = e.workflowExecutionSignaledEventAttributes;
      if (signal?.signalName === 'steer') {
        // As sent; the workflow drops blank ones.
        const hint = decode<unknown>(signal.input);
        if (typeof hint === 'string' && hint.trim()) data.hints.push({ at, evaluated, text: hint.trim() });
      }
      closeEvent(data, e, at);
    }
  }
  // A long search's result lists only its last evaluations; the rest are read from the histories.
  data.evaluations = data.result && !data.result.historyTruncated ? data.result.history : unfinished(carried, lastRun, data.config, data.result);
  return data;
}

function closeEvent(data: SearchReportData, e: Event, at: string): void {
  const completed = e.workflowExecutionCompletedEventAttributes;
  if (completed) {
    data.status = 'completed';
    const result = decode<SearchResult>(completed.result);
    if (result) data.result = result;
  } else if (e.workflowExecutionFailedEventAttributes) {
    data.status = 'failed';
    data.closeReason = e.workflowExecutionFailedEventAttributes.failure?.message ?? undefined;
  } else if (e.workflowExecutionTerminatedEventAttributes) {
    data.status = 'terminated';
    data.closeReason = e.workflowExecutionTerminatedEventAttributes.reason ?? undefined;
  } else if (e.workflowExecutionCanceledEventAttributes) {
    data.status = 'canceled';
  } else if (e.workflowExecutionTimedOutEventAttributes) {
    data.status = 'timed out';
  } else {
    return;
  }
  data.closedAt = at;
  if (data.closeReason === undefined) delete data.closeReason;
}

/**
 * The evaluations of a search without a result (running, failed, terminated),
 * or whose result lists only the last ones: those carried into its last run,
 * with their origins, then the last run's own, whose origins only the
 * workflow's state knew, except those the result lists. One batch per
 * workflow task that scheduled it, in the order it was proposed (as the
 * search records a batch), not the order its evaluations finished.
 */
function unfinished(
  carried: CarriedState | undefined,
  lastRun: readonly LastRunEvaluation[],
  config: SearchConfig | undefined,
  result?: SearchResult,
): ReportEvaluation[] {
  const before: ReportEvaluation[] = carried ? unpackState(carried).evaluated : [];
  const proposed = lastRun.slice().sort((a, b) => a.order - b.order);
  const batches = [...new Set(proposed.map((r) => r.batch))];
  const firstIteration = (carried?.state.iteration ?? 0) + 1;
  const all = before.concat(
    proposed.map(({ arch, result, batch }) => ({
      arch,
      key: arch,
      origin: 'unknown',
      valAcc: result.valAcc,
      ...(result.testAcc !== undefined ? { testAcc: result.testAcc } : {}),
      cost: result.cost,
      feasible: meetsConstraint(result.cost, config?.constraint),
      iteration: firstIteration + batches.indexOf(batch),
    })),
  );
  // The result's evaluations are the last of these, as the search recorded them.
  if (result && all.length === result.evaluated && result.history.length <= all.length) all.splice(all.length - result.history.length, result.history.length, ...result.history);
  return all;
}
