import type { SearchConfig } from '../search/types';
import { resolveSearchConfig } from './resolve';

/**
 * A search config a client has checked: the raw JSON the user wrote (what
 * travels to the workflow, so its history shows what was written and each
 * run resolves it against the registries of its day) beside what it resolved
 * to. A client resolves once and passes this on; the functions that start
 * searches and schedules take it and do not resolve again.
 */
export class PreparedConfig {
  private constructor(
    readonly raw: Record<string, unknown>,
    readonly resolved: SearchConfig,
  ) {}

  /** Checks `raw` (ConfigError naming every bad field) and keeps both forms. */
  static of(raw: Record<string, unknown>): PreparedConfig {
    return new PreparedConfig(raw, resolveSearchConfig(raw));
  }
}

/** `config` prepared: as it is when it already is, else resolved now (callers that hold only the raw JSON). */
export function prepared(config: unknown): PreparedConfig {
  if (config instanceof PreparedConfig) return config;
  return PreparedConfig.of(config as Record<string, unknown>);
}
