import { createRegistry } from '../lib/registry';
import { autoformerBSpace, autoformerSSpace, autoformerTSpace } from './autoformer';
import { nb201Space } from './nb201';
import { ofaMbv3W10Space, ofaMbv3W12Space } from './ofa-mbv3';
import { sposSpace } from './spos';
import type { SearchSpace } from './types';

export type { Cost, SearchSpace } from './types';
export { ArchitectureError } from './types';

/** Every search space by the name a search config gives as `space`. One line each. */
export const SPACES = createRegistry<SearchSpace<any>>('search space', [
  nb201Space,
  ofaMbv3W10Space,
  ofaMbv3W12Space,
  sposSpace,
  autoformerTSpace,
  autoformerSSpace,
  autoformerBSpace,
]);

export function getSpace(name: string): SearchSpace<unknown> {
  return SPACES.get(name);
}
