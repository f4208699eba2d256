import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

/** Where scripts/rank/naswot-cache.ts keeps its scores: one JSON line per canonical NAS-Bench-201 key. */
export const NASWOT_CACHE_DIR = resolve(__dirname, '..', '..', '.cache', 'naswot-nb201');

export function naswotCacheFile(dataset: string): string {
  return join(NASWOT_CACHE_DIR, `${dataset}.jsonl`);
}

export interface NaswotCacheLine {
  key: string;
  /** A finite score as a number; -Infinity (a singular kernel) or NaN as a string, which JSON cannot hold otherwise. */
  score: number | string;
  ms: number;
}

/**
 * The cached NASWOT scores of one dataset, with the time each took to compute, by canonical key (empty when none
 * were computed yet). A line that does not parse is skipped: a run killed
 * mid-write can leave a partial last line, which the next run recomputes.
 */
export function readNaswotCache(dataset: string): Map<string, { score: number; ms: number }> {
  const file = naswotCacheFile(dataset);
  const scores = new Map<string, { score: number; ms: number }>();
  if (!existsSync(file)) return scores;
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    if (!line.trim()) continue;
    try {
      const { key, score, ms } = JSON.parse(line) as NaswotCacheLine;
      if (typeof key === 'string' && (typeof score === 'number' || typeof score === 'string')) scores.set(key, { score: Number(score), ms: typeof ms === 'number' ? ms : 0 });
    } catch {
      // A partial line: its key is simply missing.
    }
  }
  return scores;
}
