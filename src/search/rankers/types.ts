import type { z } from 'zod';
import type { SearchSpace } from '../../spaces/types';

/**
 * A ranker that scores a pool inside the search itself, deterministically and
 * for free (the cost model). Rankers that need a worker (any evaluator) are
 * scored through the engine's `score` port instead, and the strategy's own
 * LLM ranking through the strategy.
 */
export interface RankerPlugin<O = any> {
  readonly name: string;
  /** One line for help and error messages. */
  readonly description: string;
  /** Its options (`rank.options`), with defaults; strict. */
  readonly options: z.ZodType<O>;
  /** Why it cannot rank this space (checked when the config is resolved), or undefined when it can. */
  unsupported?(space: SearchSpace<unknown>, options: O): string | undefined;
  /** One score per architecture, higher ranked first. */
  score(archs: readonly unknown[], options: O, setup: { space: SearchSpace<unknown>; dataset: string }): number[];
}
