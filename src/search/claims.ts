import type { SearchSpace } from '../spaces/types';

/**
 * Which architectures a batch may still take: those not evaluated, not
 * failed and not already proposed for it. The engine keeps this record and
 * is the only code that keys an architecture for it, so a strategy asks and
 * claims through it and never compares keys of its own.
 */
export interface Claims {
  /** Whether `arch` was evaluated, failed, or is claimed for this batch. */
  has(arch: unknown): boolean;
  /** Claims `arch` for this batch: true when it was free (and is now taken), false when taken already. */
  claim(arch: unknown): boolean;
  /** Gives a claim back (a candidate not chosen for evaluation), so it may be proposed again. */
  release(arch: unknown): void;
  /** Whether `arch` is the architecture of one of `entries` (evaluations, which carry the engine's key). */
  isOneOf(arch: unknown, entries: Iterable<{ key: string }>): boolean;
}

/** Claims over the canonical keys of `space`, starting from the keys already taken. */
export function createClaims(space: SearchSpace<unknown>, taken: Iterable<string>): Claims {
  const keys = new Set(taken);
  return {
    has: (arch) => keys.has(space.key(arch)),
    claim(arch) {
      const key = space.key(arch);
      if (keys.has(key)) return false;
      keys.add(key);
      return true;
    },
    release: (arch) => void keys.delete(space.key(arch)),
    isOneOf(arch, entries) {
      const key = space.key(arch);
      for (const e of entries) if (e.key === key) return true;
      return false;
    },
  };
}
