/**
 * Search reports: a self-contained HTML page per search (charts, origins,
 * Navigator strategies, LLM calls, the final architecture and how to run it
 * again) with its candidates as CSV and JSON, and comparisons of several.
 */
export { fetchRuns, gatherSearch, searchesMatching } from './gather';
export { reportFromHistories, type RunHistory } from './history';
export { renderSearchPage, CHART_IDS, type SearchPageView } from './search-page';
export { renderComparisonPage, comparisonCsv, COMPARE_CHART_ID, type ComparisonView } from './compare-page';
export { candidatesCsv, candidatesJson } from './candidates';
export {
  fileBase,
  runReportCommand,
  writeComparisonFiles,
  writeReport,
  writeSearchFiles,
  type ReportCommand,
  type ReportOptions,
  type WrittenComparison,
  type WrittenReport,
} from './write';
export type { SearchReportData } from './types';
export { ensureOutDir, OutDirError } from './out-dir';
