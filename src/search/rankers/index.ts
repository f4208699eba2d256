import { createRegistry } from '../../lib/registry';
import { costRanker } from './cost';
import type { RankerPlugin } from './types';

export type { RankerPlugin } from './types';

/**
 * Rankers that run inside the search. Besides these, `rank.by` may name the
 * strategy's own LLM ranking ("llm") or any evaluator (scored on a worker).
 */
export const RANKERS = createRegistry<RankerPlugin>('ranker', [
  costRanker,
]);

/** `rank.by` for the strategy's own LLM ranking. */
export const LLM_RANKER = 'llm';
