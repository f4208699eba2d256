import { z } from 'zod';
import { DEFAULT_PROMPT_VERSION, PROMPTS } from '../../../prompts';

/**
 * The collm strategy's own options (`strategy` fields besides `name`). Which
 * LLM plays each role is not here, nor how LLM calls are retried: the search
 * config's `llm` and `llmCalls` say that, for every strategy alike.
 */
export const collmOptions = z
  .object({
    /** Which LLM keeps its conversation: the paper's ablation; Navigator-only is the default. */
    memory: z.enum(['none', 'navigator', 'both']).default('navigator'),
    /** Iteration limit T; the evaluation budget still applies. */
    maxIterations: z.number().int().positive().optional(),
    /** Navigator conversation size (characters) above which older turns are summarised. */
    contextBudgetChars: z.number().int().min(2000).default(12_000),
    /** How many evaluated architectures the Generator is told to avoid (most recent and best first). */
    visitedInPrompt: z.number().int().min(0).default(60),
    promptVersion: z.enum(Object.keys(PROMPTS) as [string, ...string[]]).default(DEFAULT_PROMPT_VERSION),
    /**
     * "off" runs the same loop with no LLM at all: every candidate is a
     * mutation of the best (the fill), so a benchmark can tell what the LLMs add.
     */
    llms: z.enum(['on', 'off']).default('on'),
    /**
     * When an LLM call fails for good after its retries (timeouts, 429s, 5xx,
     * an endpoint gone for a while): "fill" uses the fill for that iteration
     * and records the failure; "fail" ends the search. A rejected key or an
     * unknown model always ends it.
     */
    onLlmFailure: z.enum(['fill', 'fail']).default('fill'),
    /**
     * Requests the server refuses in a row (malformed to it, too long for its
     * model; no retry fixes them) before the LLMs are given up: "fail" then
     * ends the search, "fill" goes on with the fill alone and the result says
     * the LLM contributed nothing from then on.
     */
    maxLlmRefusals: z.number().int().min(1).default(3),
    /**
     * What the Generator writes: "free", complete architectures (the
     * paper's); "edit", one or two changes to one of the best architectures
     * shown (spaces of independent choices only), so every answer the grammar
     * admits is a legal neighbour of a good architecture.
     */
    generatorMode: z.enum(['free', 'edit']).default('free'),
    /**
     * Candidates one Generator call is asked for (the paper's 10-20). Default:
     * as many as the batch needs. More (e.g. 15 for a batch of 10) keeps the
     * first new ones, so fewer iterations need the follow-up call; each answer
     * takes longer to write.
     */
    generatorCandidates: z.number().int().min(1).max(40).optional(),
    /**
     * LLM ranking: with a pool larger than the batch, the Generator's
     * candidates and mutations of the best make a pool of this many, the
     * LLM ranks it, and only the top `batchSize` are evaluated. 0: no ranking.
     */
    rankPool: z.number().int().min(0).max(200).default(0),
    /**
     * The fill: mutations of the better of `tournament` picked among the
     * `parents` best. The defaults were chosen by scripts/tune-fill.ts on
     * seeds the benchmarks do not use (100-129); see BENCHMARKS.md.
     */
    fill: z
      .object({ parents: z.number().int().min(1).default(5), tournament: z.number().int().min(1).default(2) })
      .strict()
      .default({ parents: 5, tournament: 2 }),
  })
  .strict();

export type CollmOptions = z.output<typeof collmOptions>;

/**
 * What a prompt version changes in the Coordinator's own code rather than in
 * the wording. A version names both: its prompts (src/prompts/) and these
 * switches. They are looked up by the version a search recorded, so a
 * recorded search replays as it ran: change them in a new version, never in place.
 */
export interface CoordinatorSwitches {
  /**
   * A proposal that repeats an evaluated architecture is repaired by
   * mutating it (rather than dropped and left to the fill). `'best'`: only
   * a repeat of one of the best evaluated architectures (the fill's
   * parents) is repaired; a repeat of a poor one is dropped and left to the fill.
   */
  repairDuplicates: boolean | 'best';
  /**
   * The Generator's visited list is in evaluation order, its window moved in
   * blocks, so one call's prompt is a prefix of the next one's up to the
   * newly evaluated architectures (a KV cache serves the rest). false: the
   * best and the most recent first.
   */
  visitedInEvaluationOrder: boolean;
}

/** The Coordinator's switches of every prompt version (`promptVersion`); each version in PROMPTS has an entry. */
export const COORDINATOR_SWITCHES: Readonly<Record<string, CoordinatorSwitches>> = {
  'collm-v1': { repairDuplicates: false, visitedInEvaluationOrder: false },
  'collm-v2': { repairDuplicates: true, visitedInEvaluationOrder: false },
  'collm-v3': { repairDuplicates: true, visitedInEvaluationOrder: true },
  'collm-v4': { repairDuplicates: 'best', visitedInEvaluationOrder: true },
};

// A prompt version without its switches would fail only at a search's first
// Generator call (in a workflow, a task retried forever): say so on loading.
for (const version of Object.keys(PROMPTS)) {
  if (!COORDINATOR_SWITCHES[version]) throw new Error(`prompt version ${version} has no entry in COORDINATOR_SWITCHES (src/search/strategies/collm/options.ts)`);
}
