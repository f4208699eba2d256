/**
 * A versioned set of CoLLM-NAS prompts. A search records the version it ran
 * with, so a recorded search replays with the wording it ran with: change the
 * wording in a new version file, never in place.
 *
 * Templates fill `{{name}}` placeholders (`render`); the Coordinator supplies
 * every value any version may use, and a template takes the ones it names.
 */
export interface PromptSet {
  version: string;
  navigatorSystem: string;
  navigatorInitial: string;
  navigatorRefine: string;
  navigatorStateless: string;
  summarize: string;
  summaryPrefix: string;
  generatorSystem: string;
  generatorUser: string;
  generatorRetry: string;
  hint: string;
  /** Asked once when the Navigator's answer lacks required sections; absent: answers are taken as they come. */
  navigatorFix?: string;
  /** The Generator's turn in edit mode (edits of the numbered best); absent: the version has no edit mode. */
  generatorEditUser?: string;
  /** The ranking turn (rankPool): a numbered pool to rank; absent: the version cannot rank. */
  rankUser?: string;
  /**
   * The Coordinator repairs a proposal that repeats an evaluated
   * architecture by mutating it (rather than dropping it and filling from the
   * best). `'best'`: only a repeat of one of the best evaluated architectures
   * (the fill's parents) is repaired; a repeat of a poor one is dropped and
   * left to the fill. Part of the version, so a recorded search replays as it ran.
   */
  repairDuplicates?: boolean | 'best';
  /**
   * The Generator's visited list is in evaluation order, its window moved in
   * blocks, so one call's prompt is a prefix of the next one's up to the
   * newly evaluated architectures (a KV cache serves the rest). Absent: the
   * best and the most recent first.
   */
  visitedInEvaluationOrder?: boolean;
}
