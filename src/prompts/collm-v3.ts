import { COLLM_V2 } from './collm-v2';
import type { PromptSet } from './types';

/**
 * CoLLM-NAS prompts, version collm-v3: v2's wording, reordered so that a
 * model which keeps its KV cache between calls (the embedded one) reads only
 * what is new. The Generator's turn opens with what only grows from one
 * iteration to the next (the cost budget, then the evaluated architectures in
 * the order they were evaluated) and ends with what changes every time (the
 * best so far, the strategy, the request). v2 opened with the strategy, so
 * every call read the whole prompt again. (The visited list in evaluation
 * order is the Coordinator's part: `visitedInEvaluationOrder` in
 * src/search/strategies/collm/options.ts.)
 */
export const COLLM_V3: PromptSet = {
  ...COLLM_V2,
  version: 'collm-v3',

  generatorUser: `COST BUDGET: {{costBudget}}. Architectures over it are refused before evaluation.
ALREADY EVALUATED (canonical form; two encodings of the same network, e.g. differing only in unused positions, count as the same architecture), in the order they were evaluated:
{{visited}}

BEST SO FAR (accuracy, cost):
{{bestList}}

STRATEGY:
{{strategy}}

Write exactly {{count}} diverse, complete, valid architectures that follow the strategy. Do NOT repeat any architecture already evaluated.`,

  generatorEditUser: `COST BUDGET: {{costBudget}}. Architectures over it are refused before evaluation.
ALREADY EVALUATED (canonical form; equivalent encodings count as the same), in the order they were evaluated:
{{visited}}

THE BEST ARCHITECTURES SO FAR, numbered (accuracy, cost):
{{parents}}

STRATEGY:
{{strategy}}

Write exactly {{count}} different edits that follow the strategy. Each edit is {{editFormat}}. An edit that gives an architecture already evaluated is wasted.`,
};
