import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { parse } from 'csv-parse/sync';
import { parseNb201, formatNb201, NB201_DATASETS } from '../../spaces/nb201';
import type { EvalResult } from '../../search/types';
import { EvaluationError } from '../types';

/**
 * Tabular evaluator for NAS-Bench-201: every architecture's accuracy was
 * measured once by the benchmark authors, so "evaluating" is a lookup. The
 * table is large and not ours to redistribute: it is read from a path the
 * user configures (NB201_TABLE), never from this repository.
 */

export const NB201_DATA_HELP =
  'Set NB201_TABLE to the path of nb201.csv (one row per architecture with the columns ' +
  'index, arch, <dataset>_valid, <dataset>_test, flops_M, params_M ...). See "NAS-Bench-201 data" in README.md for how to obtain it.';

const DATASETS = Object.keys(NB201_DATASETS);
type Nb201Dataset = string;
/** How the table names a dataset's cost columns: flops_M for the first (CIFAR-10), flops_M_<dataset> for the others. */
const costSuffix = (d: Nb201Dataset): string => (d === DATASETS[0] ? '' : `_${d}`);

interface Row {
  valid: Record<Nb201Dataset, number>;
  test: Record<Nb201Dataset, number>;
  flopsM: Record<Nb201Dataset, number>;
  paramsM: Record<Nb201Dataset, number>;
}

/** The table is missing or malformed: no retry can help, so the search stops with this message. */
export class TableError extends EvaluationError {
  constructor(message: string) {
    super(message, false, 'TableError');
  }
}

/** Where the table is looked for: NB201_TABLE, then ./data/nb201, then ../shared/data/nb201 beside the checkout. */
export function nb201TableCandidates(env: NodeJS.ProcessEnv = process.env, root = process.cwd()): string[] {
  if (env.NB201_TABLE) return [resolve(env.NB201_TABLE)];
  return [join(root, 'data/nb201/nb201.csv'), join(root, '../shared/data/nb201/nb201.csv')];
}

export function resolveNb201Table(env: NodeJS.ProcessEnv = process.env, root = process.cwd()): string {
  const candidates = nb201TableCandidates(env, root);
  const found = candidates.find((p) => existsSync(p));
  if (!found) {
    throw new TableError(`NAS-Bench-201 table not found (looked at ${candidates.join(', ')}). ${NB201_DATA_HELP}`);
  }
  return found;
}

function splitCsv(text: string, file: string): { header: string[]; rows: string[][] } {
  let records: string[][];
  try {
    records = parse(text, { skip_empty_lines: true });
  } catch (err) {
    throw new TableError(`${file}: is not a well-formed CSV table: ${(err as Error).message}. ${NB201_DATA_HELP}`);
  }
  const [header, ...rows] = records;
  if (!header || rows.length === 0) throw new TableError(`${file}: is empty or has no data rows. ${NB201_DATA_HELP}`);
  return { header, rows };
}

function column(header: string[], name: string, file: string): number {
  const i = header.indexOf(name);
  if (i < 0) throw new TableError(`${file}: missing column '${name}' (found: ${header.join(', ')}). ${NB201_DATA_HELP}`);
  return i;
}

export class Nb201Table {
  private constructor(
    readonly file: string,
    private readonly rows: Map<string, Row>,
    private readonly hw: Map<string, Record<string, number>>,
    readonly hwColumns: readonly string[],
  ) {}

  get size(): number {
    return this.rows.size;
  }

