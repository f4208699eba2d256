import { existsSync, readFileSync } from 'node:fs';
import { isMap, isNode, isScalar, isSeq, LineCounter, parseDocument, type Scalar, type YAMLMap } from 'yaml';
import { OFA_DATA_HELP, OfaDataError, ofaDataFiles } from './data';
import { CLASSES, convOutSide, MAX_DEPTH, makeDivisible, STAGES, widthsFor } from '../../spaces/ofa-mbv3';
import { checkOfaSubnet, isActiveSlot, OFA_SLOTS, type OfaSubnet } from './subnet';

/**
 * Note10 latency of an OFA MobileNetV3 (width 1.2) subnet from once-for-all's
 * per-layer lookup tables, summed the way ofa/tutorial/latency_table.py does:
 * stem `Conv`, the fixed first block, one `expanded_conv` per active block,
 * `Conv_1`, `AvgPool2D`, `Conv_2`, `Logits`. One table per input resolution.
 */

export interface LatencyEntry {
  count: number;
  /** Milliseconds. */
  mean: number;
  std: number;
}

export type LatencyTable = ReadonlyMap<string, LatencyEntry>;

export const NOTE10_RESOLUTIONS: readonly number[] = [160, 176, 192, 208, 224];

const FIELDS = ['count', 'mean', 'std'] as const;
const EXPECTED = "expected a mapping of '<key>:' to entries of count (an integer), mean and std (non-negative numbers)";

/** A YAML value as an error shows it. */
function shown(node: unknown): string {
  if (isScalar(node)) return typeof node.value === 'string' ? `the text ${JSON.stringify(node.value)}` : String(node.value);
  if (isMap(node)) return 'a mapping';
  if (isSeq(node)) return 'a list';
  return String(node);
}

/**
 * Parses a lookup table (YAML): a mapping of layer keys to entries of
 * exactly `count`, `mean` and `std`, non-negative numbers, count an integer.
 * Anything else (YAML errors, duplicate keys or fields, other fields, another
 * shape) is an error naming the file, the line and the key.
 */
export function parseLatencyTable(text: string, file = '<text>'): Map<string, LatencyEntry> {
  const lines = new LineCounter();
  // Duplicates are checked below, where the error can name the key.
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: false });
  const fail = (offset: number | undefined, what: string): never => {
    const line = offset === undefined ? '' : `line ${lines.linePos(offset).line}: `;
    throw new OfaDataError(`${file}: ${line}${what}; ${EXPECTED}`);
  };
  const start = (node: unknown): number | undefined => (isNode(node) ? node.range?.[0] : undefined);
  const [error] = doc.errors;
  if (error) fail(error.pos[0], error.message);
  const root = doc.contents;
  if (root === null) fail(undefined, 'no entries');
  if (!isMap(root)) fail(start(root), `${shown(root)}, not a mapping`);
  const table = new Map<string, LatencyEntry>();
  for (const { key: keyNode, value: entry } of (root as YAMLMap<unknown, unknown>).items) {
    if (!isScalar(keyNode) || typeof keyNode.value !== 'string') fail(start(keyNode), `key ${shown(keyNode)} is not text`);
    const key = (keyNode as Scalar<string>).value;
    const at = start(keyNode);
    if (table.has(key)) fail(at, `duplicate key '${key}'`);
    if (!isMap(entry)) fail(at, `entry '${key}' is ${shown(entry)}, not a mapping of count, mean and std`);
    const fields: Partial<LatencyEntry> = {};
    for (const { key: nameNode, value: valueNode } of (entry as YAMLMap<unknown, unknown>).items) {
      const name = isScalar(nameNode) ? String(nameNode.value) : shown(nameNode);
      const fieldAt = start(nameNode) ?? at;
      if (!(FIELDS as readonly string[]).includes(name)) fail(fieldAt, `unknown field '${name}' in entry '${key}'`);
      const field = name as (typeof FIELDS)[number];
      if (fields[field] !== undefined) fail(fieldAt, `'${name}' given twice in entry '${key}'`);
      const value = isScalar(valueNode) ? valueNode.value : undefined;
      if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) fail(fieldAt, `${name} of entry '${key}' is ${shown(valueNode)}, not a non-negative number`);
      if (field === 'count' && !Number.isInteger(value)) fail(fieldAt, `count of entry '${key}' is ${shown(valueNode)}, not an integer`);
      fields[field] = value as number;
    }
    const missing = FIELDS.filter((f) => fields[f] === undefined);
    if (missing.length > 0) fail(at, `entry '${key}' lacks ${missing.join(', ')}`);
    table.set(key, fields as LatencyEntry);
  }
  if (table.size === 0) fail(undefined, 'no entries');
  return table;
}

export function readLatencyTable(file: string): Map<string, LatencyEntry> {
  if (!existsSync(file)) throw new OfaDataError(`latency table not found: ${file}. ${OFA_DATA_HELP}`);
  return parseLatencyTable(readFileSync(file, 'utf8'), file);
}

/** Note10 tables by input resolution. */
export class Note10LatencyTables {
  constructor(
    private readonly tables: ReadonlyMap<number, { file: string; table: LatencyTable }>,
  ) {}

