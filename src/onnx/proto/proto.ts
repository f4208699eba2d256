import { Writer } from 'protobufjs/minimal';

/**
 * A minimal ONNX ModelProto writer: just the messages and fields this
 * project's graphs use, written in protobuf wire format with protobufjs's
 * Writer. Field numbers are those of onnx/onnx.proto3; no .proto file or
 * code generation is involved, so the writer stays small and dependency-free.
 *
 * Output is deterministic: fields are written in a fixed order and lists in
 * the order given, so the same spec always gives the same bytes.
 */

/** A tensor dimension: a size, or a symbolic name such as "N" for the batch. */
export type Dim = number | string;

export type DataType = 'float' | 'int64';

/** TensorProto.DataType numbers. */
export const DATA_TYPE: Readonly<Record<DataType, number>> = { float: 1, int64: 7 };

export interface TensorSpec {
  name: string;
  dims: readonly number[];
  dataType: DataType;
  /** float: written as little-endian raw_data; int64: written as int64_data. */
  data: Float32Array | readonly number[];
}

export type Attr =
  | { name: string; type: 'float'; value: number }
  | { name: string; type: 'int'; value: number }
  | { name: string; type: 'string'; value: string }
  | { name: string; type: 'floats'; value: readonly number[] }
  | { name: string; type: 'ints'; value: readonly number[] }
  | { name: string; type: 'tensor'; value: TensorSpec };

export interface NodeSpec {
  opType: string;
  name: string;
  inputs: readonly string[];
  outputs: readonly string[];
  attrs: readonly Attr[];
}

export interface ValueInfoSpec {
  name: string;
  dataType: DataType;
  shape: readonly Dim[];
}

export interface GraphSpec {
  name: string;
  nodes: readonly NodeSpec[];
  initializers: readonly TensorSpec[];
  inputs: readonly ValueInfoSpec[];
  outputs: readonly ValueInfoSpec[];
  valueInfo: readonly ValueInfoSpec[];
}

export interface ModelSpec {
  graph: GraphSpec;
  /** Default 8: the IR version that goes with opset 17. */
  irVersion?: number;
  /** Default 17: the first opset with LayerNormalization. */
  opset?: number;
  producerVersion?: string;
  docString?: string;
  metadata?: Readonly<Record<string, string>>;
}

export const DEFAULT_IR_VERSION = 8;
export const DEFAULT_OPSET = 17;
export const PRODUCER = 'collm-nas';

// AttributeProto.AttributeType numbers.
const ATTR_TYPE = { float: 1, int: 2, string: 3, tensor: 4, floats: 6, ints: 7 } as const;

// Wire types.
const VARINT = 0;
const FIXED32 = 5;
const LEN = 2;

function tag(w: Writer, field: number, wire: number): Writer {
  return w.uint32((field << 3) | wire);
}

function str(w: Writer, field: number, value: string): void {
  if (value !== '') tag(w, field, LEN).string(value);
}

function int64(w: Writer, field: number, value: number): void {
  tag(w, field, VARINT).int64(value);
}

/** A packed repeated int64 (proto3's default for repeated scalars). */
function packedInt64(w: Writer, field: number, values: readonly number[]): void {
  if (values.length === 0) return;
  tag(w, field, LEN).fork();
  for (const v of values) w.int64(v);
  w.ldelim();
}

function packedFloat(w: Writer, field: number, values: readonly number[]): void {
  if (values.length === 0) return;
  tag(w, field, LEN).fork();
  for (const v of values) w.float(v);
  w.ldelim();
}

/** Writes `body` as a length-delimited sub-message in `field`. */
function message(w: Writer, field: number, body: () => void): void {
  tag(w, field, LEN).fork();
  body();
  w.ldelim();
}

// The platform's Float32Array byte order must be the little-endian order raw_data requires.
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

function rawBytes(t: TensorSpec): Uint8Array {
  if (!LITTLE_ENDIAN) throw new Error('onnx: raw_data needs a little-endian platform');
  const data = t.data instanceof Float32Array ? t.data : Float32Array.from(t.data);
  return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
}

/** Every TensorProto field but raw_data, which comes last (field 9) and is written by the caller. */
function tensorHeader(w: Writer, t: TensorSpec): void {
  packedInt64(w, 1, t.dims);
  int64(w, 2, DATA_TYPE[t.dataType]);
  if (t.dataType === 'int64') packedInt64(w, 7, Array.from(t.data));
  str(w, 8, t.name);
}

