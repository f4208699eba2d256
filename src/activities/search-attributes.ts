import { Context, log } from '@temporalio/activity';
import { isGrpcServiceError, type Client } from '@temporalio/client';

/** gRPC codes of a server that will not list search attributes to this worker, however often asked. */
const REFUSED = new Set([7 /* PERMISSION_DENIED */, 12 /* UNIMPLEMENTED */]);

/**
 * Which of `names` the search's namespace has registered as search
 * attributes. A workflow that upserts an attribute the server does not know
 * fails its workflow task again and again, so an attribute added after a
 * server was set up (NasPaused) is only upserted once this says it is there.
 * Runs as a local activity of the control worker, through its client. A
 * server that refuses the listing (no permission) counts as having none; any
 * other failure (the server unreachable a moment) is retried by the caller.
 */
export function createSearchAttributeActivities(clientOf: () => Client = () => Context.current().client) {
  return {
    async registeredSearchAttributes(names: string[]): Promise<string[]> {
      const client = clientOf();
      const { namespace } = client.options;
      try {
        const { customAttributes } = await client.connection.operatorService.listSearchAttributes({ namespace });
        return names.filter((n) => customAttributes?.[n] !== undefined);
      } catch (err) {
        if (!(isGrpcServiceError(err) && REFUSED.has(err.code))) throw err;
        log.warn('the server will not list its search attributes to this worker; searches will not mark themselves paused', { namespace, error: String(err) });
        return [];
      }
    },
  };
}

export type SearchAttributeActivities = ReturnType<typeof createSearchAttributeActivities>;
