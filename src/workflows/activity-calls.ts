import { proxyActivities, proxyLocalActivities } from '@temporalio/workflow';
import type { ConfigActivities } from '../activities/config';
import type { EvalActivities } from '../activities/evaluate';
import type { LlmActivities } from '../activities/llm';
import type { LlmPort } from '../llm/types';
import type { Candidate, EvalResult, SearchConfig } from '../search/types';
import { backoff, llmFailures, surfaceFailures } from './failures';

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
