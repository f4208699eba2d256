import { readFileSync } from 'node:fs';

/**
 * A reader for float32 safetensors files: 8-byte little-endian header length,
 * a JSON header `{ name: { dtype, shape, data_offsets: [begin, end] }, __metadata__? }`,
 * then the raw little-endian tensor bytes, offsets relative to the end of the
 * header. Only dtype F32 is supported; anything malformed is an error naming
 * the file and what is wrong.
 */

export class SafetensorsError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SafetensorsError';
  }
}

export interface Tensor {
  readonly shape: readonly number[];
  readonly data: Float32Array;
}

export interface Safetensors {
  readonly tensors: ReadonlyMap<string, Tensor>;
  readonly metadata: Readonly<Record<string, string>>;
}

/** Headers above this size are refused rather than parsed (the format's own limit is 100 MB). */
const MAX_HEADER_BYTES = 100_000_000;

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isCount(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}

export function readSafetensors(file: string): Safetensors {
  let bytes: Buffer;
  try {
    bytes = readFileSync(file);
  } catch (err) {
    throw new SafetensorsError(`${file}: cannot read: ${(err as Error).message}`);
  }
  return parseSafetensors(bytes, file);
}

/** Parses a whole safetensors file held in memory; `name` labels errors. */
export function parseSafetensors(bytes: Uint8Array, name = '<buffer>'): Safetensors {
  const fail = (what: string): never => {
    throw new SafetensorsError(`${name}: not a valid float32 safetensors file: ${what}`);
  };
  if (bytes.length < 8) fail(`${bytes.length} bytes, too short for the 8-byte header length`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLength = view.getBigUint64(0, true);
  if (headerLength > BigInt(Math.min(MAX_HEADER_BYTES, bytes.length - 8))) {
    fail(`header length ${headerLength} exceeds the ${bytes.length - 8} bytes after it (truncated file?)`);
  }
  const dataStart = 8 + Number(headerLength);
  let header: unknown;
  try {
    header = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(8, dataStart)));
  } catch (err) {
    fail(`header is not UTF-8 JSON (${(err as Error).message})`);
  }
  if (!isRecord(header)) return fail('header is not a JSON object');
  const dataLength = bytes.length - dataStart;

  let metadata: Record<string, string> = {};
  const entries: { key: string; shape: number[]; begin: number; end: number }[] = [];
  for (const [key, value] of Object.entries(header)) {
    if (key === '__metadata__') {
      if (!isRecord(value) || !Object.values(value).every((v) => typeof v === 'string')) {
        fail('__metadata__ must be an object of strings');
      }
      metadata = value as Record<string, string>;
      continue;
    }
    if (!isRecord(value)) return fail(`tensor '${key}': entry is not an object`);
    const { dtype, shape, data_offsets: offsets } = value;
    if (dtype !== 'F32') fail(`tensor '${key}': dtype ${JSON.stringify(dtype)}, only F32 is supported`);
    if (!Array.isArray(shape) || !shape.every(isCount)) fail(`tensor '${key}': shape must be an array of non-negative integers`);
    if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every(isCount)) {
      fail(`tensor '${key}': data_offsets must be [begin, end] non-negative integers`);
    }
    const [begin, end] = offsets as [number, number];
    const dims = shape as number[];
    const elements = dims.reduce((a, b) => a * b, 1);
    if (end < begin || end > dataLength) {
      fail(`tensor '${key}': data_offsets [${begin}, ${end}] lie outside the ${dataLength} data bytes (truncated file?)`);
    }
    if (end - begin !== 4 * elements) {
      fail(`tensor '${key}': shape [${dims.join(', ')}] needs ${4 * elements} bytes, data_offsets give ${end - begin}`);
    }
    entries.push({ key, shape: dims, begin, end });
  }

  // The format stores tensors back to back: no overlaps, no holes, nothing after the last.
  let next = 0;
  for (const t of [...entries].sort((a, b) => a.begin - b.begin || a.end - b.end)) {
    if (t.begin !== next) {
      fail(`tensor '${t.key}' starts at byte ${t.begin}, expected ${next} (${t.begin < next ? 'overlapping' : 'a hole between'} tensors)`);
    }
    next = t.end;
  }
  if (next !== dataLength) fail(`${dataLength - next} bytes after the last tensor (the header describes ${next} data bytes)`);

  const tensors = new Map<string, Tensor>();
  for (const t of entries) {
    const data = new Float32Array((t.end - t.begin) / 4);
    const base = dataStart + t.begin;
    for (let i = 0; i < data.length; i++) data[i] = view.getFloat32(base + 4 * i, true);
    tensors.set(t.key, { shape: t.shape, data });
  }
  return { tensors, metadata };
}
