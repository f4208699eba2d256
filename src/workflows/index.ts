// Every workflow type the control worker registers. Workflow code runs in
// Temporal's deterministic sandbox: it may import only pure code (src/search,
// src/spaces, src/lib, src/prompts) and activity types.
export { nasSearch } from './nas-search';
export {
  progressQuery,
  pauseSignal,
  resumeSignal,
  stopSignal,
  steerSignal,
  extendBudgetUpdate,
  type SearchProgress,
  type CarriedState,
  type SearchMemo,
} from './api';
