/**
 * Builds nb201.csv (and hw.csv beside it) from pinned public files: download
 * and check every file first, decode and assemble in memory, write into a
 * temporary folder beside the destination, and only then rename into place,
 * so a failed or interrupted build never leaves a partial table where the
 * evaluator would pick it up.
 */
import { mkdirSync, mkdtempSync, renameSync, rmdirSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { downloadAll } from './download';
import { buildHwCsv } from './hw-csv';
import { buildNb201Csv } from './nb201-csv';
import { unpickle, type PickleValue } from './pickle';
import { NB201_DATASET_FILES, sourceName, type Nb201DatasetFile, type Nb201Sources, type Pinned } from './sources';
import { readTorchSave } from './torch-zip';

export interface BuildOptions {
  /** Where nb201.csv goes; hw.csv goes beside it. */
  outFile: string;
  sources: Nb201Sources;
  /** Base URL the files are fetched from (sourcesBaseUrl()). */
  base: string;
  timeoutMs?: number;
  /** Runs on the finished nb201.csv (hw.csv beside it) before it is moved into place; throws to reject it. */
  check?: (file: string) => void;
}

export interface BuildResult {
  files: string[];
  downloaded: number;
  bytes: number;
}

function allFiles(s: Nb201Sources): Pinned[] {
  const files = [s.natsBench, ...Object.values(s.valid)];
  if (s.hw) files.push(...Object.values(s.hw.byIndex), ...Object.values(s.hw.oneProxy));
  return files;
}

const mapValues = <T, U>(record: Record<string, T>, f: (v: T) => U): Record<string, U> =>
  Object.fromEntries(Object.entries(record).map(([k, v]) => [k, f(v)]));

function perDataset<T>(f: (d: Nb201DatasetFile) => T): Record<Nb201DatasetFile, T> {
  return Object.fromEntries(NB201_DATASET_FILES.map((d) => [d, f(d)])) as Record<Nb201DatasetFile, T>;
}

/** Removes the folders mkdirSync({ recursive }) created (from `dir` up to `created`) if they are still empty. */
function removeCreated(dir: string, created: string | undefined): void {
  if (created === undefined) return;
  for (let d = dir; d.length >= created.length; d = dirname(d)) {
    try {
      rmdirSync(d);
    } catch {
      return;
    }
  }
}

export async function buildNb201Table(opts: BuildOptions): Promise<BuildResult> {
  const { sources } = opts;
  const files = allFiles(sources);
  const data = await downloadAll(files, { base: opts.base, timeoutMs: opts.timeoutMs });
  const get = (f: Pinned): Buffer => data.get(f)!;
  const pickled = (f: Pinned): PickleValue => unpickle(get(f), sourceName(f));

  const nb201 = buildNb201Csv(
    get(sources.natsBench).toString('utf8'),
    perDataset((d) => pickled(sources.valid[d])),
    { natsBench: sourceName(sources.natsBench), ...perDataset((d) => sourceName(sources.valid[d])) },
  );
  const hw = sources.hw
    ? buildHwCsv(nb201.archs, sources.hw, {
        byIndex: mapValues(sources.hw.byIndex, (f) => readTorchSave(get(f), sourceName(f))),
        oneProxy: mapValues(sources.hw.oneProxy, pickled),
        names: { ...mapValues(sources.hw.byIndex, sourceName), ...mapValues(sources.hw.oneProxy, sourceName) },
      })
    : undefined;

  const dir = resolve(dirname(opts.outFile));
  const created = mkdirSync(dir, { recursive: true });
  const tmp = mkdtempSync(join(dir, '.nb201-build-'));
  let done = false;
  try {
    const outputs: [name: string, text: string][] = [[basename(opts.outFile), nb201.text]];
    if (hw !== undefined) outputs.unshift(['hw.csv', hw]);
    for (const [name, text] of outputs) writeFileSync(join(tmp, name), text);
    opts.check?.(join(tmp, basename(opts.outFile)));
    // nb201.csv last: its presence is what tells the evaluator (and a re-run) that the table is there.
    for (const [name] of outputs) renameSync(join(tmp, name), join(dir, name));
    done = true;
    return {
      files: outputs.map(([name]) => join(dir, name)),
      downloaded: data.size,
      bytes: [...data.values()].reduce((n, b) => n + b.length, 0),
    };
  } finally {
    rmSync(tmp, { recursive: true, force: true });
    if (!done) removeCreated(dir, created);
  }
}
