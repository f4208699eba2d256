import { COLLM_V3 } from './collm-v3';
import type { PromptSet } from './types';

/**
 * CoLLM-NAS prompts, version collm-v4: v3's wording, unchanged; only the
 * Coordinator's handling of repeats differs (`repairDuplicates: 'best'` in
 * src/search/strategies/collm/options.ts). Since v2 every proposal that repeats an
 * evaluated architecture was repaired by mutating it, and a small model
 * repeats poor architectures as often as good ones (the empty cell, say), so
 * repairs spent evaluations next to poor picks. v4 repairs only a repeat of
 * one of the best evaluated architectures (the fill's parents); any other
 * repeat is dropped and the fill mutates the best instead.
 */
export const COLLM_V4: PromptSet = {
  ...COLLM_V3,
  version: 'collm-v4',
};
