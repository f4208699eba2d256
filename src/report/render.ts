import { EVALUATORS } from '../evaluators/registry';
import { shellWord } from '../lib/shell';
import { candidatesCsv, candidatesJson } from './candidates';
import { redactSecrets } from './redact';
import { renderSearchPage, type LiveView } from './search-page';
import type { SearchReportData } from './types';

/**
 * One search's report as texts: the page and the files beside it, the same
 * whether they are written to disk (./write.ts) or served (./serve.ts).
 * Credentials in URLs are redacted from everything first.
 */

/** A file name for a workflow id (ids may hold any character). */
export function fileBase(workflowId: string): string {
  const safe = workflowId.replace(/[^A-Za-z0-9._-]/g, '_').replace(/^\.+/, '_').slice(0, 150);
  return safe || 'search';
}

/** The names of a search's report files: the page and, beside it, its candidates and config. */
export function reportNames(workflowId: string): { html: string; csv: string; json: string; config: string } {
  const base = fileBase(workflowId);
  return { html: `${base}.html`, csv: `${base}.candidates.csv`, json: `${base}.candidates.json`, config: `${base}.config.json` };
}

export function accuracyLabel(evaluators: readonly (string | undefined)[]): string {
  const names = [...new Set(evaluators)];
  const only = names.length === 1 ? names[0] : undefined;
  return only && EVALUATORS.has(only) ? EVALUATORS.get(only).accuracyLabel : 'accuracy';
}

export const evaluatorOf = (d: SearchReportData): string | undefined => d.result?.evaluator ?? d.config?.evaluation.evaluator;

export interface RenderOptions {
  /** The report's time (default: now). */
  now?: Date;
  /** How the reproduce line starts a search from a config file (default "npm run nas -- start"). */
  startCommand?: string;
  /** Where the reproduce line finds the config (default: its file name, beside the page). */
  configPath?: string;
  live?: LiveView;
}

export interface RenderedReport {
  /** The search's data, credentials redacted: what every text below shows. */
  data: SearchReportData;
  names: ReturnType<typeof reportNames>;
  html: string;
  csv: string;
  json: string;
  /** The config as given, which the reproduce command starts; none when the history lacks the input. */
  config?: string;
}

export function renderSearchReport(search: SearchReportData, options: RenderOptions = {}): RenderedReport {
  const data = redactSecrets(search);
  const names = reportNames(data.workflowId);
  const config = data.input !== undefined ? JSON.stringify(data.input, null, 2) + '\n' : undefined;
  const reproduce = config !== undefined ? `${options.startCommand ?? 'npm run nas -- start'} ${shellWord(options.configPath ?? names.config)}` : undefined;
  const html = renderSearchPage(data, {
    accuracyLabel: accuracyLabel([evaluatorOf(data)]),
    generatedAt: (options.now ?? new Date()).toISOString(),
    files: { csv: names.csv, json: names.json, ...(config !== undefined ? { config: names.config } : {}) },
    ...(reproduce ? { reproduce } : {}),
    ...(options.live ? { live: options.live } : {}),
  });
  return { data, names, html, csv: candidatesCsv(data.evaluations), json: candidatesJson(data.evaluations), ...(config !== undefined ? { config } : {}) };
}
