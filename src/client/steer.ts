import type { WorkflowHandle } from '@temporalio/client';
import { MAX_HINT_CHARS } from '../search/limits';
import { steerSignal } from '../workflows/api';

/**
 * Steering hints, checked before they are signalled: a signal is stored in
 * the workflow history the moment it is sent, whatever the workflow then
 * makes of it, so a hint the workflow would drop must not be sent at all.
 */

/** The hint as it will be sent (trimmed), or an Error saying what a hint must be. */
export function checkHint(hint: unknown): string {
  if (typeof hint !== 'string') throw new Error(`steer: the hint must be text, got ${hint === null ? 'null' : typeof hint}`);
  const text = hint.trim();
  if (text === '') throw new Error('steer: give the hint, e.g. "prefer 3x3 convolutions"');
  if (text.length > MAX_HINT_CHARS) {
    throw new Error(
      `steer: the hint is ${text.length} characters, more than the ${MAX_HINT_CHARS} a hint may be ` +
        '(the Navigator reads it in its prompt, and it is stored in the workflow history); shorten it',
    );
  }
  return text;
}

/** Sends a checked hint to a running search; resolves to the text sent. */
export async function steerSearch(handle: WorkflowHandle, hint: unknown): Promise<string> {
  const text = checkHint(hint);
  await handle.signal(steerSignal, text);
  return text;
}
