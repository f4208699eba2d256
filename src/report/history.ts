import { readRuns, tallyActivities, type ActivityTally, type RunHistory } from '../client/history';
import { meetsConstraint } from '../search/constraint';
import { unpackState } from '../search/pack';
import type { SearchResult } from '../search/summary';
import type { EvalResult, SearchConfig } from '../search/types';
import type { CarriedState } from '../workflows/api';
import type { ReportEvaluation, SearchReportData } from './types';

export type { RunHistory } from '../client/history';

/**
 * Reads a search's report data out of its workflow histories, through the
 * one history reader (src/client/history.ts) that the search log reads them
 * with too: the result, the config, every LLM exchange and failure (timed
 * out or failed), every failed evaluation, the Navigator's strategies and
 * the steering hints, each placed by time and by evaluations done. The
 * history is the one record of what the search did, so nothing else is read.
 */

/** An evaluation of the last run: `batch` is the workflow task that scheduled it, `order` its place in the batch. */
type LastRunEvaluation = { arch: string; result: EvalResult; batch: number; order: number };

/** The report's data read from a history, which always knows how its activities ended. */
export type GatheredReport = SearchReportData & { activities: { evaluations: ActivityTally; llm: ActivityTally } };

/** `runs` oldest first: the first run, then each run it continued as. */
export function reportFromHistories(workflowId: string, runs: readonly RunHistory[]): GatheredReport {
  const records = readRuns(runs);
  const data: GatheredReport = {
    workflowId,
    runIds: runs.map((r) => r.runId),
    status: 'running',
    evaluations: [],
    failedEvaluations: [],
    llm: [],
    llmFailures: [],
    strategies: [],
    hints: [],
    activities: tallyActivities(records),
  };
  const firstRun = runs[0]?.runId;
  let evaluated = 0;
  let carried: CarriedState | undefined;
  // Evaluations of the last run, for a search that has no result yet.
  let lastRun: LastRunEvaluation[] = [];

  for (const r of records) {
    const { at } = r;
    switch (r.kind) {
      case 'started':
        lastRun = [];
        if (r.run === firstRun) {
          data.input = r.input;
          data.startedAt = at;
        }
        carried = r.carried ?? carried;
        // The memo's config (as resolved, before any warm-start seeds) wins over the carried one.
        if (carried) data.config ??= carried.config;
        break;
      case 'config':
        data.config = r.config;
        break;
      case 'llm': {
        const { call, response } = r;
        data.llm.push({
          at, evaluated, purpose: call.purpose, model: response.model, tokensIn: response.tokensIn, tokensOut: response.tokensOut, latencyMs: response.latencyMs,
          messages: call.request.messages, answer: response.text, ...(response.reasoning ? { reasoning: response.reasoning } : {}),
        });
        if (call.purpose === 'navigator') data.strategies.push({ at, evaluated, text: response.text });
        break;
      }
      case 'llm-failed':
        data.llmFailures.push({ at, evaluated, purpose: r.call.purpose, model: r.call.llm.model, error: r.error, messages: r.call.request.messages });
        break;
      case 'evaluation':
        evaluated++;
        lastRun.push({ arch: r.request.arch, result: r.result, batch: r.workflowTask, order: r.scheduledEventId });
        break;
      case 'evaluation-failed':
        data.failedEvaluations.push({ arch: r.request.arch, error: r.error });
        break;
      case 'hint':
        data.hints.push({ at, evaluated, text: r.text });
        break;
      case 'closed':
        data.status = r.status;
        data.closedAt = at;
        if (r.result) data.result = r.result;
        if (r.reason !== undefined) data.closeReason = r.reason;
        break;
    }
  }
  // A long search's result lists only its last evaluations; the rest are read from the histories.
  data.evaluations = data.result && !data.result.historyTruncated ? data.result.history : unfinished(carried, lastRun, data.config, data.result);
  return data;
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
