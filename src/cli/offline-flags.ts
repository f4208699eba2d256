import { SPACES } from '../spaces';
import type { SearchSpace } from '../spaces/types';
import { usageError } from './errors';

/**
 * The flags `cost` and `evaluate` share, checked before any work so that a
 * typo is a usage error naming the flag and the choices.
 */
export interface ArchFlags {
  space: string;
  arch: string;
  dataset?: string;
}

export function checkArchFlags(command: string, flags: ArchFlags): SearchSpace<unknown> {
  if (!SPACES.has(flags.space)) throw usageError(`--space: unknown search space '${flags.space}'; ${SPACES.hint}`);
  const space = SPACES.get(flags.space) as SearchSpace<unknown>;
  if (flags.dataset !== undefined && !space.datasets.includes(flags.dataset)) {
    throw usageError(`--dataset: ${space.name} has no dataset '${flags.dataset}'; use one of ${space.datasets.join(', ')}`);
  }
  if (!flags.arch.trim()) throw usageError(`--arch is empty; give an architecture of ${space.name}, format ${space.jsonFormat} (see collm-nas ${command} --help)`);
  return space;
}

/** offline.ts names the flag at the start of an input error ("--arch is not...", "--options: ..."). */
export function isFlagError(err: unknown): boolean {
  return err instanceof Error && /^--[a-z]/.test(err.message);
}
