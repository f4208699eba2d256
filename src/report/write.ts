import { writeFileSync } from 'node:fs';
import { ensureOutDir } from './out-dir';
import { basename, join } from 'node:path';
import type { Client } from '@temporalio/client';
import { comparisonCsv, renderComparisonPage } from './compare-page';
import { gatherSearch, searchesMatching } from './gather';
import { redactSecrets } from './redact';
import { accuracyLabel, evaluatorOf, fileBase, renderSearchReport, reportNames, type RenderOptions } from './render';
import type { SearchReportData } from './types';

/** Writes reports to disk: one search's page and files, or a comparison of several. */

export type ReportOptions = Pick<RenderOptions, 'now' | 'startCommand'>;

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

/** One search's report from its gathered data (credentials in URLs redacted): `<id>.html` with `<id>.candidates.csv`, `.candidates.json` and `.config.json` beside it. */
export function writeSearchFiles(search: SearchReportData, outDir: string, options: ReportOptions = {}): WrittenReport {
  ensureOutDir(outDir);
  // Named as the page names them: after the id with any credentials redacted.
  const names = reportNames(redactSecrets(search.workflowId));
  const configPath = join(outDir, names.config);
  const report = renderSearchReport(search, { ...options, configPath });
  const written: WrittenReport = { workflowId: report.data.workflowId, html: join(outDir, names.html), csv: join(outDir, names.csv), json: join(outDir, names.json) };
  writeFileSync(written.csv, report.csv);
  writeFileSync(written.json, report.json);
  if (report.config !== undefined) {
    written.config = configPath;
    writeFileSync(written.config, report.config);
  }
  writeFileSync(written.html, report.html);
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
