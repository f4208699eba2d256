import { z } from 'zod';
import type { Observation } from '../types';
import { firstFree, oneAtATime, type ProposeContext, type StrategyPlugin } from './types';

const options = z
  .object({
    /** Architectures kept alive; the oldest dies when a child is born. */
    populationSize: z.number().int().min(2).default(10),
    /** Tournament size: the parent is the best of this many random members. */
    sampleSize: z.number().int().min(1).default(3),
  })
  .strict()
  .refine((s) => s.sampleSize <= s.populationSize, {
    message: 'sampleSize must not exceed populationSize',
    path: ['sampleSize'],
  });

export type EvolutionOptions = z.output<typeof options>;

interface Member {
  arch: string;
  fitness: number;
}

export interface EvolutionState {
  /** Oldest first; the oldest dies when the population is full (aging). */
  population: Member[];
}

/** Infeasible members (e.g. over a latency budget) lose every tournament against feasible ones. */
function fitness(o: Observation): number {
  return o.feasible ? o.valAcc : o.valAcc - 1000;
}

function randomProposal(ctx: ProposeContext) {
  const arch = firstFree(ctx, () => ctx.space.sample(ctx.rng), 10_000);
  return arch === null ? null : { arch, origin: 'random' as const };
}

/**
 * Regularized (aging) evolution, Real et al. 2019: fill the population with
 * random architectures, then repeatedly mutate the winner of a tournament of
 * `sampleSize` random members and retire the oldest member.
 */
export const evolutionStrategy: StrategyPlugin<EvolutionOptions> = {
  name: 'evolution',
  description: 'regularized (aging) evolution with tournament selection',
  options,
  create: (params) => ({
    init: (): EvolutionState => ({ population: [] }),
    propose: oneAtATime<EvolutionState>((state, ctx, pending) => {
      // Still filling the population: random architectures, counting those in flight.
      const filling = ctx.history.length + pending < params.populationSize;
      if (filling || state.population.length === 0) return randomProposal(ctx);
      const contenders = ctx.rng.sample(state.population, params.sampleSize);
      const parent = contenders.reduce((best, m) => (m.fitness > best.fitness ? m : best));
      const parentArch = ctx.space.parse(parent.arch);
      // A mutation can land on something already evaluated; retry, then fall back to random.
      const child = firstFree(ctx, () => ctx.space.mutate(parentArch, ctx.rng), 100);
      if (child !== null) return { arch: child, origin: 'mutation' };
      return randomProposal(ctx);
    }),
    observe(state, batch) {
      const population = state.population.concat(batch.map((o) => ({ arch: o.arch, fitness: fitness(o) })));
      return Promise.resolve({ population: population.slice(Math.max(0, population.length - params.populationSize)) });
    },
  }),
};
