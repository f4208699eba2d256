import { Client, WorkflowHandle, type WorkflowHandleWithFirstExecutionRunId } from '@temporalio/client';
import { TypedSearchAttributes } from '@temporalio/common';
import { prepared } from '../config/prepared';
import { EVALUATORS } from '../evaluators/registry';
import type { ParetoPoint, SearchResult } from '../search/summary';
import { llmFailureText, searchDetails, searchSummary } from '../search/describe';
import { CONTROL_TASK_QUEUE } from '../search/task-queues';
import type { RankingTally, SearchConfig, StopReason } from '../search/types';
import { progressQuery, type SearchProgress } from '../workflows/api';
import { identityAttributes } from '../workflows/search-attributes';

/**
 * Client-side helpers used by the scripts, the main job and the tests.
 * Configs are validated here before anything is started, so a bad config
 * never leaves a half-started search behind.
 */
export interface StartOptions {
  workflowId?: string;
  taskQueue?: string;
  /** Fails a workflow task after this long instead of the default 10 s (tests shorten it). */
  workflowTaskTimeout?: string;
}

export function defaultWorkflowId(config: SearchConfig, now = new Date()): string {
  const stamp = now.toISOString().replace(/[-:]/g, '').replace(/\..*$/, '');
  return `nas-${config.space}-${config.dataset}-${config.strategy.name}-s${config.seed}-${stamp}`;
}

/** Starts a search from a PreparedConfig (resolved by the caller, not again here) or raw JSON (resolved here). */
export async function startSearch(
  client: Client,
  search: unknown,
  options: StartOptions = {},
): Promise<WorkflowHandleWithFirstExecutionRunId<(input: unknown) => Promise<SearchResult>>> {
  const { raw, resolved: config } = prepared(search);
  return client.workflow.start('nasSearch', {
    taskQueue: options.taskQueue ?? CONTROL_TASK_QUEUE,
    workflowId: options.workflowId ?? defaultWorkflowId(config),
    // The raw config travels, so what the user wrote is what the history shows.
    args: [raw],
    typedSearchAttributes: new TypedSearchAttributes(identityAttributes(config)),
    // What the Web UI shows above the history; the workflow keeps its current details up to date.
    staticSummary: searchSummary(config),
    staticDetails: searchDetails(config),
    ...(options.workflowTaskTimeout ? { workflowTaskTimeout: options.workflowTaskTimeout as `${number}s` } : {}),
  });
}

/** Polls `progress` until the search closes; returns its result. */
export async function watchSearch(
  handle: WorkflowHandle,
  onProgress: (p: SearchProgress) => void,
  intervalMs = 500,
): Promise<SearchResult> {
  const result = handle.result() as Promise<SearchResult>;
  let done = false;
  void result.finally(() => {
    done = true;
  }).catch(() => {});
  while (!done) {
    try {
      onProgress(await handle.query(progressQuery));
    } catch {
      // Between continue-as-new runs, or closed: the result settles the loop.
    }
    await Promise.race([result.catch(() => {}), new Promise((r) => setTimeout(r, intervalMs))]);
  }
  return result;
}

/** What an evaluator's accuracy is ("validation accuracy", "predicted top-1 ..."), for people. */
function accuracyLabel(evaluator: string): string {
  return EVALUATORS.has(evaluator) ? EVALUATORS.get(evaluator).accuracyLabel : 'accuracy';
}

/** An evaluator's accuracy as people read it: "76.12%", or "279.24" for a score that is no percentage (naswot). */
export function formatScore(evaluator: string, value: number): string {
  return `${value.toFixed(2)}${(EVALUATORS.has(evaluator) ? EVALUATORS.get(evaluator).unit : undefined) ?? '%'}`;
}

/** What the ranking stage did, in one line: the evaluations it spared and what its scores cost. */
export function rankingLine(t: RankingTally): string {
  const fallbacks = t.fallbacks > 0 ? `; ${t.fallbacks} ranking(s) failed and kept the strategy's order (last: ${t.lastFailure ?? '?'})` : '';
  return `ranking: ${t.scored} candidates scored in ${t.pools} pools, ${t.screened} screened out (not evaluated), ranker device time ${(t.ms / 1000).toFixed(1)} s${fallbacks}`;
}

/** How a search ended, in words, for its result's first line. */
const ENDED: Record<StopReason, string> = {
  budget: 'finished',
  stopped: 'stopped on request',
  target: 'reached its target accuracy',
  exhausted: 'ran out of new architectures to propose',
  iterations: "reached its strategy's iteration limit",
  failing: 'stopped after too many failed evaluations in a row',
};

export function formatResult(r: SearchResult): string {
  const lines = [
    `search ${ENDED[r.stopReason] ?? `ended (${r.stopReason})`}: ${r.evaluated} architectures evaluated in ${r.iterations} iterations`,
    `space ${r.space}, dataset ${r.dataset}, strategy ${r.strategy}, evaluator ${r.evaluator}, seed ${r.seed}`,
  ];
  const llm = llmFailureText(r.stats);
  // Said early: such a result must not read as the strategy's.
  if (llm.contribution) lines.push(llm.contribution);
  if (r.best) {
    const b = r.best;
    lines.push(
      `best architecture: ${b.arch}`,
      `  ${accuracyLabel(r.evaluator)} ${formatScore(r.evaluator, b.valAcc)}` + (b.testAcc !== undefined ? `, test accuracy ${b.testAcc.toFixed(2)}%` : ''),
      `  cost ${b.cost.flopsM.toFixed(2)} MFLOPs, ${b.cost.paramsM.toFixed(3)} M params` +
        (b.cost.latencyMs !== undefined ? `, ${b.cost.latencyMs.toFixed(2)} ms` : ''),
      // The curve's last point is the best's: the history may no longer hold it.
      `  found after ${r.trajectory.at(-1)?.evaluated ?? r.history.findIndex((e) => e.key === b.key) + 1} evaluations`,
    );
  } else {
    lines.push('no architecture met the constraint');
  }
  const unit = { flops: 'MFLOPs', params: 'M params', latency: 'ms' } as const;
  for (const [metric, front] of Object.entries(r.pareto) as [keyof typeof unit, ParetoPoint[]][]) {
    const first = front[0]!;
    const last = front[front.length - 1]!;
    lines.push(
      `Pareto front, accuracy vs ${unit[metric]}: ${front.length} architecture(s), ` +
        `${formatScore(r.evaluator, first.valAcc)} at ${first.cost.toFixed(2)} to ${formatScore(r.evaluator, last.valAcc)} at ${last.cost.toFixed(2)}`,
    );
  }
  if (r.ranking) lines.push(rankingLine(r.ranking));
  if (llm.failures) lines.push(`LLM failures ${llm.failures}`);
  const failed = r.failedTotal ?? r.failed.length;
  if (failed > 0) lines.push(`${failed} candidate(s) failed to evaluate`);
  if (r.historyTruncated) lines.push(`the result lists the last ${r.history.length} evaluations; the search log has all ${r.evaluated}`);
  return lines.join('\n');
}
