import type { Rng } from '../../../lib/rng';
import type { Claims } from '../../claims';
import { meetsConstraint } from '../../constraint';
import { topK } from '../../summary';
import type { SearchState } from '../../types';
import type { Proposal } from '../types';
import type { Collm } from './state';

/**
 * Fills what the Generator could not: mutations of the best architectures
 * (tournament among the top ones), each new and feasible.
 */
export function fillWithMutations(collmSetup: Collm, search: SearchState, claims: Claims, count: number, rng: Rng): Proposal[] {
  const { config, space } = collmSetup;
  const { parents, tournament } = collmSetup.options.fill;
  const top = topK(search, parents);
  const out: Proposal[] = [];
  const add = (arch: unknown): void => {
    if (claims.has(arch) || !meetsConstraint(space.cost(arch, config.dataset), config.constraint)) return;
    claims.claim(arch);
    out.push({ arch, origin: 'fill' });
  };
  for (let attempts = 0; out.length < count && top.length > 0 && attempts < 100 * count; attempts++) {
    const parent = rng.sample(top, Math.min(tournament, top.length)).reduce((a, b) => (b.valAcc > a.valAcc ? b : a));
    add(space.mutate(space.parse(parent.arch), rng));
  }
  // Nothing evaluated yet, or every neighbour of the best is taken: explore at random.
  for (let attempts = 0; out.length < count && attempts < 1000 * count; attempts++) add(space.sample(rng));
  return out;
}
