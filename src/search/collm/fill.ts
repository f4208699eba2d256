import type { Rng } from '../../lib/rng';
import { meetsConstraint } from '../constraint';
import type { Candidate, SearchState } from '../types';
import type { Collm } from './state';

/**
 * Parents for the fill: the better of FILL_TOURNAMENT picked among the
 * FILL_PARENTS best. Chosen on seeds the benchmark does not use (100-129);
 * top 3-10 with tournaments of 2-3 were all within noise of each other.
 */
export const FILL_PARENTS = 5;
export const FILL_TOURNAMENT = 2;

/**
 * Fills what the Generator could not: mutations of the best architectures
 * (tournament among the top ones), each new and feasible.
 */
export function fillWithMutations(k: Collm, search: SearchState, taken: Set<string>, count: number, rng: Rng): Candidate[] {
  const { config, space } = k;
  const top = search.evaluated.filter((e) => e.feasible).sort((a, b) => b.valAcc - a.valAcc).slice(0, FILL_PARENTS);
  const out: Candidate[] = [];
  const add = (arch: unknown): void => {
    const key = space.key(arch);
    if (taken.has(key) || !meetsConstraint(space.cost(arch, config.dataset), config.constraint)) return;
    taken.add(key);
    out.push({ arch: space.format(arch), key, origin: 'fill' });
  };
  for (let attempts = 0; out.length < count && top.length > 0 && attempts < 100 * count; attempts++) {
    const parent = rng.sample(top, Math.min(FILL_TOURNAMENT, top.length)).reduce((a, b) => (b.valAcc > a.valAcc ? b : a));
    add(space.mutate(space.parse(parent.arch), rng));
  }
  // Nothing evaluated yet, or every neighbour of the best is taken: explore at random.
  for (let attempts = 0; out.length < count && attempts < 1000 * count; attempts++) add(space.sample(rng));
  return out;
}
