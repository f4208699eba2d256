import { createRegistry } from '../lib/registry';
import { localPlugin } from './local';
import { openAiPlugin } from './openai';
import type { LlmProviderPlugin } from './plugin';

/** Every LLM provider by the name a search config gives as `llm.provider`. One line each. */
export const LLM_PROVIDERS = createRegistry<LlmProviderPlugin>('LLM provider', [
  openAiPlugin,
  localPlugin,
]);
