import { z } from 'zod';
import { firstFree, oneAtATime, type StrategyPlugin } from './types';

/** Uniform random sampling without repetition: the baseline every NAS method must beat. */
export const randomStrategy: StrategyPlugin<Record<string, never>> = {
  name: 'random',
  description: 'uniform random sampling without repetition',
  options: z.object({}).strict(),
  create: () => ({
    init: () => ({}),
    propose: oneAtATime((_state, ctx) => {
      const arch = firstFree(ctx, () => ctx.space.sample(ctx.rng), 10_000);
      return arch === null ? null : { arch, origin: 'random' };
    }),
    observe: (state) => Promise.resolve(state),
  }),
};
