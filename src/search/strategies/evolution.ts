import type { Observation } from '../types';
import { randomSearch } from './random';
import { firstFree, type Strategy } from './strategy';

export interface EvolutionParams {
  populationSize: number;
  sampleSize: number;
}

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

/**
 * Regularized (aging) evolution, Real et al. 2019: fill the population with
 * random architectures, then repeatedly mutate the winner of a tournament of
 * `sampleSize` random members and retire the oldest member.
 */
export function regularizedEvolution(params: EvolutionParams): Strategy<EvolutionState> {
  return {
    init: () => ({ population: [] }),
    propose(state, ctx) {
      // Still filling the population: random architectures, counting those in flight.
      const filling = ctx.history.length + ctx.pending < params.populationSize;
      if (filling || state.population.length === 0) return randomSearch.propose({}, ctx);
      const contenders = ctx.rng.sample(state.population, params.sampleSize);
      const parent = contenders.reduce((best, m) => (m.fitness > best.fitness ? m : best));
      const parentArch = ctx.space.parse(parent.arch);
      // A mutation can land on something already evaluated; retry, then fall back to random.
      const child = firstFree(ctx, () => ctx.space.mutate(parentArch, ctx.rng), 100);
      if (child !== null) return { arch: child, origin: 'mutation' };
      return randomSearch.propose({}, ctx);
    },
    update(state, batch) {
      const population = state.population.concat(batch.map((o) => ({ arch: o.arch, fitness: fitness(o) })));
      return { population: population.slice(Math.max(0, population.length - params.populationSize)) };
    },
  };
}

