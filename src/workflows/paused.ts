import { log, patched, proxyLocalActivities, upsertSearchAttributes } from '@temporalio/workflow';
import type { SearchAttributeActivities } from '../activities/search-attributes';
import { backoff } from './failures';
import { NAS_PAUSED } from './search-attributes';

/**
 * Marks a paused search with the `NasPaused` search attribute, so the Web UI,
 * `temporal workflow list --query 'NasPaused = true'` and the searches gauge
 * can tell it from a running one (Temporal lists both as Running).
 *
 * A server that lacks the attribute would fail every workflow task that
 * upserts it, so the search asks once per run (a local activity, recorded)
 * whether it is registered, and marks itself only then (a server that
 * cannot be asked leaves that pause unmarked, never fails the search). Behind a patch:
 * histories recorded before it paused without asking.
 */
export function pauseMarker(): (paused: boolean) => Promise<void> {
  let registered: Promise<boolean> | undefined;
  return async (paused) => {
    if (!patched('paused-search-attribute')) return;
    registered ??= isRegistered().catch((err: unknown) => {
      // Unanswered after its retries: this pause goes unmarked, and the next one asks again.
      log.warn('could not learn whether the server has NasPaused registered', { error: String(err) });
      registered = undefined;
      return false;
    });
    if (await registered) upsertSearchAttributes([{ key: NAS_PAUSED, value: paused }]);
  };
}

async function isRegistered(): Promise<boolean> {
  const { registeredSearchAttributes } = proxyLocalActivities<SearchAttributeActivities>({ startToCloseTimeout: '30s', retry: backoff(3, '1s', '10s') });
  return (await registeredSearchAttributes([NAS_PAUSED.name])).includes(NAS_PAUSED.name);
}
