import { Context, log } from '@temporalio/activity';
import type { Client } from '@temporalio/client';

/**
 * Which of `names` the search's namespace has registered as search
 * attributes. A workflow that upserts an attribute the server does not know
 * fails its workflow task again and again, so an attribute added after a
 * server was set up (NasPaused) is only upserted once this says it is there.
 * Runs as a local activity of the control worker, through its client; a
 * server that will not list them (no permission) counts as having none.
 */
export function createSearchAttributeActivities(clientOf: () => Client = () => Context.current().client) {
  return {
    async registeredSearchAttributes(names: string[]): Promise<string[]> {
      const client = clientOf();
      const { namespace } = client.options;
      try {
        const { customAttributes } = await client.connection.operatorService.listSearchAttributes({ namespace });
        const have = new Set(Object.keys(customAttributes ?? {}));
        return names.filter((n) => have.has(n));
      } catch (err) {
        log.warn('could not list the search attributes registered on the server; searches will not mark themselves paused', { namespace, error: String(err) });
        return [];
      }
    },
  };
}

export type SearchAttributeActivities = ReturnType<typeof createSearchAttributeActivities>;
