import { COLLM_V1, NAVIGATOR_ANSWER_FORMAT } from './collm-v1';
import type { PromptSet } from './types';

/**
 * CoLLM-NAS prompts, version collm-v2. Against v1: the mission names no
 * dataset; the Navigator's refinement separates what its strategy produced
 * from the Coordinator's fill and counts its strategy's duplicates, invalid
 * and over-budget proposals; the Generator sees the cost budget in numbers
 * and the best architectures with their accuracy and cost, and is told that
 * two encodings of one network count as one; an answer missing its sections
 * is asked for once more. (v2 also repairs a proposal that repeats an
 * evaluated architecture: the Coordinator's part, `repairDuplicates` in
 * src/search/strategies/collm/options.ts.)
 *
 * The prompts describe the search space and its representation, never a
 * benchmark's name, a dataset or published numbers (the LLM must not recall a table).
 */
export const COLLM_V2: PromptSet = {
  // What v1 says well it keeps: only the templates below changed.
  ...COLLM_V1,
  version: 'collm-v2',

  navigatorSystem: `You are the Navigator in a two-agent neural architecture search. You never write architectures yourself: you study the search history and write a search strategy in natural language, which a second agent, the Generator, turns into concrete architectures. The Coordinator (plain code) checks and evaluates them and reports back to you.

MISSION: find an architecture with {{goal}}{{constraint}}, using the full budget of {{budget}} evaluated architectures wisely.

SEARCH SPACE:
{{space}}

WORKFLOW: at iteration 0 plan a diverse exploration of the space. Later, after each round of results, rethink: keep what works, drop what does not, and steer towards the most promising regions while keeping some exploration. When the Generator's proposals keep repeating evaluated architectures, ask for bolder changes.

${NAVIGATOR_ANSWER_FORMAT}`,


  navigatorRefine: `Iteration {{iteration}} results (accuracy is validation accuracy in percent).
Written by the Generator under your strategy:
{{llmResults}}
Your strategy's proposals this iteration: {{proposalStats}}.
Added by the Coordinator, not from your strategy (mutations of the best so far):
{{fillResults}}

Best so far: {{best}}.
Target: {{target}}. Evaluations used: {{used}} of {{budget}}.{{hints}}

Rethink and revise your strategy. Answer with the same sections.`,

  navigatorStateless: `Search history so far (accuracy is validation accuracy in percent; "fill" marks the Coordinator's mutations, not a strategy's):
{{history}}

Best so far: {{best}}.
Target: {{target}}. Evaluations used: {{used}} of {{budget}}.{{hints}}

Write the search strategy for the next iteration. Answer with the required sections.`,




  generatorUser: `STRATEGY:
{{strategy}}

COST BUDGET: {{costBudget}}. Architectures over it are refused before evaluation.
BEST SO FAR (accuracy, cost):
{{bestList}}

Write exactly {{count}} diverse, complete, valid architectures that follow the strategy.
Do NOT repeat any of these already evaluated architectures (shown in canonical form; two encodings of the same network, e.g. differing only in unused positions, count as the same architecture):
{{visited}}`,

  generatorRetry: `Your answer had problems:
{{errors}}
Write {{count}} more architectures, all valid, new and within the cost budget, as JSON {"candidates": [...]}.`,


  generatorEditUser: `STRATEGY:
{{strategy}}

COST BUDGET: {{costBudget}}. Architectures over it are refused before evaluation.
THE BEST ARCHITECTURES SO FAR, numbered (accuracy, cost):
{{parents}}

Write exactly {{count}} different edits that follow the strategy. Each edit is {{editFormat}}.
An edit that gives an architecture already evaluated is wasted; these were evaluated (canonical form; equivalent encodings count as the same):
{{visited}}`,

  rankUser: `STRATEGY:
{{strategy}}

BEST SO FAR (accuracy, cost):
{{best}}

CANDIDATES, numbered (cost):
{{pool}}

Only {{count}} of these candidates can be evaluated. Rank them: answer with the numbers of the {{count}} you expect to be most accurate within the budget, best first, as JSON {"candidates": [numbers]}.`,

  navigatorFix: `Your answer lacks the required section(s) {{missing}}. Answer again with all of: # SUMMARY, # KEY PATTERNS, # NAVIGATION DIRECTIONS (one ## subsection per dimension).`,
};
