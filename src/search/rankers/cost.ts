import { z } from 'zod';
import type { RankerPlugin } from './types';

const options = z
  .object({
    /** Which of the cost model's figures ranks: a network's size is its capacity. */
    metric: z.enum(['flops', 'params']).default('flops'),
    /** Larger first (accuracy grows with size), or smaller first when the goal is a small network. */
    prefer: z.enum(['larger', 'smaller']).default('larger'),
  })
  .strict();

export type CostRankerOptions = z.output<typeof options>;

/**
 * The cost model as a ranker: free, and on NAS-Bench-201 already a strong
 * one, since accuracy grows with size. Any other ranker earns its place by
 * beating it, as the search with the LLMs off is the control for the LLMs.
 */
export const costRanker: RankerPlugin<CostRankerOptions> = {
  name: 'cost',
  description: 'the cost model: larger FLOPs (or params) first, or smaller first',
  options,
  score(archs, o, { space, dataset }) {
    const sign = o.prefer === 'larger' ? 1 : -1;
    return archs.map((arch) => {
      const cost = space.cost(arch, dataset);
      return sign * (o.metric === 'flops' ? cost.flopsM : cost.paramsM);
    });
  },
};
