/**
 * Where a collm search that names no LLM gets one: the endpoint in
 * COLLM_LLM_BASE_URL / COLLM_LLM_MODEL when set (any OpenAI-compatible
 * server; the key stays in the control worker's environment, named by
 * COLLM_LLM_API_KEY_ENV, default OPENAI_API_KEY), else the embedded model.
 */
export function withDefaultLlm(config: Record<string, unknown>, env: NodeJS.ProcessEnv = process.env): Record<string, unknown> {
  const strategy = typeof config.strategy === 'string' ? { name: config.strategy } : (config.strategy as Record<string, unknown> | undefined);
  if (!strategy || strategy.name !== 'collm' || strategy.llm !== undefined) return config;
  if (env.COLLM_LLM_BASE_URL) {
    return {
      ...config,
      strategy: {
        ...strategy,
        llm: {
          provider: 'openai',
          baseUrl: env.COLLM_LLM_BASE_URL,
          model: env.COLLM_LLM_MODEL ?? 'default',
          apiKeyEnv: env.COLLM_LLM_API_KEY_ENV ?? 'OPENAI_API_KEY',
        },
      },
    };
  }
  // The 135M model's strategies are short-lived hints at best: keep them short, the Generator's answer long enough.
  return {
    ...config,
    strategy: {
      ...strategy,
      llm: { provider: 'local', temperature: 0.8, maxTokens: 900 },
      ...(strategy.navigator === undefined ? { navigator: { provider: 'local', temperature: 0.6, maxTokens: 200 } } : {}),
    },
  };
}

/** One line saying which LLM a config will use, for the scripts' output. */
export function describeLlm(config: Record<string, unknown>): string | undefined {
  const strategy = config.strategy as { name?: string; llm?: { provider: string; baseUrl?: string; model?: string } } | undefined;
  if (!strategy || strategy.name !== 'collm' || !strategy.llm) return undefined;
  return strategy.llm.provider === 'openai'
    ? `LLM: ${strategy.llm.model} at ${strategy.llm.baseUrl}`
    : 'LLM: embedded SmolLM2-135M-Instruct (set COLLM_LLM_BASE_URL and COLLM_LLM_MODEL to use an endpoint)';
}
