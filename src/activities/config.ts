import { ApplicationFailure } from '@temporalio/activity';
import { ConfigError, resolveSearchConfig } from '../config/resolve';
import type { SearchConfig } from '../search/types';

/**
 * Resolves a search's raw config against the registries, as a local activity
 * of its first workflow task: the registries hold worker code (evaluators,
 * LLM providers) that the workflow sandbox must not load, and the resolved
 * config lands in history, so replays and later runs never re-resolve it.
 */
export function createConfigActivities() {
  return {
    // Synchronous work, async only because activities are.
    resolveConfig(input: unknown): Promise<SearchConfig> {
      try {
        return Promise.resolve(resolveSearchConfig(input));
      } catch (err) {
        // Bad input: fail the search at once rather than retry.
        const problems = err instanceof ConfigError ? err.problems : [String(err)];
        throw ApplicationFailure.create({
          message: err instanceof ConfigError ? err.message : `invalid search config: ${String(err)}`,
          type: 'InvalidSearchConfig',
          nonRetryable: true,
          details: [problems],
        });
      }
    },
  };
}

export type ConfigActivities = ReturnType<typeof createConfigActivities>;