  /** Reads and checks nb201.csv, and hw.csv beside it when present. */
  static load(file: string): Nb201Table {
    if (!existsSync(file)) throw new TableError(`NAS-Bench-201 table not found: ${file}. ${NB201_DATA_HELP}`);
    const { header, rows } = splitCsv(readFileSync(file, 'utf8'), file);
    const required = [
      'arch',
      ...DATASETS.flatMap((d) => [`${d}_valid`, `${d}_test`, `flops_M${costSuffix(d)}`, `params_M${costSuffix(d)}`]),
    ];
    const missing = required.filter((c) => !header.includes(c));
    if (missing.length > 0) {
      throw new TableError(`${file}: missing column(s) ${missing.map((c) => `'${c}'`).join(', ')}. ${NB201_DATA_HELP}`);
    }
    const archCol = column(header, 'arch', file);
    const num = (cells: string[], name: string, line: number): number => {
      const raw = cells[column(header, name, file)];
      const value = Number(raw);
      if (raw === undefined || raw === '' || !Number.isFinite(value)) {
        throw new TableError(`${file}: line ${line + 2}, column ${name}: '${raw ?? ''}' is not a number. ${NB201_DATA_HELP}`);
      }
      return value;
    };
    const map = new Map<string, Row>();
    rows.forEach((cells, line) => {
      const text = cells[archCol] ?? '';
      let key: string;
      try {
        key = formatNb201(parseNb201(text));
      } catch (err) {
        throw new TableError(`${file}: line ${line + 2}: ${(err as Error).message}. ${NB201_DATA_HELP}`);
      }
      const per = (f: (d: Nb201Dataset) => number): Record<Nb201Dataset, number> =>
        Object.fromEntries(DATASETS.map((d) => [d, f(d)]));
      map.set(key, {
        valid: per((d) => num(cells, `${d}_valid`, line)),
        test: per((d) => num(cells, `${d}_test`, line)),
        flopsM: per((d) => num(cells, `flops_M${costSuffix(d)}`, line)),
        paramsM: per((d) => num(cells, `params_M${costSuffix(d)}`, line)),
      });
    });
    if (map.size !== 15_625) {
      throw new TableError(`${file}: has ${map.size} distinct architectures, expected 15625. ${NB201_DATA_HELP}`);
    }
    const hwFile = join(dirname(file), 'hw.csv');
    const hw = new Map<string, Record<string, number>>();
    let hwColumns: string[] = [];
    if (existsSync(hwFile)) {
      const t = splitCsv(readFileSync(hwFile, 'utf8'), hwFile);
      const a = column(t.header, 'arch', hwFile);
      hwColumns = t.header.filter((h) => h.endsWith('_ms'));
      const idx = hwColumns.map((h) => t.header.indexOf(h));
      for (const cells of t.rows) {
        const values: Record<string, number> = {};
        hwColumns.forEach((h, j) => {
          const raw = cells[idx[j]!];
          if (raw !== undefined && raw !== '') values[h] = Number(raw);
        });
        hw.set(cells[a]!, values);
      }
    }
    return new Nb201Table(file, map, hw, hwColumns);
  }

  /**
   * What a search on this table can reach for `dataset`: the architecture with
   * the best validation accuracy (the search's objective) and its test
   * accuracy, and the best test accuracy of any architecture.
   * Benchmarks print it beside their rows because the two differ: on
   * ImageNet16-120 the best-by-validation cell tests well below the best test
   * figure, so a perfect search scores lower there than a lucky one.
   */
  optimum(dataset: string): { arch: string; valAcc: number; testAcc: number; maxTestAcc: number } {
    const d = this.dataset(dataset);
    let best = { arch: '', valAcc: -Infinity, testAcc: -Infinity };
    let maxTestAcc = -Infinity;
    for (const [arch, row] of this.rows) {
      const valAcc = row.valid[d]!;
      const testAcc = row.test[d]!;
      // A tie on validation keeps the first in table order (the published table has none at the top).
      if (valAcc > best.valAcc) best = { arch, valAcc, testAcc };
      maxTestAcc = Math.max(maxTestAcc, testAcc);
    }
    return { ...best, maxTestAcc };
  }

  private dataset(dataset: string): Nb201Dataset {
    if (!DATASETS.includes(dataset)) {
      throw new TableError(`dataset: '${dataset}' is not in the NAS-Bench-201 table; use one of ${DATASETS.join(', ')}`);
    }
    return dataset as Nb201Dataset;
  }

  /**
   * Looks an architecture up. `latencyDevice` names a hw.csv column with or
   * without its `_latency_ms`/`_ms` suffix, e.g. "hwnb_pixel3".
   */
  lookup(arch: string, dataset: string, latencyDevice?: string): EvalResult {
    const d = this.dataset(dataset);
    const key = formatNb201(parseNb201(arch));
    const row = this.rows.get(key);
    if (!row) throw new TableError(`${this.file}: no row for architecture ${key}`);
    const result: EvalResult = {
      valAcc: row.valid[d]!,
      testAcc: row.test[d]!,
      cost: { flopsM: row.flopsM[d]!, paramsM: row.paramsM[d]! },
    };
    if (latencyDevice !== undefined) result.cost.latencyMs = this.latency(key, latencyDevice);
    return result;
  }

  private latency(arch: string, device: string): number {
    const col = [device, `${device}_latency_ms`, `${device}_ms`].find((c) => this.hwColumns.includes(c));
    if (!col) {
      const known = this.hwColumns.map((c) => c.replace(/(_latency)?_ms$/, ''));
      throw new TableError(
        this.hwColumns.length === 0
          ? `constraint.device: no hw.csv beside ${this.file}, so latency is unavailable; put hw.csv there or use a flops/params constraint`
          : `constraint.device: unknown device '${device}'; use one of ${known.join(', ')}`,
      );
    }
    const value = this.hw.get(arch)?.[col];
    if (value === undefined) {
      throw new TableError(`constraint.device: ${col} has no latency for ${arch}; pick a device with full coverage such as hwnb_pixel3`);
    }
    return value;
  }
}
