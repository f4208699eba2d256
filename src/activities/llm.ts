import { ApplicationFailure, Context } from '@temporalio/activity';
import { providerFor } from '../llm';
import { checkLlmAllowed, llmAllowListFromEnv, type LlmAllowList } from '../llm/allow-list';
import { llmActivityFailure } from '../llm/failure';
import { LlmError, type ChatResponse, type LlmCall } from '../llm/types';
import { MAX_LLM_ANSWER_CHARS, MAX_LLM_REASONING_CHARS } from '../search/limits';

/**
 * LLM calls of the strategies that talk to one, run by the control worker (or the
 * workers on `llmTaskQueue`). The answer becomes the activity result, so the
 * workflow history holds every exchange and a replay needs no LLM.
 *
 * API keys come from `env`, this worker's environment; `allow` (by default
 * from the same environment, see src/llm/allow-list.ts) says which endpoints
 * a search may have it contact and which of its variables it may send there.
 */
export function createLlmActivities(env: NodeJS.ProcessEnv = process.env, allow: LlmAllowList = llmAllowListFromEnv(env)) {
  return {
    async llmChat(call: LlmCall): Promise<ChatResponse> {
      const ctx = Context.current();
      // Heartbeats tell Temporal the worker is alive during a long generation;
      // a killed worker is noticed within the heartbeat timeout and the call moves.
      const beat = setInterval(() => ctx.heartbeat({ purpose: call.purpose }), 1000);
      try {
        ctx.heartbeat({ purpose: call.purpose });
        // Before the provider is created: it reads the key variable.
        checkLlmAllowed(call.llm, allow);
        return withinHistoryLimits(await providerFor(call.llm, env).chat(call.request, ctx.cancellationSignal));
      } catch (err) {
        if (!(err instanceof AnswerTooLarge || err instanceof LlmError)) throw err;
        // Retryable failures (timeouts, 429, 5xx, an oversized answer) are retried by the activity's retry policy, with backoff.
        const { message, type, retryable } = llmActivityFailure(call.purpose, err instanceof LlmError ? err.kind : 'answer_too_large', err.message);
        throw retryable ? ApplicationFailure.retryable(message, type) : ApplicationFailure.nonRetryable(message, type);
      } finally {
        clearInterval(beat);
      }
    },
  };
}

export type LlmActivities = ReturnType<typeof createLlmActivities>;

class AnswerTooLarge extends Error {}

/**
 * The answer checked against the workflow history's size limits, since the
 * activity result is stored there: an answer far over any `maxTokens` (a
 * runaway endpoint) is refused (AnswerTooLarge, retried: asked again), and
 * long reasoning, kept for the log only, is cut to its end (where the model
 * concludes).
 */
function withinHistoryLimits(response: ChatResponse): ChatResponse {
  if (response.text.length > MAX_LLM_ANSWER_CHARS) {
    throw new AnswerTooLarge(
      `the answer is ${response.text.length} characters, more than the ${MAX_LLM_ANSWER_CHARS} one may be (it is stored in the workflow history); ` +
        'check the endpoint honours maxTokens',
    );
  }
  const reasoning = response.reasoning;
  if (reasoning === undefined || reasoning.length <= MAX_LLM_REASONING_CHARS) return response;
  const cut = reasoning.length - MAX_LLM_REASONING_CHARS;
  return { ...response, reasoning: `[${cut} characters of reasoning left out]\n${reasoning.slice(cut)}` };
}
