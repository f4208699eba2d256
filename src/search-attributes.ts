import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

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

/** Name and CLI type of each, for registering them on a server. */
export const NAS_SEARCH_ATTRIBUTES: readonly { name: string; cliType: string }[] = [
  { name: NAS_SPACE.name, cliType: 'Keyword' },
  { name: NAS_DATASET.name, cliType: 'Keyword' },
  { name: NAS_STRATEGY.name, cliType: 'Keyword' },
  { name: NAS_EVALUATED.name, cliType: 'Int' },
  { name: NAS_BEST_VAL_ACC.name, cliType: 'Double' },
];

export const CONTROL_TASK_QUEUE = 'nas-control';
export const EVAL_TASK_QUEUE = 'nas-eval';
