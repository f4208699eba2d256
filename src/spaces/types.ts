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
}
