import { nb201Space } from './nb201';
import type { SearchSpace } from './types';

export type { Cost, SearchSpace } from './types';
export { ArchitectureError } from './types';

/** Every search space by the name users put in a search config. */
export const SPACES: Readonly<Record<string, SearchSpace<any>>> = {
  nb201: nb201Space,
};

export const SPACE_NAMES = Object.keys(SPACES);

export function getSpace(name: string): SearchSpace<unknown> {
  const space = SPACES[name];
  if (!space) throw new Error(`space: unknown search space '${name}'; use one of ${SPACE_NAMES.join(', ')}`);
  return space;
}
