/**
 * Makes sure the NAS-Bench-201 table is where the evaluator looks, building
 * it from its pinned public sources when it is not:
 *   npx tsx scripts/nb201-table/build.ts [--out DIR] [--force] [--no-hw] [--quiet]
 * Exits 0 when a table was found or built; otherwise 1 with advice on stderr
 * (where to put the table, how to get it). --out DIR writes DIR/nb201.csv
 * (default: $NB201_TABLE if set, else data/nb201/nb201.csv); --force builds
 * even when a table exists; --no-hw skips hw.csv (only latency constraints
 * need it). NB201_SOURCES_URL replaces https://raw.githubusercontent.com as
 * the place the files are fetched from (<owner>/<repo>/<commit>/<path>).
 * --quiet says nothing when a table is found (the set-up's no-op run).
 */
import { join, relative, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { NB201_DATA_HELP, Nb201Table, TableError, nb201TableCandidates, resolveNb201Table } from '../../src/evaluators/nb201/table';
import { buildNb201Table } from './builder';
import { ChecksumError, DownloadError } from './download';
import { PINNED_SOURCES, sourcesBaseUrl } from './sources';

const log = (line: string): void => console.log(`nb201: ${line}`);

/** A path as the user would type it: relative inside the checkout, absolute outside. */
function shown(root: string, path: string): string {
  const rel = relative(root, path);
  return rel === '' || rel.startsWith('..') ? path : rel;
}

/** What to do without the sources: the README's ways of getting the table. */
function advice(candidates: string[], base: string): string {
  return [
    'To run without building it, put the NAS-Bench-201 table (nb201.csv, and optionally hw.csv beside it for',
    `latency constraints) at one of: ${candidates.join(', ')}; NB201_TABLE may name any other path.`,
    'Copy it from a machine that has it, or run this builder where the sources are reachable',
    `(${base}; NB201_SOURCES_URL may name a mirror laid out as <base>/<owner>/<repo>/<commit>/<path>).`,
    NB201_DATA_HELP,
  ].join('\n');
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: { out: { type: 'string' }, force: { type: 'boolean', default: false }, 'no-hw': { type: 'boolean', default: false }, quiet: { type: 'boolean', default: false } },
  });
  const root = process.cwd();
  const candidates = nb201TableCandidates(process.env, root);
  let found: string | undefined;
  try {
    found = resolveNb201Table(process.env, root);
  } catch (err) {
    if (!(err instanceof TableError)) throw err;
  }
  if (found && !values.force) {
    if (!values.quiet) log(`table found at ${shown(root, found)}; nothing to build`);
    return 0;
  }
  const outFile = values.out
    ? resolve(values.out, 'nb201.csv')
    : process.env.NB201_TABLE
      ? resolve(process.env.NB201_TABLE)
      : join(root, 'data/nb201/nb201.csv');
  const base = sourcesBaseUrl();
  const sources = values['no-hw'] ? { ...PINNED_SOURCES, hw: undefined } : PINNED_SOURCES;
  log(`${found ? '--force: ' : 'no table found; '}building ${shown(root, outFile)} from pinned public files at ${base}`);
  const started = performance.now();
  try {
    const result = await buildNb201Table({
      outFile,
      sources,
      base,
      // Read back the way the evaluator reads it: all 15,625 rows, every column a number.
      check: (file) => void Nb201Table.load(file),
    });
    const seconds = ((performance.now() - started) / 1000).toFixed(1);
    const mb = (result.bytes / 1e6).toFixed(1);
    log(`wrote ${result.files.map((f) => shown(root, f)).join(' and ')} (${result.downloaded} files, ${mb} MB, checked by sha256) in ${seconds} s`);
    if (!candidates.includes(outFile)) log(`the evaluator does not look there: set NB201_TABLE=${outFile}`);
    return 0;
  } catch (err) {
    const known = err instanceof DownloadError || err instanceof ChecksumError;
    console.error(`nb201: could not build the NAS-Bench-201 table: ${known ? (err as Error).message : String((err as Error).stack ?? err)}`);
    console.error(advice(candidates, base));
    return 1;
  }
}

main().then(
  (code) => process.exit(code),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
