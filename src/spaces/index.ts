import { createRegistry } from '../lib/registry';
import { nb201Space } from './nb201';
import type { SearchSpace } from './types';

export type { Cost, SearchSpace } from './types';
export { ArchitectureError } from './types';

/** Every search space by the name a search config gives as `space`. One line each. */
export const SPACES = createRegistry<SearchSpace<any>>('search space', [
  nb201Space,
]);

export function getSpace(name: string): SearchSpace<unknown> {
  return SPACES.get(name);
}
