import { z } from 'zod';

/**
 * Which LLM a search talks to. Only non-secret settings live here (this
 * config is workflow input, stored in history): an API key is read by the
 * worker that calls the LLM, from the environment variable `apiKeyEnv` names.
 */
const openAiLlm = z
  .object({
    provider: z.literal('openai'),
    /** Any OpenAI-compatible endpoint: OpenAI, vLLM, Ollama (/v1), llama.cpp server. */
    baseUrl: z.url({ error: 'must be the endpoint URL, e.g. "http://127.0.0.1:8000/v1"' }),
    model: z.string({ error: 'must name the model, e.g. "Qwen/Qwen3-30B-A3B"' }).min(1),
    temperature: z.number().min(0).max(2).default(0.6),
    maxTokens: z.number().int().positive().default(4096),
    timeoutMs: z.number().int().positive().default(300_000),
    apiKeyEnv: z
      .string()
      .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'must be the NAME of an environment variable, e.g. "OPENAI_API_KEY"')
      .default('OPENAI_API_KEY'),
    structuredOutput: z.enum(['auto', 'json_schema', 'json_object', 'none']).default('auto'),
  })
  .strict();

const localLlm = z
  .object({
    provider: z.literal('local'),
    /** A .gguf file on the control worker; default: the embedded SmolLM2-135M-Instruct. */
    modelPath: z.string().min(1).optional(),
    temperature: z.number().min(0).max(2).default(0.6),
    /** Longest Navigator answer. The Generator's answer is bounded by its grammar instead (generatorMaxTokens). */
    maxTokens: z.number().int().positive().default(900),
    contextSize: z.number().int().min(512).default(8192),
  })
  .strict();

export const llmConfigSchema = z.preprocess(
  (v) => {
    if (v && typeof v === 'object' && ('apiKey' in v || 'api_key' in v || 'key' in v)) return { __secret: true };
    return v;
  },
  z.discriminatedUnion('provider', [openAiLlm, localLlm], {
    error: (issue) =>
      issue.input && typeof issue.input === 'object' && '__secret' in issue.input
        ? 'never put an API key in a search config (it would be stored in the workflow history); set apiKeyEnv to the name of an environment variable of the control worker'
        : 'provider must be "openai" (any OpenAI-compatible endpoint) or "local" (embedded model)',
  }),
);

export type LlmConfig = z.output<typeof llmConfigSchema>;

export const collmStrategySchema = z
  .object({
    name: z.literal('collm'),
    /** The LLM for both roles, unless navigator/generator override it. */
    llm: llmConfigSchema.default({ provider: 'local', temperature: 0.6, maxTokens: 900, contextSize: 8192 }),
    navigator: llmConfigSchema.optional(),
    generator: llmConfigSchema.optional(),
    /** Which LLM keeps its conversation: the paper's ablation; Navigator-only is the default. */
    memory: z.enum(['none', 'navigator', 'both']).default('navigator'),
    /** Iteration limit T; the evaluation budget still applies. */
    maxIterations: z.number().int().positive().optional(),
    /** Navigator conversation size (characters) above which older turns are summarised. */
    contextBudgetChars: z.number().int().min(2000).default(12_000),
    /** How many evaluated architectures the Generator is told to avoid (most recent and best first). */
    visitedInPrompt: z.number().int().min(0).default(60),
    promptVersion: z.enum(['collm-v1']).default('collm-v1'),
    /** Task queue of the workers that call the LLM (default: the control worker's). */
    llmTaskQueue: z.string().min(1).optional(),
    /** One LLM call may take this long before it is retried. */
    llmTimeout: z.string().regex(/^\d+(ms|s|m|h)$/).default('10m'),
    llmMaximumAttempts: z.number().int().min(1).default(8),
    /** A worker silent this long during an LLM call is presumed dead; the call moves to another worker. */
    llmHeartbeatTimeout: z.string().regex(/^\d+(ms|s|m)$/).default('30s'),
  })
  .strict();

export type CollmConfig = z.output<typeof collmStrategySchema>;
