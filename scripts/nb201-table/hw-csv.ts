/**
 * hw.csv from its sources: HELP's per-device latency lists, which are in
 * NB201 index order, and OneProxy's edge GPU/TPU latencies, which cover a
 * sample of architectures in their own order. A OneProxy row gets its index
 * where its raspi4, pixel3, eyeriss and fpga values equal HELP's exactly (they
 * are the same HW-NAS-Bench measurements); -1 means not measured.
 */
import { csvText, fixed6 } from './format';
import type { PickleValue } from './pickle';
import { ONEPROXY_KEY, ONEPROXY_VALUES, type HwSources } from './sources';

export interface HwInputs {
  /** Decoded list per byIndex column. */
  byIndex: Record<string, PickleValue>;
  /** Decoded list per OneProxy device. */
  oneProxy: Record<string, PickleValue>;
  /** How messages name each input (same keys as above). */
  names: Record<string, string>;
}

function numbers(value: PickleValue | undefined, name: string, length?: number): number[] {
  if (!Array.isArray(value) || !value.every((x) => typeof x === 'number' && Number.isFinite(x))) {
    throw new Error(`${name}: expected a list of latencies`);
  }
  if (length !== undefined && value.length !== length) throw new Error(`${name}: has ${value.length} values, expected ${length}`);
  return value as number[];
}

const hwColumn = (device: string): string => `hwnb_${device}_latency_ms`;

/** OneProxy's columns by NB201 index (undefined where it has no measurement). */
function matchOneProxy(byIndex: Record<string, number[]>, inputs: HwInputs): Record<string, (number | undefined)[]> {
  const size = byIndex[hwColumn(ONEPROXY_KEY[0])]!.length;
  const keyOf = (values: number[]): string => values.map(String).join(',');
  const index = new Map<string, number[]>();
  for (let i = 0; i < size; i++) {
    const k = keyOf(ONEPROXY_KEY.map((d) => byIndex[hwColumn(d)]![i]!));
    index.set(k, [...(index.get(k) ?? []), i]);
  }
  const key = ONEPROXY_KEY.map((d) => numbers(inputs.oneProxy[d], inputs.names[d] ?? d));
  const rows = key[0]!.length;
  const values = ONEPROXY_VALUES.map((d) => numbers(inputs.oneProxy[d], inputs.names[d] ?? d, rows));
  key.forEach((k, j) => {
    if (k.length !== rows) throw new Error(`${inputs.names[ONEPROXY_KEY[j]!]}: has ${k.length} values, expected ${rows}`);
  });
  const out: Record<string, (number | undefined)[]> = Object.fromEntries(ONEPROXY_VALUES.map((d) => [hwColumn(d), new Array(size)]));
  const taken = new Set<number>();
  for (let r = 0; r < rows; r++) {
    const matches = index.get(keyOf(key.map((k) => k[r]!))) ?? [];
    if (matches.length !== 1 || taken.has(matches[0]!)) {
      throw new Error(`OneProxy row ${r} matches ${matches.length === 1 ? 'an architecture another row matched' : `${matches.length} architectures`} by ${ONEPROXY_KEY.join('/')} latency; expected exactly one of its own`);
    }
    taken.add(matches[0]!);
    ONEPROXY_VALUES.forEach((d, v) => {
      const x = values[v]![r]!;
      if (x !== -1) out[hwColumn(d)]![matches[0]!] = x;
    });
  }
  return out;
}

export function buildHwCsv(archs: readonly string[], sources: HwSources, inputs: HwInputs): string {
  const byIndex = Object.fromEntries(
    Object.keys(sources.byIndex).map((c) => [c, numbers(inputs.byIndex[c], inputs.names[c] ?? c, archs.length)]),
  );
  for (const d of ONEPROXY_KEY) {
    if (!byIndex[hwColumn(d)]) throw new Error(`hw sources: OneProxy rows are matched on ${hwColumn(d)}, which has no HELP file`);
  }
  const columns: Record<string, (number | undefined)[]> = { ...byIndex, ...matchOneProxy(byIndex, inputs) };
  const missing = sources.columns.filter((c) => !columns[c]);
  if (missing.length > 0) throw new Error(`hw sources: no file for column(s) ${missing.join(', ')}`);
  const rows = archs.map((arch, i) => [String(i), arch, ...sources.columns.map((c) => {
    const x = columns[c]![i];
    return x === undefined ? '' : fixed6(x);
  })]);
  return csvText(['index', 'arch', ...sources.columns], rows);
}
