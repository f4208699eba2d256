import type { SearchSpace } from '../../spaces/types';
import type { Rng } from '../rng';
import type { Observation, Origin } from '../types';

/** What a strategy may use while proposing. All of it is deterministic. */
export interface ProposeContext<A> {
  space: SearchSpace<A>;
  rng: Rng;
  /** True when an architecture with this canonical key was evaluated or is already in this batch. */
  isTaken(key: string): boolean;
  /** Cost constraint check that needs no evaluation (FLOPs, params); true when it cannot be known yet. */
  isFeasible(arch: A): boolean;
  /** Every evaluation so far, oldest first (no test accuracies). */
  history: readonly Observation[];
  /** Candidates already proposed in the batch being built. */
  pending: number;
}

export interface Proposal<A> {
  arch: A;
  origin: Origin;
}

/**
 * A baseline search strategy: pure functions over a JSON-serialisable state,
 * so that the state can be carried across continue-as-new.
 */
export interface Strategy<S, A = unknown> {
  init(): S;
  /** One new, untaken, feasible architecture, or null when none can be found. */
  propose(state: S, ctx: ProposeContext<A>): Proposal<A> | null;
  /** Folds a finished batch (in proposal order) into the state. */
  update(state: S, batch: readonly Observation[]): S;
}

/** Tries to find an untaken, feasible architecture drawn from `draw`. */
export function firstFree<A>(ctx: ProposeContext<A>, draw: () => A, attempts: number): A | null {
  for (let i = 0; i < attempts; i++) {
    const arch = draw();
    if (!ctx.isTaken(ctx.space.key(arch)) && ctx.isFeasible(arch)) return arch;
  }
  return null;
}
