import { z } from 'zod';
import type { CategoricalDecisions } from '../../spaces/types';
import type { Observation } from '../types';
import { firstFree, oneAtATime, type ProposeContext, type StrategyPlugin } from './types';

const options = z
  .object({
    /** Step size of the policy update (Adam's, as NAS-Bench-201's REINFORCE; plain gradient ascent with `optimizer: "sgd"`). */
    learningRate: z.number().positive().default(0.01),
    /**
     * Momentum of the exponential moving average of rewards that serves as
     * the baseline. Above 0: the average takes in the reward before the
     * advantage is computed, as in NAS-Bench-201, so 0 would cancel every update.
     */
    momentum: z.number().gt(0).lt(1).default(0.9),
    /**
     * "adam": the update NAS-Bench-201 / NATS-Bench run (torch.optim.Adam on
     * the policy loss); "sgd": θ += learningRate · advantage · ∇log π.
     */
    optimizer: z.enum(['adam', 'sgd']).default('adam'),
  })
  .strict();

export type ReinforceOptions = z.output<typeof options>;

export interface ReinforceState {
  /** One list of logits per decision of the space, one logit per option; the policy is their softmax. */
  logits: number[][];
  /** Bias-corrected moving average of the rewards so far; null before the first. */
  baseline: number | null;
  /** Rewards folded in so far: the moving average's bias correction and Adam's step count. */
  steps: number;
  /** Adam's first and second moment estimates, shaped like `logits` (zeros with "sgd", unused). */
  adam: { m: number[][]; v: number[][] };
}

const ADAM_BETA1 = 0.9;
const ADAM_BETA2 = 0.999;
const ADAM_EPS = 1e-8;
/** Policy draws per proposal before falling back to uniform random sampling. */
const POLICY_ATTEMPTS = 100;

export function softmax(logits: readonly number[]): number[] {
  const top = Math.max(...logits);
  const exps = logits.map((l) => Math.exp(l - top));
  const sum = exps.reduce((a, b) => a + b, 0);
  return exps.map((e) => e / sum);
}

/**
 * Validation accuracy in [0, 1]; an infeasible candidate (over a latency
 * budget, known only after evaluation) scores below every feasible one.
 */
function reward(o: Observation): number {
  return o.feasible ? o.valAcc / 100 : o.valAcc / 100 - 1;
}

function sampleIndex(probs: readonly number[], u: number): number {
  let acc = 0;
  for (let i = 0; i < probs.length; i++) {
    acc += probs[i]!;
    if (u < acc) return i;
  }
  // Rounding can leave the sum a hair under 1.
  return probs.length - 1;
}

const noDecisions = (space: { name: string; decisions?: unknown }): string | undefined =>
  space.decisions
    ? undefined
    : `strategy reinforce needs a space with a categorical encoding (decisions); space ${space.name} has none (use random or evolution there)`;

function decisionsOf(space: { name: string; decisions?: CategoricalDecisions<unknown> }): CategoricalDecisions<unknown> {
  if (!space.decisions) throw new Error(noDecisions(space));
  return space.decisions;
}

/**
 * REINFORCE (Williams 1992) as NAS-Bench-201 (Dong & Yang, ICLR 2020) and
 * NATS-Bench run it: a policy of independent categorical distributions, one
 * per decision of the space, parameterised by logits θ (starting uniform).
 * Each architecture it samples is scored by its validation accuracy (reward
 * in [0, 1]); with b the bias-corrected moving average of rewards, updated
 * with the reward first as in their code, the policy-gradient step is
 * (r − b) · (one-hot(choice) − softmax(θ)) per decision, applied with Adam
 * (their optimizer) or plain gradient ascent. Observations update the policy
 * one at a time, in proposal order; a batch is sampled from one policy.
 *
 * Unlike the benchmarks' loop, the budget counts unique architectures: a
 * sample already evaluated (same `key`) or over a known cost constraint is
 * drawn again, up to 100 times, then replaced by a uniform random one.
 */
export const reinforceStrategy: StrategyPlugin<ReinforceOptions> = {
  name: 'reinforce',
  description: 'REINFORCE policy gradient over independent categorical choices (NAS-Bench-201 baseline)',
  options,
  unsupported: noDecisions,
  create: (params, { space }) => {
    const decisions = decisionsOf(space);
    const zeros = () => decisions.choices.map((c) => c.map(() => 0));

    const samplePolicy = (probs: readonly number[][], ctx: ProposeContext): unknown =>
      decisions.decode(probs.map((p) => sampleIndex(p, ctx.rng.next())));
    // Observations carry text; the space parses it back into choices.
    const choicesOf = (o: Observation): number[] => decisions.encode(space.parse(o.arch));

    const step = (state: ReinforceState, o: Observation): ReinforceState => {
      const r = reward(o);
      const steps = state.steps + 1;
      const m = params.momentum;
      // NB201's ExponentialMovingAverage: numerator / (1 − mᵗ), so the first reward is the baseline.
      const numerator = state.baseline === null ? 0 : state.baseline * (1 - m ** state.steps);
      const baseline = (m * numerator + (1 - m) * r) / (1 - m ** steps);
      const advantage = r - baseline;
      const chosen = choicesOf(o);
      const grads = state.logits.map((row, d) => softmax(row).map((p, k) => advantage * ((chosen[d] === k ? 1 : 0) - p)));
      if (params.optimizer === 'sgd') {
        return {
          ...state,
          steps,
          baseline,
          logits: state.logits.map((row, d) => row.map((l, k) => l + params.learningRate * grads[d]![k]!)),
        };
      }
      const adamM = state.adam.m.map((row, d) => row.map((x, k) => ADAM_BETA1 * x + (1 - ADAM_BETA1) * grads[d]![k]!));
      const adamV = state.adam.v.map((row, d) => row.map((x, k) => ADAM_BETA2 * x + (1 - ADAM_BETA2) * grads[d]![k]! ** 2));
      const c1 = 1 - ADAM_BETA1 ** steps;
      const c2 = 1 - ADAM_BETA2 ** steps;
      const logits = state.logits.map((row, d) =>
        row.map((l, k) => l + (params.learningRate * (adamM[d]![k]! / c1)) / (Math.sqrt(adamV[d]![k]! / c2) + ADAM_EPS)),
      );
      return { logits, baseline, steps, adam: { m: adamM, v: adamV } };
    };

    return {
      init: (): ReinforceState => ({ logits: zeros(), baseline: null, steps: 0, adam: { m: zeros(), v: zeros() } }),
      propose: oneAtATime<ReinforceState>((state, ctx) => {
        const probs = state.logits.map(softmax);
        const sampled = firstFree(ctx, () => samplePolicy(probs, ctx), POLICY_ATTEMPTS);
        if (sampled !== null) return { arch: sampled, origin: 'policy' };
        const arch = firstFree(ctx, () => ctx.space.sample(ctx.rng), 10_000);
        return arch === null ? null : { arch, origin: 'random' };
      }),
      observe: (state, batch) => Promise.resolve(batch.reduce(step, state)),
    };
  },
};
