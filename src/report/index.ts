/**
 * Search reports: a self-contained HTML page per search (charts, origins,
 * the strategy's own story, LLM calls with their prompts and answers, every
 * evaluation in a table to sort and filter, the final architecture and how
 * to run it again) with its candidates as CSV and JSON, comparisons of
 * several, and the same page served live while a search runs.
 */
export { fetchRuns, gatherSearch, searchesMatching } from './gather';
export { reportFromHistories, type RunHistory } from './history';
export { renderSearchPage, CHART_IDS, type LiveView, type SearchPageView } from './search-page';
export { renderComparisonPage, comparisonCsv, COMPARE_CHART_ID, type ComparisonView } from './compare-page';
export { BELOW_AXIS } from './charts';
export { candidatesCsv, candidatesJson } from './candidates';
export { fileBase, renderSearchReport, type RenderedReport } from './render';
export {
  runReportCommand,
  writeComparisonFiles,
  writeReport,
  writeSearchFiles,
  type ReportCommand,
  type ReportOptions,
  type WrittenComparison,
  type WrittenReport,
} from './write';
export { checkHost, DEFAULT_HOST, DEFAULT_PORT, isLoopback, serveReport, serveSearchReport, ServeError, type ReportServer, type ServeOptions } from './serve';
export { DEFAULT_INTERVAL_MS, type LiveState } from './live';
export type { SearchReportData } from './types';
export { ensureOutDir, OutDirError } from './out-dir';
