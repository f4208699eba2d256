import { ApplicationFailure, type MetricMeter } from '@temporalio/common';
import { LLM_PROVIDERS } from '../llm';
import { llmFailureKindOfType } from '../llm/failure';
import type { LlmActivities } from '../activities/llm';
import type { LlmCall } from '../llm/types';
import { bounded } from './meter';
import { METRICS } from './names';

/** The purposes strategies call an LLM for; any other is "other". */
const PURPOSES = ['navigator', 'navigator-fix', 'generator', 'summary', 'ranker'];

/**
 * The `llmChat` activity, counted: calls, latency, tokens in and out by
 * purpose and provider, and failures by kind (the activity's failure type
 * read back into its LlmFailureKind; cancellation is "cancelled", anything
 * else "other"). A call is counted once per attempt, as the endpoint sees it.
 */
export function withLlmMetrics(activities: LlmActivities, meter: MetricMeter): LlmActivities {
  const calls = meter.createCounter(METRICS.llmCalls, undefined, 'LLM calls (attempts), by purpose and provider');
  const failures = meter.createCounter(METRICS.llmFailures, undefined, 'LLM calls that failed, by kind');
  const latency = meter.createHistogram(METRICS.llmSeconds, 'float', 's', 'Wall time of one LLM call');
  const tokensIn = meter.createCounter(METRICS.llmTokensIn, undefined, 'Prompt tokens the endpoint reported');
  const tokensOut = meter.createCounter(METRICS.llmTokensOut, undefined, 'Answer tokens the endpoint reported');
  return {
    async llmChat(call: LlmCall) {
      const tags = { purpose: bounded(call.purpose, PURPOSES), provider: bounded(call.llm?.provider, LLM_PROVIDERS.names) };
      calls.add(1, tags);
      const started = performance.now();
      try {
        const response = await activities.llmChat(call);
        tokensIn.add(Math.max(0, Math.round(response.tokensIn || 0)), tags);
        tokensOut.add(Math.max(0, Math.round(response.tokensOut || 0)), tags);
        return response;
      } catch (err) {
        failures.add(1, { ...tags, kind: failureKind(err) });
        throw err;
      } finally {
        latency.record((performance.now() - started) / 1000, tags);
      }
    },
  };
}

function failureKind(err: unknown): string {
  if (err instanceof ApplicationFailure) return llmFailureKindOfType(err.type ?? undefined) ?? 'other';
  if (err instanceof Error && (err.name === 'AbortError' || err.name === 'CancelledFailure')) return 'cancelled';
  return 'other';
}