/** A small tensor (a Constant's value), written whole into `w`. */
function tensor(w: Writer, t: TensorSpec): void {
  tensorHeader(w, t);
  if (t.dataType === 'float') tag(w, 9, LEN).bytes(rawBytes(t));
}

function attribute(w: Writer, a: Attr): void {
  str(w, 1, a.name);
  switch (a.type) {
    case 'float':
      tag(w, 2, FIXED32).float(a.value);
      break;
    case 'int':
      int64(w, 3, a.value);
      break;
    case 'string':
      tag(w, 4, LEN).string(a.value);
      break;
    case 'tensor':
      message(w, 5, () => tensor(w, a.value));
      break;
    case 'floats':
      packedFloat(w, 7, a.value);
      break;
    case 'ints':
      packedInt64(w, 8, a.value);
      break;
  }
  int64(w, 20, ATTR_TYPE[a.type]);
}

function node(w: Writer, n: NodeSpec): void {
  for (const i of n.inputs) tag(w, 1, LEN).string(i);
  for (const o of n.outputs) tag(w, 2, LEN).string(o);
  str(w, 3, n.name);
  str(w, 4, n.opType);
  for (const a of n.attrs) message(w, 5, () => attribute(w, a));
}

/** ValueInfoProto { name, type: TypeProto { tensor_type: { elem_type, shape } } }. */
function valueInfo(w: Writer, v: ValueInfoSpec): void {
  str(w, 1, v.name);
  message(w, 2, () =>
    message(w, 1, () => {
      int64(w, 1, DATA_TYPE[v.dataType]);
      message(w, 2, () => {
        for (const d of v.shape) {
          // Dimension: dim_value (1) or dim_param (2); an empty Dimension would mean "unknown".
          message(w, 1, () => (typeof d === 'number' ? int64(w, 1, d) : str(w, 2, d)));
        }
      });
    }),
  );
}

/**
 * Large models are assembled from parts rather than in one Writer: protobufjs
 * writes a sub-message's length by shifting its content once it is closed,
 * which would move hundreds of megabytes of weights several times. Here each
 * part is small (written with a Writer) or a weight tensor's bytes (a view,
 * not a copy), and the final concatenation copies every byte once.
 */
type Parts = Uint8Array[];

function size(parts: Parts): number {
  return parts.reduce((a, p) => a + p.length, 0);
}

function small(write: (w: Writer) => void): Uint8Array {
  const w = Writer.create();
  write(w);
  return w.finish();
}

/** `parts` as the length-delimited content of `field`. */
function wrap(field: number, parts: Parts): Parts {
  return [small((w) => tag(w, field, LEN).uint32(size(parts))), ...parts];
}

/** An initializer: header written small, raw bytes by reference. */
function initializer(t: TensorSpec): Parts {
  if (t.dataType !== 'float') return [small((w) => tensor(w, t))];
  const raw = rawBytes(t);
  const header = small((w) => {
    tensorHeader(w, t);
    tag(w, 9, LEN).uint32(raw.length);
  });
  return [header, raw];
}

function graph(g: GraphSpec): Parts {
  const head = small((w) => {
    for (const n of g.nodes) message(w, 1, () => node(w, n));
    str(w, 2, g.name);
  });
  const tail = small((w) => {
    for (const v of g.inputs) message(w, 11, () => valueInfo(w, v));
    for (const v of g.outputs) message(w, 12, () => valueInfo(w, v));
    for (const v of g.valueInfo) message(w, 13, () => valueInfo(w, v));
  });
  return [head, ...g.initializers.flatMap((t) => wrap(5, initializer(t))), tail];
}

/** Serializes a model to ONNX ModelProto bytes. */
export function encodeModel(m: ModelSpec): Uint8Array {
  const parts: Parts = [
    small((w) => {
      int64(w, 1, m.irVersion ?? DEFAULT_IR_VERSION);
      str(w, 2, PRODUCER);
      str(w, 3, m.producerVersion ?? '');
      str(w, 6, m.docString ?? '');
    }),
    ...wrap(7, graph(m.graph)),
    small((w) => {
      // OperatorSetIdProto: the default domain ("") at the given version.
      message(w, 8, () => int64(w, 2, m.opset ?? DEFAULT_OPSET));
      for (const [key, value] of Object.entries(m.metadata ?? {})) {
        message(w, 14, () => {
          str(w, 1, key);
          str(w, 2, value);
        });
      }
    }),
  ];
  const out = new Uint8Array(size(parts));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
