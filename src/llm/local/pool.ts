import { LlmError } from '../types';

/**
 * A fixed set of sequences handed out one call at a time; calls beyond it wait
 * in order. A call may rank the idle ones (the prompt prefix each holds): it
 * gets the best, and among equals the one idle the longest, so the sequence a
 * conversation used last is the last one taken from it.
 */
export class SequencePool<T> {
  private readonly waiters: Array<(item: T) => void> = [];

  /** `idle`: oldest release first. */
  constructor(private readonly idle: T[]) {}

  acquire(signal?: AbortSignal, rank?: (item: T) => number): Promise<T> {
    if (signal?.aborted) return Promise.reject(abortReason(signal));
    if (this.idle.length > 0) {
      let best = 0;
      if (rank) {
        let bestRank = -Infinity;
        this.idle.forEach((item, i) => {
          const r = rank(item);
          if (r > bestRank) [best, bestRank] = [i, r];
        });
      }
      return Promise.resolve(this.idle.splice(best, 1)[0]!);
    }
    return new Promise((resolvePromise, reject) => {
      const onAbort = () => {
        const index = this.waiters.indexOf(waiter);
        if (index >= 0) this.waiters.splice(index, 1);
        reject(abortReason(signal));
      };
      const waiter = (next: T) => {
        signal?.removeEventListener('abort', onAbort);
        resolvePromise(next);
      };
      this.waiters.push(waiter);
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  release(item: T): void {
    const waiter = this.waiters.shift();
    if (waiter) waiter(item);
    else this.idle.push(item);
  }
}

export function throwIfAborted(signal?: AbortSignal): void {
  if (signal?.aborted) throw abortReason(signal);
}

/** The abort's own reason (Temporal's CancelledFailure in an activity), so callers see why. */
export function abortReason(signal?: AbortSignal): Error {
  const reason: unknown = signal?.reason;
  return reason instanceof Error ? reason : new LlmError('timeout', 'local generation aborted');
}
