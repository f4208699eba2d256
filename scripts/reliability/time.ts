/**
 * Waiting, for the trials and their faults: a plain sleep, and a poll of a
 * condition against the server that tolerates the moments (a server restart,
 * a continue-as-new) when asking fails.
 */
export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** True once `what` holds, false if it did not within `timeoutMs`; a `what` that throws counts as not yet. */
export async function until(what: () => Promise<boolean> | boolean, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    try {
      if (await what()) return true;
    } catch {
      // the server may be between runs of the workflow
    }
    await sleep(100);
  }
  return false;
}
