import { proxyActivities, proxyLocalActivities } from '@temporalio/workflow';
import type { ConfigActivities } from '../activities/config';
import type { EvalActivities } from '../activities/evaluate';
import type { LlmActivities } from '../activities/llm';
import type { LlmPort } from '../llm/types';
import { rankerKind, type ScoreOutcome, type ScorePort } from '../search/rank';
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

/** One candidate's evaluation on the eval queue; the request carries the evaluator's name and options. */
export function evaluationActivity(config: SearchConfig): (c: Candidate) => Promise<EvalResult> {
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

/**
 * The ranking stage's scores from an evaluator: one `scoreBatch` activity per
 * pool on the ranker's queue, so a cheap score costs one history event per
 * pool rather than several per candidate. Undefined when the ranker runs in
 * the search itself (the cost model) or in the strategy (its LLM).
 */
export function scoringPort(config: SearchConfig): ScorePort | undefined {
  const { rank } = config;
  if (!rank || rankerKind(rank) !== 'worker') return undefined;
  const { scoreBatch } = proxyActivities<EvalActivities>({
    taskQueue: rank.taskQueue,
    startToCloseTimeout: rank.startToCloseTimeout as `${number}s`,
    heartbeatTimeout: rank.heartbeatTimeout as `${number}s`,
    retry: backoff(rank.maximumAttempts, '1s', '1m'),
  });
  const score = rankingFailures(rank.by, scoreBatch);
  return async (pool) => {
    const outcomes = await score({ evaluator: rank.by, options: rank.options, space: config.space, dataset: config.dataset, archs: pool.map((c) => c.arch) });
    // A worker's answer, read as the engine needs it: a finite score, or why there is none.
    return (Array.isArray(outcomes) ? outcomes : []).map((o: unknown): ScoreOutcome => {
      const { score: s, ms, error } = (typeof o === 'object' && o !== null ? o : {}) as Record<string, unknown>;
      if (typeof s === 'number' && Number.isFinite(s)) return { score: s, ...(typeof ms === 'number' && Number.isFinite(ms) ? { ms } : {}) };
      return { error: typeof error === 'string' ? error : 'no score' };
    });
  };
}

/** The strategy's LLM port: the `llmChat` activity; `busy` tells `progress` a call is out. */
export function llmPort(config: SearchConfig, busy: (calling: boolean) => void): LlmPort {
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
