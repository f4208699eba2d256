import { STRATEGIES } from '../search/strategies';
import type { SearchConfig } from '../search/types';

/**
 * Where a search that talks to an LLM but names none gets one, for the
 * scripts: the endpoint in COLLM_LLM_BASE_URL / COLLM_LLM_MODEL when set (any
 * OpenAI-compatible server; the key stays in the worker's environment, named
 * by COLLM_LLM_API_KEY_ENV, default OPENAI_API_KEY); otherwise the config is
 * left as it is and the default LLM (the embedded model) applies.
 */
export function withDefaultLlm(config: Record<string, unknown>, env: NodeJS.ProcessEnv = process.env): Record<string, unknown> {
  if (config.llm !== undefined || !env.COLLM_LLM_BASE_URL) return config;
  const raw = config.strategy;
  const name = typeof raw === 'string' ? raw : (raw as { name?: unknown } | undefined)?.name;
  if (typeof name !== 'string' || !STRATEGIES.has(name) || (STRATEGIES.get(name).llmRoles ?? []).length === 0) return config;
  return {
    ...config,
    llm: {
      provider: 'openai',
      baseUrl: env.COLLM_LLM_BASE_URL,
      model: env.COLLM_LLM_MODEL ?? 'default',
      ...(env.COLLM_LLM_API_KEY_ENV ? { apiKeyEnv: env.COLLM_LLM_API_KEY_ENV } : {}),
    },
  };
}

/** One line saying which LLM each role uses, for the scripts' output. */
export function describeLlm(config: SearchConfig): string | undefined {
  const roles = Object.entries(config.llm);
  if (roles.length === 0) return undefined;
  const where = (llm: SearchConfig['llm'][string]): string =>
    typeof llm.options.baseUrl === 'string' ? `${llm.model} at ${llm.options.baseUrl}` : `${llm.model} (${llm.provider})`;
  const distinct = new Set(roles.map(([, llm]) => where(llm)));
  const text = distinct.size === 1 ? [...distinct][0]! : roles.map(([role, llm]) => `${role}: ${where(llm)}`).join(', ');
  const embedded = roles.some(([, llm]) => llm.provider === 'local');
  return `LLM: ${text}${embedded ? ' (set COLLM_LLM_BASE_URL and COLLM_LLM_MODEL to use an endpoint)' : ''}`;
}