  /** Reads `<dir>/note10/<r>_lookup_table.yaml` for each resolution. */
  static load(dir: string, resolutions: readonly number[] = NOTE10_RESOLUTIONS): Note10LatencyTables {
    const files = ofaDataFiles(dir);
    return new Note10LatencyTables(
      new Map(resolutions.map((r) => [r, { file: files.note10Table(r), table: readLatencyTable(files.note10Table(r)) }])),
    );
  }

  get resolutions(): number[] {
    return [...this.tables.keys()].sort((a, b) => a - b);
  }

  /** The table for resolution r; an error listing the available resolutions when there is none. */
  private tableFor(r: number): { file: string; table: LatencyTable } {
    const t = this.tables.get(r);
    if (!t) {
      throw new OfaDataError(`Note10 latency: no lookup table for resolution ${r}; available resolutions: ${this.resolutions.join(', ')}`);
    }
    return t;
  }

  /** Throws unless there is a table for resolution r. */
  checkResolution(r: number): void {
    this.tableFor(r);
  }

  /** The mean latency (ms) of one layer key at resolution r. */
  mean(r: number, key: string): number {
    const t = this.tableFor(r);
    const entry = t.table.get(key);
    if (!entry) throw new OfaDataError(`Note10 latency: ${t.file} has no entry '${key}'`);
    return entry.mean;
  }
}

// The width-1.2 network the tables were measured on: widths, strides, SE and activations from the space's layout.
const W12 = widthsFor(1.2);
const STAGE_WIDTHS = W12.stages;
const STAGE_STRIDES = STAGES.map((s) => s.stride);
const STAGE_SE = STAGES.map((s) => s.se);
const STAGE_HSWISH = STAGES.map((s) => s.act === 'h_swish');
const STEM_WIDTH = W12.stem;
const FIRST_BLOCK_WIDTH = W12.firstBlock;
const FINAL_EXPAND_WIDTH = W12.finalExpand;
const FEATURE_MIX_WIDTH = W12.featureMix;

const shape = (...dims: number[]): string => dims.join('x');

function expandedConv(size: number, cin: number, outSize: number, cout: number, mid: number, k: number, s: number, skip: boolean, se: boolean, hs: boolean): string {
  return (
    `expanded_conv-input:${shape(size, size, cin)}-output:${shape(outSize, outSize, cout)}` +
    `-expand:${mid}-kernel:${k}-stride:${s}-idskip:${skip ? 1 : 0}-se:${se ? 1 : 0}-hs:${hs ? 1 : 0}`
  );
}

/** The lookup keys of a subnet's layers, in network order (the resolution selects the table). */
export function note10LayerKeys(arch: OfaSubnet): string[] {
  checkOfaSubnet(arch);
  const r = arch.r;
  let size = convOutSide(r, 2);
  const keys = [`Conv-input:${shape(r, r, 3)}-output:${shape(size, size, STEM_WIDTH)}`];
  keys.push(expandedConv(size, STEM_WIDTH, size, FIRST_BLOCK_WIDTH, FIRST_BLOCK_WIDTH, 3, 1, true, false, false));
  let cin = FIRST_BLOCK_WIDTH;
  for (let slot = 0; slot < OFA_SLOTS; slot++) {
    if (!isActiveSlot(arch.d, slot)) continue;
    const stage = Math.floor(slot / MAX_DEPTH);
    const first = slot % MAX_DEPTH === 0;
    const stride = first ? STAGE_STRIDES[stage]! : 1;
    const outSize = convOutSide(size, stride);
    const cout = STAGE_WIDTHS[stage]!;
    // The network rounds the middle width to a multiple of 8; in this space in * e already is one.
    const mid = makeDivisible(Math.round(cin * arch.e[slot]!));
    keys.push(expandedConv(size, cin, outSize, cout, mid, arch.ks[slot]!, stride, !first, STAGE_SE[stage]!, STAGE_HSWISH[stage]!));
    size = outSize;
    cin = cout;
  }
  keys.push(`Conv_1-input:${shape(size, size, cin)}-output:${shape(size, size, FINAL_EXPAND_WIDTH)}`);
  keys.push(`AvgPool2D-input:${shape(size, size, FINAL_EXPAND_WIDTH)}-output:${shape(1, 1, FINAL_EXPAND_WIDTH)}`);
  keys.push(`Conv_2-input:${shape(1, 1, FINAL_EXPAND_WIDTH)}-output:${shape(1, 1, FEATURE_MIX_WIDTH)}`);
  keys.push(`Logits-input:${shape(1, 1, FEATURE_MIX_WIDTH)}-output:${CLASSES}`);
  return keys;
}

/** Predicted Note10 latency (ms) of a subnet: the sum of its layers' mean latencies in the table for its resolution. */
export function note10Latency(arch: OfaSubnet, tables: Note10LatencyTables): number {
  tables.checkResolution(arch.r);
  let ms = 0;
  for (const key of note10LayerKeys(arch)) ms += tables.mean(arch.r, key);
  return ms;
}
