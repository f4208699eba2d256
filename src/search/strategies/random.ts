import { firstFree, type Strategy } from './strategy';

/** Uniform random sampling without repetition: the baseline every NAS method must beat. */
export const randomSearch: Strategy<Record<string, never>> = {
  init: () => ({}),
  propose(_state, ctx) {
    const arch = firstFree(ctx, () => ctx.space.sample(ctx.rng), 10_000);
    return arch === null ? null : { arch, origin: 'random' };
  },
  update: (state) => state,
};
