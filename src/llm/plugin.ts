import type { z } from 'zod';
import type { LlmCapabilities, LlmProvider, ResolvedLlm } from './types';

/** Sampling settings every provider takes; a provider's plug-in gives their defaults. */
export interface SamplingDefaults {
  temperature?: number;
  maxTokens?: number;
}

/**
 * An LLM provider as a plug-in: its name in a search config (`llm.provider`),
 * its own options (endpoint, model file...) and what it declares about the
 * model. Adding a provider is one file (or folder) with one of these and one
 * line in `registry.ts`.
 */
export interface LlmProviderPlugin<O = any> {
  readonly name: string;
  /** One line for `--help` and error messages. */
  readonly description: string;
  /** The provider's own fields of an `llm` config, with their defaults. Never a secret: this is workflow input. */
  readonly options: z.ZodType<O>;
  /** Sampling defaults for this provider, over the generic ones (config.ts). */
  readonly defaults: SamplingDefaults & { maxTokens: number };
  /**
   * Defaults per role of a strategy (e.g. a short Navigator answer on a small
   * model), over `defaults`; a search config's own values still win.
   */
  readonly roleDefaults?: Readonly<Record<string, SamplingDefaults>>;
  /** The model's name for people and what the core may rely on. Pure: no I/O. */
  describe(options: O): { model: string; capabilities: LlmCapabilities };
  /**
   * What a call with these options sends out of the worker: the endpoint URLs
   * it contacts and the worker's environment variables it sends there (API
   * keys). The worker checks both against its allow-list before each call,
   * since a search config names them. Absent: the provider contacts nothing.
   */
  reaches?(options: O): { endpoints: string[]; keyEnvs: string[] };
  /** The runtime, on the worker that makes the calls; secrets come from its environment. */
  create(llm: ResolvedLlm & { options: O }, env: NodeJS.ProcessEnv): LlmProvider;
}
