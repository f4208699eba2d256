/**
 * A versioned set of CoLLM-NAS prompts. A search records the version it ran
 * with, so a recorded search replays with the wording it ran with: change the
 * wording in a new version file, never in place.
 *
 * Templates fill `{{name}}` placeholders (`render`); the Coordinator supplies
 * every value any version may use, and a template takes the ones it names.
 *
 * Prompt text only. What a version changes in the Coordinator's own code (which
 * repeats it repairs, the order of the visited list) is in the collm
 * strategy's table of versions, `COORDINATOR_SWITCHES` in
 * src/search/strategies/collm/options.ts, under the same version name.
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
}
