import type { DecodedModel, DecodedNode } from '../proto/decode';
import type { Dim } from '../proto/proto';

/** What a FLOPs convention reads from a decoded model: value shapes and the graph's structure. */
export interface CountContext {
  /** A value's shape (initializers, Constant outputs, graph inputs/outputs, value_info). */
  shape(name: string): Dim[];
  /** Whether a value is an initializer (a learnable tensor or a batch norm statistic). */
  isInitializer(name: string): boolean;
  /** The node that computes a value, if any. */
  producer(name: string): DecodedNode | undefined;
  nodes: readonly DecodedNode[];
}

export function dimValue(d: Dim | undefined): number {
  if (typeof d !== 'number') throw new Error(`onnx count: expected a known dimension, got ${String(d)}`);
  return d;
}

export function numel(dims: readonly Dim[]): number {
  return dims.reduce<number>((a, d) => a * dimValue(d), 1);
}

/** Product of the known dims: the symbolic batch counts once, so figures are per sample. */
export function perSample(dims: readonly Dim[]): number {
  return dims.reduce<number>((a, d) => a * (typeof d === 'number' ? d : 1), 1);
}

/** MatMul: output elements (batch dims broadcast) x the inner dimension, per sample. */
export function matmulMacs(ctx: CountContext, n: DecodedNode): number {
  const a = ctx.shape(n.inputs[0]!);
  return perSample(ctx.shape(n.outputs[0]!)) * dimValue(a[a.length - 1]);
}

export function buildContext(m: DecodedModel): CountContext {
  const shapes = new Map<string, Dim[]>();
  for (const v of [...m.inputs, ...m.outputs, ...m.valueInfo]) shapes.set(v.name, v.shape);
  const inits = new Set<string>();
  for (const t of m.initializers) {
    shapes.set(t.name, t.dims);
    inits.add(t.name);
  }
  const producers = new Map<string, DecodedNode>();
  for (const n of m.nodes) {
    for (const o of n.outputs) producers.set(o, n);
    const value = n.opType === 'Constant' ? n.attrs.find((a) => a.name === 'value')?.t : undefined;
    if (value) shapes.set(n.outputs[0]!, value.dims);
  }
  return {
    shape(name) {
      const s = shapes.get(name);
      if (!s) throw new Error(`onnx count: no shape recorded for '${name}'`);
      return s;
    },
    isInitializer: (name) => inits.has(name),
    producer: (name) => producers.get(name),
    nodes: m.nodes,
  };
}
