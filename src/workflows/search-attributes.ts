import { defineSearchAttributeKey, SearchAttributeType, type SearchAttributePair } from '@temporalio/common';
import { SCHEDULE_ID_PATTERN } from '../search/limits';

/**
 * Typed search attributes set by `nasSearch`, so searches can be listed and
 * filtered in the Web UI and with `temporal workflow list --query`, e.g.
 * `NasSpace = "nb201" AND NasBestValAcc > 91`.
 */
export const NAS_SPACE = defineSearchAttributeKey('NasSpace', SearchAttributeType.KEYWORD);
export const NAS_DATASET = defineSearchAttributeKey('NasDataset', SearchAttributeType.KEYWORD);
export const NAS_STRATEGY = defineSearchAttributeKey('NasStrategy', SearchAttributeType.KEYWORD);
export const NAS_EVALUATED = defineSearchAttributeKey('NasEvaluated', SearchAttributeType.INT);
export const NAS_BEST_VAL_ACC = defineSearchAttributeKey('NasBestValAcc', SearchAttributeType.DOUBLE);
/** With a ranking stage: candidates it kept from the evaluator (the evaluations saved). */
export const NAS_SCREENED = defineSearchAttributeKey('NasScreened', SearchAttributeType.INT);
/**
 * True while a search is paused (Temporal lists it as Running): `NasPaused =
 * true` finds them. Set only where the server has it registered (see paused.ts).
 */
export const NAS_PAUSED = defineSearchAttributeKey('NasPaused', SearchAttributeType.BOOL);

/**
 * Set by Temporal itself on every run a schedule starts: the schedule's id.
 * It finds a schedule's runs (`scheduledRunsQuery`) and tells a run which
 * schedule started it; it is built in, so it is not registered below.
 */
export const TEMPORAL_SCHEDULED_BY_ID = defineSearchAttributeKey('TemporalScheduledById', SearchAttributeType.KEYWORD);

/** Name and CLI type of each, for registering them on a server. */
export const NAS_SEARCH_ATTRIBUTES: readonly { name: string; cliType: string }[] = [
  { name: NAS_SPACE.name, cliType: 'Keyword' },
  { name: NAS_DATASET.name, cliType: 'Keyword' },
  { name: NAS_STRATEGY.name, cliType: 'Keyword' },
  { name: NAS_EVALUATED.name, cliType: 'Int' },
  { name: NAS_BEST_VAL_ACC.name, cliType: 'Double' },
  { name: NAS_SCREENED.name, cliType: 'Int' },
  { name: NAS_PAUSED.name, cliType: 'Bool' },
];

/** What a search is, as attributes: set by the client at start and by the workflow itself (for `temporal workflow start`). */
export function identityAttributes(config: { space: string; dataset: string; strategy: { name: string } }): SearchAttributePair[] {
  return [
    { key: NAS_SPACE, value: config.space },
    { key: NAS_DATASET, value: config.dataset },
    { key: NAS_STRATEGY, value: config.strategy.name },
  ];
}

/** How far a search has got, upserted after every batch; `screened` only for a search with a ranking stage. */
export function progressAttributes(evaluated: number, bestValAcc: number | undefined, screened?: number): SearchAttributePair[] {
  return [
    { key: NAS_EVALUATED, value: evaluated },
    ...(bestValAcc !== undefined ? [{ key: NAS_BEST_VAL_ACC, value: bestValAcc }] : []),
    ...(screened !== undefined ? [{ key: NAS_SCREENED, value: screened }] : []),
  ];
}

/**
 * Visibility query for the `nasSearch` runs a schedule started, e.g. the
 * completed ones a warm start reads: `TemporalScheduledById = 'nightly' AND
 * ExecutionStatus = 'Completed'`.
 */
export function scheduledRunsQuery(scheduleId: string, status?: 'Running' | 'Completed' | 'Failed' | 'Terminated' | 'Canceled' | 'TimedOut'): string {
  // Called by the warm-start activity and the client, never inside the workflow.
  // eslint-disable-next-line no-restricted-syntax
  if (!SCHEDULE_ID_PATTERN.test(scheduleId)) throw new Error(`schedule id ${JSON.stringify(scheduleId)}: quotes and backslashes are not allowed`);
  return [`${TEMPORAL_SCHEDULED_BY_ID.name} = '${scheduleId}'`, `WorkflowType = 'nasSearch'`, ...(status ? [`ExecutionStatus = '${status}'`] : [])].join(' AND ');
}
