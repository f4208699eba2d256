import type { LlmConfig } from '../search/collm/config';
import { DEFAULT_LOCAL_MODEL, localProvider } from './local';
import { openAiProvider } from './openai';
import type { LlmProvider } from './types';

export type { LlmProvider, ChatRequest, ChatResponse, ChatMessage } from './types';
export { LlmError } from './types';

/**
 * Builds the provider a search config asks for. Providers are cached per
 * worker process: the embedded model loads once, HTTP clients are reused.
 */
const cache = new Map<string, LlmProvider>();

export function providerFor(config: LlmConfig, env: NodeJS.ProcessEnv = process.env): LlmProvider {
  const id = JSON.stringify(config);
  let provider = cache.get(id);
  if (!provider) {
    provider =
      config.provider === 'openai'
        ? openAiProvider(config, env)
        : localProvider({
            modelPath: config.modelPath ?? DEFAULT_LOCAL_MODEL,
            contextSize: config.contextSize,
            temperature: config.temperature,
            maxTokens: config.maxTokens,
          });
    cache.set(id, provider);
  }
  return provider;
}
