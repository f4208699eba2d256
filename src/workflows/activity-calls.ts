import { proxyActivities, proxyLocalActivities } from '@temporalio/workflow';
import type { ConfigActivities } from '../activities/config';
import type { EvalActivities } from '../activities/evaluate';
import type { LlmActivities } from '../activities/llm';
import type { LlmCall, LlmPort } from '../llm/types';
import { RankingFailed, rankerKind, type ScoreOutcome, type ScorePort } from '../search/rank';
import type { Candidate, EvalResult, SearchConfig } from '../search/types';
import { backoff, llmFailures, rankingFailures, surfaceFailures } from './failures';

/**
 * The activities a search calls, with the timeouts and retries its config
 * gives them: everything it cannot do deterministically itself.
 */

/** Resolves the raw input once, as a local activity: the registries are worker code, and the answer lands in history. */
export function resolveConfig(input: unknown): Promise<SearchConfig> {
  const { resolveConfig: resolve } = proxyLocalActivities<ConfigActivities>({
    startToCloseTimeout: '1m',
    retry: backoff(3, '1s', '10s'),
  });
  return surfaceFailures(resolve)(input);
}

/** The eval activities on the evaluation's queue, with its timeouts and retries. */
function evalActivities(config: SearchConfig) {
  return proxyActivities<EvalActivities>({
    taskQueue: config.evaluation.taskQueue,
    startToCloseTimeout: config.evaluation.startToCloseTimeout as `${number}s`,
    heartbeatTimeout: config.evaluation.heartbeatTimeout as `${number}s`,
    retry: backoff(config.evaluation.maximumAttempts, '1s', '1m'),
  });
}

/** What every evaluation request of a search carries besides the architecture. */
function requestOf(config: SearchConfig) {
  const { constraint } = config;
  return {
    evaluator: config.evaluation.evaluator,
    options: config.evaluation.options,
    space: config.space,
    dataset: config.dataset,
    ...(constraint?.metric === 'latency' && constraint.device ? { latencyDevice: constraint.device } : {}),
    ...(config.evaluation.costEvaluator ? { costEvaluator: config.evaluation.costEvaluator, costOptions: config.evaluation.costOptions ?? {} } : {}),
    ...(config.evaluation.latencyFrom ? { latencyFrom: config.evaluation.latencyFrom } : {}),
  };
}

/** One candidate's evaluation on the eval queue; the request carries the evaluator's name and options. */
export function evaluationActivity(config: SearchConfig): (c: Candidate) => Promise<EvalResult> {
  const { evaluate } = evalActivities(config);
  const common = requestOf(config);
  return (c) => evaluate.executeWithOptions({ summary: summaryOf(`evaluate ${c.arch}`) }, [{ ...common, arch: c.arch }]);
}

/**
 * An activity's summary in the Web UI's timeline ("Generator, iteration 4",
 * "evaluate |nor_conv_3x3~0|..."): one line, cut short, as the UI shows a line.
 * Metadata only: replay does not compare it, so older histories replay.
 */
export function summaryOf(text: string): string {
  const line = text.replace(/\s+/g, ' ');
  return line.length > MAX_SUMMARY ? `${line.slice(0, MAX_SUMMARY - 1)}…` : line;
}

const MAX_SUMMARY = 200;

/**
 * A whole batch in one `evaluateBatch` activity (a cheap evaluator's): one
 * outcome per candidate, in order, its result or its own failure. The
 * activity's retries cover a worker lost mid-batch; a candidate's are made
 * inside it, up to the same number of attempts.
 */
export function batchEvaluationActivity(config: SearchConfig): (candidates: readonly Candidate[]) => Promise<BatchOutcome[]> {
  const { evaluateBatch } = evalActivities(config);
  const common = requestOf(config);
  return async (candidates) => {
    const request = { ...common, archs: candidates.map((c) => c.arch), attempts: config.evaluation.maximumAttempts };
    const summary = summaryOf(`evaluate ${candidates.length} candidates: ${candidates.map((c) => c.arch).join(' ')}`);
    return readBatch(await evaluateBatch.executeWithOptions({ summary }, [request]), candidates.length);
  };
}

/** One candidate's outcome in an `evaluateBatch` answer: its result, or its own failure. */
export type BatchOutcome = { result: EvalResult } | { error: string; type?: string; nonRetryable?: boolean };

/**
 * A batch's answer read defensively, one outcome per candidate: any worker
 * may answer on the queue, so whatever is not a result with an accuracy and
 * a cost is a failure, and a missing one says so.
 */
