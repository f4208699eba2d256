import { ApplicationFailure, Context } from '@temporalio/activity';
import { providerFor } from '../llm';
import { LlmError, type ChatResponse, type LlmCall } from '../llm/types';

/**
 * LLM calls of the strategies that talk to one, run by the control worker (or the
 * workers on `llmTaskQueue`). The answer becomes the activity result, so the
 * workflow history holds every exchange and a replay needs no LLM.
 */
export function createLlmActivities(env: NodeJS.ProcessEnv = process.env) {
  return {
    async llmChat(call: LlmCall): Promise<ChatResponse> {
      const ctx = Context.current();
      // Heartbeats tell Temporal the worker is alive during a long generation;
      // a killed worker is noticed within the heartbeat timeout and the call moves.
      const beat = setInterval(() => ctx.heartbeat({ purpose: call.purpose }), 1000);
      try {
        ctx.heartbeat({ purpose: call.purpose });
        return await providerFor(call.llm, env).chat(call.request, ctx.cancellationSignal);
      } catch (err) {
        if (err instanceof LlmError) {
          const type = `Llm${err.kind[0]!.toUpperCase()}${err.kind.slice(1).replace(/_(\w)/g, (_, c: string) => c.toUpperCase())}Error`;
          // Timeouts, 429 and 5xx are retried by the activity's retry policy, with backoff.
          if (err.retryable) throw ApplicationFailure.retryable(err.message, type);
          throw ApplicationFailure.nonRetryable(`${call.purpose} LLM: ${err.message}`, type);
        }
        throw err;
      } finally {
        clearInterval(beat);
      }
    },
  };
}

export type LlmActivities = ReturnType<typeof createLlmActivities>;
