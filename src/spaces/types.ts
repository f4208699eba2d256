import type { z } from 'zod';
import type { Rng } from '../lib/rng';

/** Cost of one architecture, in the units users set constraints in. */
export interface Cost {
  /** Millions of multiply-accumulates. */
  flopsM: number;
  /** Millions of parameters. */
  paramsM: number;
  /** Measured or tabulated latency, when an evaluator provides one. */
  latencyMs?: number;
}

/** Thrown when an architecture's text or JSON is not a member of the space. */
export class ArchitectureError extends Error {
  constructor(
    message: string,
    /** Where in the input the problem is, e.g. "position 3" or "edges[2].op". */
    readonly where?: string,
  ) {
    super(message);
    this.name = 'ArchitectureError';
  }

  /** An illegal architecture stays illegal: evaluating it again cannot help. */
  readonly retryable = false;
}

/**
 * An architecture as a fixed list of independent categorical decisions: the
 * encoding that strategies learning a distribution over choices (REINFORCE,
 * and any other per-decision policy) work in.
 *
 * The space must be the full product of the decisions: every list of
 * indices, one in range per decision, decodes to a member of the space, and
 * every member encodes to one. `decode(encode(a))` is `a` (the same text
 * under `format`) and `encode(decode(i))` is `i`. Two index lists may decode
 * to equivalent architectures (the same `key`); the encoding is of choices,
 * not of functions.
 */
export interface CategoricalDecisions<A> {
  /**
   * One entry per decision, in a fixed order; each lists that decision's
   * options as the space's JSON form writes them (e.g. NAS-Bench-201's
   * operation names), in a fixed order. A choice is an index into its list.
   * Every decision has at least two options.
   */
  readonly choices: readonly (readonly unknown[])[];
  /** The index chosen for each decision, in `choices` order. */
  encode(arch: A): number[];
  /** The architecture of one index per decision; an ArchitectureError for a wrong length or an index out of range. */
  decode(indices: readonly number[]): A;
}

/** Checks an index list against `choices` (for `decode`): one integer in range per decision. */
export function checkDecisionIndices(indices: readonly number[], choices: readonly (readonly unknown[])[]): void {
  if (!Array.isArray(indices) || indices.length !== choices.length) {
    throw new ArchitectureError(`expected ${choices.length} decision indices, got ${Array.isArray(indices) ? indices.length : typeof indices}`);
  }
  indices.forEach((index, i) => {
    const n = choices[i]!.length;
    if (!Number.isInteger(index) || index < 0 || index >= n) {
      throw new ArchitectureError(`decision ${i}: index ${String(index)} is not an integer in [0, ${n})`, `decision ${i}`);
    }
  });
}

/**
 * What the search core needs from a search space. Everything here is pure
 * and deterministic so that it can run inside a workflow.
 *
 * Architectures cross process boundaries (workflow history, activities) in
 * their text form, `format(arch)`, which is short and human readable.
 */
export interface SearchSpace<A = unknown> {
  readonly name: string;
  /** The evaluator a search uses unless its config names another (`evaluation.evaluator`). */
  readonly defaultEvaluator: string;
  /** Datasets the space has costs (and usually evaluators) for; the first is the default. */
  readonly datasets: readonly string[];
  /** JSON form of one architecture (what an LLM writes). */
  readonly schema: z.ZodType<A>;
  /**
   * The space and its representation, for people and LLM prompts. It names no
   * benchmark and quotes no benchmark numbers.
   */
  readonly description: string;
  /** The independent choices of an architecture, one strategy subsection each. */
  readonly dimensions: readonly string[];
  /** How one architecture is written as JSON (the Generator's output format). */
  readonly jsonFormat: string;
  parse(text: string): A;
  /**
   * Like `parse`, but admits what costing may need beyond the search's
   * choices (e.g. any input resolution, for published subnets outside the
   * searched list). Absent: `parse`.
   */
  parseForCost?(text: string): A;
  format(arch: A): string;
  /** Equal for architectures that compute the same function. */
  key(arch: A): string;
  sample(rng: Rng): A;
  /** A neighbour that differs in exactly one choice. */
  mutate(arch: A, rng: Rng): A;
  cost(arch: A, dataset: string): Cost;
  /**
   * The architecture as independent categorical decisions, for strategies
   * that need one (e.g. reinforce). Absent where choices depend on each
   * other (variable depth, choices that only exist for some values of others).
   */
  readonly decisions?: CategoricalDecisions<A>;
}
