import { LLM_PROVIDERS } from './registry';
import type { LlmProvider, ResolvedLlm } from './types';

export type { LlmProvider, ChatRequest, ChatResponse, ChatMessage, ResolvedLlm, LlmCall, LlmPort } from './types';
export { LlmError, LlmUnavailable } from './types';
export { LLM_PROVIDERS } from './registry';

/**
 * The provider a resolved LLM config asks for. Providers are cached per
 * worker process: the embedded model loads once, HTTP clients are reused.
 */
const cache = new Map<string, LlmProvider>();

export function providerFor(llm: ResolvedLlm, env: NodeJS.ProcessEnv = process.env): LlmProvider {
  const id = JSON.stringify([llm.provider, llm.options, llm.temperature, llm.maxTokens]);
  let provider = cache.get(id);
  if (!provider) {
    provider = LLM_PROVIDERS.get(llm.provider).create(llm, env);
    cache.set(id, provider);
  }
  return provider;
}