function readBatch(answer: unknown, n: number): BatchOutcome[] {
  const list: unknown[] = Array.isArray(answer) ? answer : [];
  return Array.from({ length: n }, (_, i): BatchOutcome => {
    const o = (typeof list[i] === 'object' && list[i] !== null ? list[i] : {}) as { result?: Partial<EvalResult>; error?: unknown; type?: unknown; nonRetryable?: unknown };
    const r = o.result;
    if (r && typeof r === 'object' && typeof r.valAcc === 'number' && typeof r.cost === 'object' && r.cost !== null) return { result: r as EvalResult };
    return {
      error: typeof o.error === 'string' ? o.error : 'the eval worker returned no outcome for it',
      ...(typeof o.type === 'string' ? { type: o.type } : {}),
      ...(o.nonRetryable === true ? { nonRetryable: true } : {}),
    };
  });
}

/**
 * The ranking stage's scores from an evaluator: one `evaluateBatch` activity per
 * pool on the ranker's queue, so a cheap score costs one history event per
 * pool rather than several per candidate. Undefined when the ranker runs in
 * the search itself (the cost model) or in the strategy (its LLM).
 */
export function scoringPort(config: SearchConfig, busy: (scoring: boolean) => void): ScorePort | undefined {
  const { rank } = config;
  if (!rank || rankerKind(rank) !== 'worker') return undefined;
  const { evaluateBatch } = proxyActivities<EvalActivities>({
    taskQueue: rank.taskQueue,
    startToCloseTimeout: rank.startToCloseTimeout as `${number}s`,
    heartbeatTimeout: rank.heartbeatTimeout as `${number}s`,
    retry: backoff(rank.maximumAttempts, '1s', '1m'),
  });
  const score = rankingFailures(rank.by, async (pool: readonly Candidate[]): Promise<ScoreOutcome[]> => {
    const request = { evaluator: rank.by, options: rank.options, space: config.space, dataset: config.dataset, archs: pool.map((c) => c.arch), attempts: 1, purpose: 'rank' as const };
    // A score is the result's accuracy; its time, the result's.
    const answer = await evaluateBatch.executeWithOptions({ summary: summaryOf(`rank ${pool.length} candidates by ${rank.by}`) }, [request]);
    const scores = readBatch(answer, pool.length).map(
      (o): ScoreOutcome => ('result' in o ? { score: o.result.valAcc, ...(o.result.ms !== undefined ? { ms: o.result.ms } : {}) } : { error: o.error }),
    );
    const failed = scores.find((s): s is { error: string } => 'error' in s);
    // Not one score: the ranker is broken, not a candidate, and the search falls back or ends as told.
    if (failed && scores.every((s) => 'error' in s)) throw new RankingFailed(`ranking by ${rank.by} failed: no candidate could be scored: ${failed.error}`);
    return scores;
  });
  return whileBusy(busy, score);
}

/** The strategy's LLM port: the `llmChat` activity; `busy` tells `progress` a call is out. */
export function llmPort(config: SearchConfig, busy: (calling: boolean) => void, iteration: () => number): LlmPort {
  const { llmCalls } = config;
  const { llmChat } = proxyActivities<LlmActivities>({
    ...(llmCalls.taskQueue ? { taskQueue: llmCalls.taskQueue } : {}),
    startToCloseTimeout: llmCalls.startToCloseTimeout as `${number}m`,
    heartbeatTimeout: llmCalls.heartbeatTimeout as `${number}s`,
    retry: backoff(llmCalls.maximumAttempts, '2s', '2m'),
  });
  const chat = llmFailures((call: LlmCall) => llmChat.executeWithOptions({ summary: summaryOf(`${roleName(call.purpose)}, iteration ${iteration()}`) }, [call]));
  return whileBusy(busy, chat);
}

/** "navigator" as the timeline shows it: "Navigator"; "navigator-fix": "Navigator fix". */
function roleName(purpose: string): string {
  const words = purpose.replace(/-/g, ' ');
  return words.charAt(0).toUpperCase() + words.slice(1);
}

/** `fn`, telling `busy` while a call of it is out, for `progress`. */
function whileBusy<A extends unknown[], R>(busy: (on: boolean) => void, fn: (...args: A) => Promise<R>): (...args: A) => Promise<R> {
  return async (...args) => {
    busy(true);
    try {
      return await fn(...args);
    } finally {
      busy(false);
    }
  };
}
