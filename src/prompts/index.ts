import { COLLM_V1 } from './collm-v1';
import { COLLM_V2 } from './collm-v2';
import { COLLM_V3 } from './collm-v3';
import { COLLM_V4 } from './collm-v4';
import type { PromptSet } from './types';

export type { PromptSet } from './types';

/** Every prompt version by name; a search names one (strategy.promptVersion). */
export const PROMPTS: Readonly<Record<string, PromptSet>> = {
  [COLLM_V1.version]: COLLM_V1,
  [COLLM_V2.version]: COLLM_V2,
  [COLLM_V3.version]: COLLM_V3,
  [COLLM_V4.version]: COLLM_V4,
};

/**
 * The prompt version a search gets when its config names none. Not the newest
 * version: collm-v4 scored higher but left fewer evaluations to the LLMs'
 * proposals and ran slower, so collm-v3 stays the default (BENCHMARKS.md,
 * "collm-v4, and LLM ranking"). A search records the version it resolved, so
 * changing this changes only searches started afterwards.
 */
export const DEFAULT_PROMPT_VERSION = COLLM_V3.version;

/** Replaces each {{name}}; a missing value is a bug, so it throws rather than leave a hole. */
export function render(template: string, values: Record<string, string | number>): string {
  return template.replace(/\{\{(\w+)\}\}/g, (_, name: string) => {
    const value = values[name];
    if (value === undefined) throw new Error(`prompt placeholder {{${name}}} has no value`);
    return String(value);
  });
}
