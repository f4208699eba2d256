/**
 * The real NASWOT score of every NAS-Bench-201 cell, once per canonical key
 * (cells that compute the same function share one), for the ranking stage's
 * benchmarks to read instead of recomputing (about 0.2 s a score):
 *   npx tsx scripts/rank/naswot-cache.ts                        # cifar10, cifar100, imagenet16
 *   npx tsx scripts/rank/naswot-cache.ts --datasets cifar10 --limit 20 --quiet
 *
 * Appends {"key", "score", "ms"} lines to .cache/naswot-nb201/<dataset>.jsonl
 * (read with readNaswotCache) and resumes: keys already there are skipped, so
 * it can be killed and rerun. Scores use naswotScore's defaults (the sample
 * images, random weights of seed 0).
 */
import { appendFileSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { naswotScore, type NaswotOptions } from '../../src/evaluators/naswot';
import { enumerateNb201, nb201Space } from '../../src/spaces/nb201';
import { NASWOT_CACHE_DIR, naswotCacheFile, readNaswotCache, type NaswotCacheLine } from './naswot-cache-read';
import { arg } from '../args';

const OPTIONS: NaswotOptions = { input: 'images', seed: 0 };
const PROGRESS_EVERY = 200;

/** The distinct canonical keys of all 5^6 cells, in enumeration order. */
function canonicalKeys(): string[] {
  const keys = new Set<string>();
  for (const arch of enumerateNb201()) keys.add(nb201Space.key(arch));
  return [...keys];
}

/** Scores the keys of `dataset` not yet cached; returns how many it added (at most `limit`). */
async function fill(dataset: string, keys: readonly string[], limit: number, quiet: boolean): Promise<number> {
  const file = naswotCacheFile(dataset);
  // A killed run may leave a line without its newline; end it so the next line stays whole.
  const text = existsSync(file) ? readFileSync(file, 'utf8') : '';
  if (text && !text.endsWith('\n')) appendFileSync(file, '\n');
  const done = readNaswotCache(dataset);
  const todo = keys.filter((k) => !done.has(k)).slice(0, limit);
  console.log(`${dataset}: ${done.size}/${keys.length} cached, scoring ${todo.length}`);
  const t0 = performance.now();
  for (let i = 0; i < todo.length; i++) {
    const key = todo[i]!;
    const start = performance.now();
    const { score } = await naswotScore(nb201Space.name, nb201Space.parse(key), dataset, OPTIONS);
    const ms = performance.now() - start;
    // One synchronous append per line: a kill loses at most the score being computed.
    // JSON has no -Infinity (a cell whose output is always zero has a singular kernel): such a score is written as a string.
    const line: NaswotCacheLine = { key, score: Number.isFinite(score) ? score : String(score), ms: Math.round(ms * 10) / 10 };
    appendFileSync(file, `${JSON.stringify(line)}\n`);
    const n = i + 1;
    if (!quiet && (n % PROGRESS_EVERY === 0 || n === todo.length)) {
      const perScore = (performance.now() - t0) / 1000 / n;
      const eta = ((todo.length - n) * perScore) / 60;
      console.log(`${dataset}: ${done.size + n}/${keys.length} (${n} this run), ${perScore.toFixed(3)} s/score, ${eta.toFixed(0)} min left`);
    }
  }
  return todo.length;
}

async function main(): Promise<void> {
  const datasets = arg('datasets', 'cifar10,cifar100,imagenet16').split(',');
  const unknown = datasets.filter((d) => !nb201Space.datasets.includes(d));
  if (unknown.length > 0) throw new Error(`--datasets: unknown ${unknown.join(', ')}; use some of ${nb201Space.datasets.join(', ')}`);
  let limit = Number(arg('limit', 'Infinity'));
  const quiet = process.argv.includes('--quiet');
  mkdirSync(NASWOT_CACHE_DIR, { recursive: true });
  const keys = canonicalKeys();
  console.log(`${keys.length} canonical keys among 15,625 cells`);
  for (const dataset of datasets) {
    if (limit <= 0) break;
    limit -= await fill(dataset, keys, limit, quiet);
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
