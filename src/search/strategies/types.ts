import type { z } from 'zod';
import type { Rng } from '../../lib/rng';
import type { Claims } from '../claims';
import type { LlmPort } from '../../llm/types';
import type { SearchSpace } from '../../spaces/types';
import type { Observation, Origin, Screened, SearchConfig, SearchState, StopReason } from '../types';

/** What a strategy may use while proposing. All of it is deterministic given the LLM's answers. */
export interface ProposeContext {
  space: SearchSpace<unknown>;
  rng: Rng;
  /**
   * What was evaluated, failed or is already in this batch. A strategy claims
   * each architecture it proposes, so a batch never repeats one.
   */
  claims: Claims;
  /** Cost constraint check that needs no evaluation (FLOPs, params); true when it cannot be known yet. */
  isFeasible(arch: unknown): boolean;
  /** The search so far (strategies must not read test accuracies: use `history`). */
  search: SearchState;
  /** Every evaluation so far, oldest first, without test accuracies. */
  history: readonly Observation[];
  /**
   * With a ranking stage: the most recent candidates it kept from evaluation,
   * with their cheap scores. They are not taken: a strategy may propose one again.
   */
  screened: readonly Screened[];
  /** Candidates already in the batch being built (seed architectures). */
  pending: number;
  /** The LLM, for strategies with LLM roles; undefined when none was given. */
  llm?: LlmPort;
  /** Steering hints from people that arrived since the last call (taken once). */
  takeHints(): string[];
}

/** What a strategy sees after a batch. */
export type ObserveContext = Omit<ProposeContext, 'claims' | 'isFeasible' | 'pending'>;

export interface Proposal {
  arch: unknown;
  origin: Origin;
}

/**
 * A search strategy: functions over a JSON-serialisable state, so that the
 * state can be carried across continue-as-new. `propose` and `observe` may
 * ask an LLM through the context's port; everything else is pure.
 */
export interface Strategy<S = unknown> {
  init(): S;
  /**
   * Up to `count` new, feasible architectures, each claimed in
   * `ctx.claims`. Fewer (or none) when the strategy can find no more.
   */
  propose(state: S, ctx: ProposeContext, count: number): Promise<{ state: S; proposals: Proposal[] }>;
  /** Folds a finished batch (in proposal order) into the state; called while the search goes on. */
  observe(state: S, batch: readonly Observation[], ctx: ObserveContext): Promise<S>;
  /** A reason of the strategy's own to stop (e.g. an iteration limit). */
  stopReason?(state: S, search: SearchState): StopReason | undefined;
  /** Figures for the result (LLM calls, tokens...), when the strategy keeps any. */
  report?(state: S): Record<string, number | string>;
}

/** What a strategy is built from. */
export interface StrategySetup {
  config: SearchConfig;
  space: SearchSpace<unknown>;
}

/**
 * A strategy as a plug-in: its name in a search config (`strategy.name`), its
 * own options (the other fields of `strategy`), the LLM roles it talks to
 * (each configured through the config's `llm`), and a factory.
 */
export interface StrategyPlugin<O = any> {
  readonly name: string;
  /** One line for help and error messages. */
  readonly description: string;
  /** The strategy's fields of a `strategy` config besides `name`, with defaults; strict. */
  readonly options: z.ZodType<O>;
  /** Roles it asks an LLM to play, e.g. ["navigator", "generator"]; none for classic strategies. */
  readonly llmRoles?: readonly string[];
  /**
   * Its own option that has its LLM rank a pool of that many candidates,
   * which a search's `rank: {by: "llm", pool}` sets; absent: it cannot rank with an LLM.
   */
  readonly llmRankPoolOption?: string;
  /** Why it cannot search this space with these options (checked when the config is resolved), or undefined when it can. */
  unsupported?(space: SearchSpace<unknown>, options: O): string | undefined;
  create(options: O, setup: StrategySetup): Strategy<any>;
}

/** Tries to find an untaken, feasible architecture drawn from `draw`. */
export function firstFree(ctx: ProposeContext, draw: () => unknown, attempts: number): unknown {
  for (let i = 0; i < attempts; i++) {
    const arch = draw();
    if (!ctx.claims.has(arch) && ctx.isFeasible(arch)) return arch;
  }
  return null;
}

/**
 * Turns a one-at-a-time proposer into a batch `propose`: the classic
 * strategies choose each candidate knowing those before it in the batch.
 */
export function oneAtATime<S>(
  next: (state: S, ctx: ProposeContext, pending: number) => Proposal | null,
): Strategy<S>['propose'] {
  return (state, ctx, count) => {
    const proposals: Proposal[] = [];
    while (proposals.length < count) {
      const p = next(state, ctx, ctx.pending + proposals.length);
      if (p === null) break;
      ctx.claims.claim(p.arch);
      proposals.push(p);
    }
    return Promise.resolve({ state, proposals });
  };
}
