import { writeFileSync } from 'node:fs';
import { ensureOutDir } from './out-dir';
import { basename, join } from 'node:path';
import type { Client } from '@temporalio/client';
import { EVALUATORS } from '../evaluators/registry';
import { candidatesCsv, candidatesJson } from './candidates';
import { comparisonCsv, renderComparisonPage } from './compare-page';
import { gatherSearch, searchesMatching } from './gather';
import { redactSecrets } from './redact';
import { renderSearchPage } from './search-page';
import type { SearchReportData } from './types';

/** Writes reports to disk: one search's page and files, or a comparison of several. */

export interface ReportOptions {
  /** The report's time (default: now). */
  now?: Date;
  /** How the reproduce line starts a search from a config file (default "npm run nas -- start"). */
  startCommand?: string;
}

export interface WrittenReport {
  workflowId: string;
  html: string;
  /** The evaluated candidates. */
  csv: string;
  json: string;
  /** The config as given, which the reproduce command starts. */
  config?: string;
}

export interface WrittenComparison {
  html: string;
  csv: string;
}

/** A file name for a workflow id (ids may hold any character). */
export function fileBase(workflowId: string): string {
  const safe = workflowId.replace(/[^A-Za-z0-9._-]/g, '_').replace(/^\.+/, '_').slice(0, 150);
  return safe || 'search';
}

const shellWord = (s: string): string => (/^[\w./:@%+-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`);

function accuracyLabel(evaluators: readonly (string | undefined)[]): string {
  const names = [...new Set(evaluators)];
  const only = names.length === 1 ? names[0] : undefined;
  return only && EVALUATORS.has(only) ? EVALUATORS.get(only).accuracyLabel : 'accuracy';
}

const evaluatorOf = (d: SearchReportData): string | undefined => d.result?.evaluator ?? d.config?.evaluation.evaluator;

/** One search's report from its gathered data (credentials in URLs redacted): `<id>.html` with `<id>.candidates.csv`, `.candidates.json` and `.config.json` beside it. */
export function writeSearchFiles(search: SearchReportData, outDir: string, options: ReportOptions = {}): WrittenReport {
  const data = redactSecrets(search);
  ensureOutDir(outDir);
  const base = fileBase(data.workflowId);
  const names = { html: `${base}.html`, csv: `${base}.candidates.csv`, json: `${base}.candidates.json`, config: `${base}.config.json` };
  const written: WrittenReport = { workflowId: data.workflowId, html: join(outDir, names.html), csv: join(outDir, names.csv), json: join(outDir, names.json) };
  writeFileSync(written.csv, candidatesCsv(data.evaluations));
  writeFileSync(written.json, candidatesJson(data.evaluations));
  let reproduce: string | undefined;
  if (data.input !== undefined) {
    written.config = join(outDir, names.config);
    writeFileSync(written.config, JSON.stringify(data.input, null, 2) + '\n');
    reproduce = `${options.startCommand ?? 'npm run nas -- start'} ${shellWord(written.config)}`;
  }
  const html = renderSearchPage(data, {
    accuracyLabel: accuracyLabel([evaluatorOf(data)]),
    generatedAt: (options.now ?? new Date()).toISOString(),
    files: { csv: names.csv, json: names.json, ...(written.config ? { config: names.config } : {}) },
    ...(reproduce ? { reproduce } : {}),
  });
  writeFileSync(written.html, html);
  return written;
}

/** A comparison page (and its table as CSV) from the searches' gathered data. */
export function writeComparisonFiles(
  gathered: readonly SearchReportData[],
  outDir: string,
  options: ReportOptions & { name?: string; links?: Record<string, string> } = {},
): WrittenComparison {
  const searches = gathered.map(redactSecrets);
  ensureOutDir(outDir);
  const name = fileBase(options.name ?? 'comparison');
  const written = { html: join(outDir, `${name}.html`), csv: join(outDir, `${name}.csv`) };
  writeFileSync(written.csv, comparisonCsv(searches));
  const html = renderComparisonPage(searches, {
    accuracyLabel: accuracyLabel(searches.map(evaluatorOf)),
    generatedAt: (options.now ?? new Date()).toISOString(),
    csv: `${name}.csv`,
    ...(options.links ? { links: options.links } : {}),
  });
  writeFileSync(written.html, html);
  return written;
}

/** Gathers a search from its workflow history and writes its report. */
export async function writeReport(client: Client, workflowId: string, outDir: string, options: ReportOptions = {}): Promise<WrittenReport> {
  return writeSearchFiles(await gatherSearch(client, workflowId), outDir, options);
}

export interface ReportCommand {
  /** Searches by workflow id. */
  workflowIds?: readonly string[];
  /** And/or the searches a visibility query finds, e.g. `WorkflowId STARTS_WITH "benchc-"` or `TemporalScheduledById = "nightly"`. */
  query?: string;
  /** Default "reports". */
  outDir?: string;
  /** Name of the comparison page (default "comparison"). */
  name?: string;
  startCommand?: string;
}

/**
 * `report <id...> [--out dir]`: one search gets its report; several get one
 * each and a comparison page that links to them. Returns the paths written.
 */
export async function runReportCommand(client: Client, command: ReportCommand): Promise<string[]> {
  const ids = [...(command.workflowIds ?? [])];
  if (command.query) ids.push(...(await searchesMatching(client, command.query)).filter((id) => !ids.includes(id)));
  if (ids.length === 0) throw new Error(command.query ? `no search matches ${command.query}` : 'report: give one or more workflow ids');
  const outDir = command.outDir ?? 'reports';
  const options = command.startCommand ? { startCommand: command.startCommand } : {};
  const searches: SearchReportData[] = [];
  const paths: string[] = [];
  const links: Record<string, string> = {};
  for (const id of ids) {
    const data = await gatherSearch(client, id);
    const written = writeSearchFiles(data, outDir, options);
    searches.push(data);
    links[id] = basename(written.html);
    paths.push(written.html, written.csv, written.json, ...(written.config ? [written.config] : []));
  }
  if (searches.length > 1) {
    const compared = writeComparisonFiles(searches, outDir, { ...options, links, ...(command.name ? { name: command.name } : {}) });
    paths.push(compared.html, compared.csv);
  }
  return paths;
}
