import type { LlamaContextSequence } from 'node-llama-cpp';
import { LlmError } from '../types';

/** A fixed set of sequences handed out one call at a time; calls beyond it wait in order. */
export class SequencePool {
  private readonly waiters: Array<(sequence: LlamaContextSequence) => void> = [];

  constructor(private readonly idle: LlamaContextSequence[]) {}

  acquire(signal?: AbortSignal): Promise<LlamaContextSequence> {
    if (signal?.aborted) return Promise.reject(abortReason(signal));
    const sequence = this.idle.pop();
    if (sequence) return Promise.resolve(sequence);
    return new Promise((resolvePromise, reject) => {
      const onAbort = () => {
        const index = this.waiters.indexOf(waiter);
        if (index >= 0) this.waiters.splice(index, 1);
        reject(abortReason(signal));
      };
      const waiter = (next: LlamaContextSequence) => {
        signal?.removeEventListener('abort', onAbort);
        resolvePromise(next);
      };
      this.waiters.push(waiter);
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  release(sequence: LlamaContextSequence): void {
    const waiter = this.waiters.shift();
    if (waiter) waiter(sequence);
    else this.idle.push(sequence);
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

