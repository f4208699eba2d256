import { Reader } from 'protobufjs/minimal';
import type { Dim } from './proto';

/**
 * Reads back the structure of an ONNX ModelProto: nodes, initializer shapes
 * (not their data), value shapes and metadata. This is what FLOPs and
 * parameters are counted from, so that the count describes the bytes handed
 * to onnxruntime rather than the builder's intentions.
 */

export interface DecodedTensor {
  name: string;
  dims: number[];
  dataType: number;
  /** int64_data, when the tensor carries its values that way (shape and index constants). */
  int64Data: number[];
}

export interface DecodedAttr {
  name: string;
  type: number;
  f?: number;
  i?: number;
  s?: string;
  t?: DecodedTensor;
  floats: number[];
  ints: number[];
}

export interface DecodedNode {
  name: string;
  opType: string;
  inputs: string[];
  outputs: string[];
  attrs: DecodedAttr[];
}

export interface DecodedValue {
  name: string;
  elemType: number;
  shape: Dim[];
}

export interface DecodedModel {
  irVersion: number;
  producerName: string;
  opset: number;
  metadata: Record<string, string>;
  graphName: string;
  nodes: DecodedNode[];
  initializers: DecodedTensor[];
  inputs: DecodedValue[];
  outputs: DecodedValue[];
  valueInfo: DecodedValue[];
}

/**
 * protobufjs returns int64 as a Long when the `long` package is installed
 * (it is, here), else as a number; its typings say Long either way.
 */
function num(v: number | { low: number; high: number; toNumber?: () => number }): number {
  if (typeof v === 'number') return v;
  return v.toNumber ? v.toNumber() : v.high * 4294967296 + (v.low >>> 0);
}

/** Reads `end - pos` bytes of a sub-message with `onField` called per field. */
function fields(r: Reader, end: number, onField: (field: number, wire: number) => void): void {
  while (r.pos < end) {
    const t = r.uint32();
    onField(t >>> 3, t & 7);
  }
}

function sub(r: Reader): number {
  const len = r.uint32();
  return r.pos + len;
}

/** A repeated int64 written packed (wire type 2) or one value at a time (wire type 0). */
function int64s(r: Reader, wire: number, out: number[]): void {
  if (wire === 2) {
    const end = sub(r);
    while (r.pos < end) out.push(num(r.int64()));
  } else {
    out.push(num(r.int64()));
  }
}

function floats(r: Reader, wire: number, out: number[]): void {
  if (wire === 2) {
    const end = sub(r);
    while (r.pos < end) out.push(r.float());
  } else {
    out.push(r.float());
  }
}

function tensor(r: Reader, end: number): DecodedTensor {
  const t: DecodedTensor = { name: '', dims: [], dataType: 0, int64Data: [] };
  fields(r, end, (f, wire) => {
    if (f === 1) int64s(r, wire, t.dims);
    else if (f === 2) t.dataType = num(r.int64());
    else if (f === 7) int64s(r, wire, t.int64Data);
    else if (f === 8) t.name = r.string();
    else r.skipType(wire); // raw_data and the rest: counting needs shapes only
  });
  return t;
}

function attribute(r: Reader, end: number): DecodedAttr {
  const a: DecodedAttr = { name: '', type: 0, floats: [], ints: [] };
  fields(r, end, (f, wire) => {
    if (f === 1) a.name = r.string();
    else if (f === 2) a.f = r.float();
    else if (f === 3) a.i = num(r.int64());
    else if (f === 4) a.s = r.string();
    else if (f === 5) a.t = tensor(r, sub(r));
    else if (f === 7) floats(r, wire, a.floats);
    else if (f === 8) int64s(r, wire, a.ints);
    else if (f === 20) a.type = num(r.int64());
    else r.skipType(wire);
  });
  return a;
}

function node(r: Reader, end: number): DecodedNode {
  const n: DecodedNode = { name: '', opType: '', inputs: [], outputs: [], attrs: [] };
  fields(r, end, (f, wire) => {
    if (f === 1) n.inputs.push(r.string());
    else if (f === 2) n.outputs.push(r.string());
    else if (f === 3) n.name = r.string();
    else if (f === 4) n.opType = r.string();
    else if (f === 5) n.attrs.push(attribute(r, sub(r)));
    else r.skipType(wire);
  });
  return n;
}

function shape(r: Reader, end: number, out: Dim[]): void {
  fields(r, end, (f, wire) => {
    if (f !== 1) return void r.skipType(wire);
    let d: Dim = '?';
    fields(r, sub(r), (g, w2) => {
      if (g === 1) d = num(r.int64());
      else if (g === 2) d = r.string();
      else r.skipType(w2);
    });
    out.push(d);
  });
}

function valueInfo(r: Reader, end: number): DecodedValue {
  const v: DecodedValue = { name: '', elemType: 0, shape: [] };
  fields(r, end, (f, wire) => {
    if (f === 1) v.name = r.string();
    else if (f === 2) {
      // TypeProto -> tensor_type (1) -> elem_type (1), shape (2)
      fields(r, sub(r), (g, w2) => {
        if (g !== 1) return void r.skipType(w2);
        fields(r, sub(r), (h, w3) => {
          if (h === 1) v.elemType = num(r.int64());
          else if (h === 2) shape(r, sub(r), v.shape);
          else r.skipType(w3);
        });
      });
    } else r.skipType(wire);
  });
  return v;
}

/** Decodes the structure of ONNX ModelProto bytes (initializer data is skipped). */
export function decodeModel(bytes: Uint8Array): DecodedModel {
  const r = Reader.create(bytes);
  const m: DecodedModel = {
    irVersion: 0,
    producerName: '',
    opset: 0,
    metadata: {},
    graphName: '',
    nodes: [],
    initializers: [],
    inputs: [],
    outputs: [],
    valueInfo: [],
  };
  fields(r, bytes.length, (f, wire) => {
    if (f === 1) m.irVersion = num(r.int64());
    else if (f === 2) m.producerName = r.string();
    else if (f === 7) {
      fields(r, sub(r), (g, w2) => {
        if (g === 1) m.nodes.push(node(r, sub(r)));
        else if (g === 2) m.graphName = r.string();
        else if (g === 5) m.initializers.push(tensor(r, sub(r)));
        else if (g === 11) m.inputs.push(valueInfo(r, sub(r)));
        else if (g === 12) m.outputs.push(valueInfo(r, sub(r)));
        else if (g === 13) m.valueInfo.push(valueInfo(r, sub(r)));
        else r.skipType(w2);
      });
    } else if (f === 8) {
      let domain = '';
      let version = 0;
      fields(r, sub(r), (g, w2) => {
        if (g === 1) domain = r.string();
        else if (g === 2) version = num(r.int64());
        else r.skipType(w2);
      });
      if (domain === '' || domain === 'ai.onnx') m.opset = version;
    } else if (f === 14) {
      let key = '';
      let value = '';
      fields(r, sub(r), (g, w2) => {
        if (g === 1) key = r.string();
        else if (g === 2) value = r.string();
        else r.skipType(w2);
      });
      m.metadata[key] = value;
    } else r.skipType(wire);
  });
  return m;
}
