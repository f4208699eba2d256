/**
 * Embedded provider: a small GGUF model run in-process by node-llama-cpp, so a
 * search works with no endpoint at all. JSON answers are enforced with a
 * grammar built from the request's JSON Schema, which is what makes a 135M
 * model usable: it can only emit tokens that keep the output valid. The grammar
 * admits no whitespace (src/lib/json-grammar.ts), so answers are short and never cut off.
 */
import { basename, resolve } from 'node:path';
import { z } from 'zod';
import type { LlmProviderPlugin } from '../plugin';
import type { LlmProvider } from '../types';
import { createLocalProvider } from './provider';

export { loadedModelCount, unloadLocalModels } from './runtime';
export { localModelStats, type LocalModelStats } from './provider';

/** The model `npm run setup` extracts; COLLM_LOCAL_MODEL points elsewhere. */
export const DEFAULT_LOCAL_MODEL = resolve(
  process.env.COLLM_LOCAL_MODEL || resolve(__dirname, '..', '..', '..', '.tools', 'models', 'SmolLM2-135M-Instruct.Q4_1.gguf'),
);

/** The provider's fields of an `llm` config. */
export const localOptions = z
  .object({
    /** A .gguf file on the worker that calls the LLM; default: the embedded SmolLM2-135M-Instruct (COLLM_LOCAL_MODEL). */
    modelPath: z.string().min(1).optional(),
    /** Tokens per sequence: prompt and answer together. */
    contextSize: z.number().int().min(512).default(8192),
    /** CPU threads; default: one per core, at most 4. */
    threads: z.number().int().min(1).optional(),
  })
  .strict();

export type LocalOptions = z.output<typeof localOptions>;

/** The embedded model as a plug-in of the provider registry. */
export const localPlugin: LlmProviderPlugin<LocalOptions> = {
  name: 'local',
  description: 'an embedded GGUF model run on the worker\'s CPU (default: SmolLM2-135M-Instruct)',
  options: localOptions,
  // A 135M model needs some heat to write varied architectures...
  defaults: { temperature: 0.8, maxTokens: 900 },
  // ...but its strategies are short-lived hints at best: keep them short and calmer.
  roleDefaults: { navigator: { temperature: 0.6, maxTokens: 200 } },
  describe: (o) => ({
    model: o.modelPath ? basename(o.modelPath) : basename(DEFAULT_LOCAL_MODEL),
    capabilities: { contextTokens: o.contextSize, grammar: true },
  }),
  create: (llm) =>
    createLocalProvider({
      modelPath: llm.options.modelPath ?? DEFAULT_LOCAL_MODEL,
      contextSize: llm.options.contextSize,
      temperature: llm.temperature,
      maxTokens: llm.maxTokens,
      ...(llm.options.threads !== undefined ? { threads: llm.options.threads } : {}),
    }),
};

/**
 * The embedded provider built directly (tests, scripts): the plug-in's defaults apply.
 * `reusePrefix: false` reads every prompt whole (the same answers, slower; for comparisons).
 */
export function localProvider(
  config: z.input<typeof localOptions> & { temperature?: number; maxTokens?: number; seed?: number; reusePrefix?: boolean },
): LlmProvider {
  const { temperature, maxTokens, seed, reusePrefix, ...rest } = config;
  const options = localOptions.parse(rest);
  return createLocalProvider({
    modelPath: options.modelPath ?? DEFAULT_LOCAL_MODEL,
    contextSize: options.contextSize,
    temperature: temperature ?? localPlugin.defaults.temperature!,
    maxTokens: maxTokens ?? localPlugin.defaults.maxTokens,
    ...(options.threads !== undefined ? { threads: options.threads } : {}),
    ...(seed !== undefined ? { seed } : {}),
    ...(reusePrefix !== undefined ? { reusePrefix } : {}),
  });
}
