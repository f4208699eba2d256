import { Rng, type RngState } from '../../lib/rng';
import { encodeModel, type Attr, type DataType, type Dim, type NodeSpec, type TensorSpec, type ValueInfoSpec } from '../proto/proto';

/**
 * The bookkeeping under the layer API (builder.ts): unique names, nodes in
 * topological order (the order they are added), a shape and type for every
 * value (written to value_info, so that counting can read every tensor's
 * shape from the model itself), learnable initializers drawn from one seeded
 * generator, and constants.
 *
 * What is an initializer and what is a Constant node is deliberate: every
 * initializer is a learnable parameter, except batch norm running statistics,
 * which BatchNormalization's inputs 3 and 4 identify. Shape tensors, gather
 * indices and scalar factors are Constant nodes. So "parameters" can be read
 * off the model without names or conventions.
 */

export interface Tensor {
  readonly name: string;
  readonly shape: readonly Dim[];
  readonly dataType: DataType;
}

export const BATCH: Dim = 'N';

export const attr = {
  int: (name: string, value: number): Attr => ({ name, type: 'int', value }),
  ints: (name: string, value: readonly number[]): Attr => ({ name, type: 'ints', value }),
  float: (name: string, value: number): Attr => ({ name, type: 'float', value }),
  floats: (name: string, value: readonly number[]): Attr => ({ name, type: 'floats', value }),
  string: (name: string, value: string): Attr => ({ name, type: 'string', value }),
};

export interface BuiltGraph {
  model: Uint8Array;
  inputName: string;
  /** With batch 1 in place of the symbolic batch. */
  inputShape: number[];
  outputs: string[];
  activationOutputs: string[];
}

/**
 * Fills `data` with uniform values on [-a, a) and returns the generator's new
 * state. This is Rng's sfc32 step (src/lib/rng.ts) on local variables, so the
 * stream is exactly Rng's (`(2 * rng.next() - 1) * a` per value; the test
 * checks it), but it runs about ten times faster: models have up to ~80
 * million weights.
 */
export function fillUniform(state: RngState, data: Float32Array, a: number): RngState {
  let [s0, s1, s2, s3] = state;
  for (let i = 0; i < data.length; i++) {
    const t = (((s0 + s1) >>> 0) + s3) >>> 0;
    s3 = (s3 + 1) >>> 0;
    s0 = s1 ^ (s1 >>> 9);
    s1 = (s2 + (s2 << 3)) >>> 0;
    s2 = ((s2 << 21) | (s2 >>> 11)) >>> 0;
    s2 = (s2 + t) >>> 0;
    data[i] = (2 * (t / 4294967296) - 1) * a;
  }
  return [s0, s1, s2, s3];
}

export class Graph {
  private readonly nodes: NodeSpec[] = [];
  private readonly initializers: TensorSpec[] = [];
  private readonly inputs: ValueInfoSpec[] = [];
  private readonly outputs: ValueInfoSpec[] = [];
  private readonly values = new Map<string, ValueInfoSpec>();
  private readonly used = new Set<string>();
  private readonly activations: Tensor[] = [];
  /** One generator for the whole graph, advanced in build order: the same arch and seed give the same weights. */
  private rng: RngState;

  constructor(
    readonly name: string,
    seed: number,
  ) {
    this.rng = Rng.fromSeed(seed).state();
  }

  /** `base`, or `base_2`, `base_3`... if taken: node and value names must be unique. */
  unique(base: string): string {
    let name = base;
    for (let k = 2; this.used.has(name); k++) name = `${base}_${k}`;
    this.used.add(name);
    return name;
  }

  input(name: string, shape: readonly Dim[]): Tensor {
    const t: Tensor = { name: this.unique(name), shape, dataType: 'float' };
    this.inputs.push({ name: t.name, dataType: t.dataType, shape });
    return t;
  }

  output(t: Tensor): void {
    this.outputs.push({ name: t.name, dataType: t.dataType, shape: t.shape });
  }

  /** Marks an activation a NASWOT evaluator reads (exposed as an output on request). */
  activation(t: Tensor): Tensor {
    this.activations.push(t);
    return t;
  }

  /**
   * A learnable float tensor drawn uniformly with standard deviation `std`
   * (uniform on [-a, a] has std a / sqrt(3)); std 0 gives zeros and
   * `fill` a constant (batch norm's scale of 1).
   */
  param(name: string, dims: readonly number[], std: number, fill = 0): string {
    const n = dims.reduce((a, b) => a * b, 1);
    const data = new Float32Array(n);
    if (std > 0) {
      this.rng = fillUniform(this.rng, data, std * Math.sqrt(3));
    } else if (fill !== 0) {
      data.fill(fill);
    }
    return this.initializer(name, dims, data);
  }

  /** A non-learnable float initializer; only batch norm statistics use this. */
  buffer(name: string, dims: readonly number[], fill: number): string {
    return this.initializer(name, dims, new Float32Array(dims.reduce((a, b) => a * b, 1)).fill(fill));
  }

  private initializer(name: string, dims: readonly number[], data: Float32Array): string {
    const unique = this.unique(name);
    this.initializers.push({ name: unique, dims, dataType: 'float', data });
    return unique;
  }

  /** A Constant node (not an initializer, so never a parameter). Scalars have dims []. */
  constant(name: string, dataType: DataType, values: readonly number[], dims: readonly number[] = [values.length]): Tensor {
    const out = this.unique(name);
    const value: TensorSpec = { name: `${out}_value`, dims, dataType, data: dataType === 'float' ? Float32Array.from(values) : values };
    this.nodes.push({ opType: 'Constant', name: out, inputs: [], outputs: [out], attrs: [{ name: 'value', type: 'tensor', value }] });
    return this.record(out, dataType, dims);
  }

  ints(name: string, values: readonly number[]): Tensor {
    return this.constant(name, 'int64', values);
  }

  scalar(name: string, value: number): Tensor {
    return this.constant(name, 'float', [value], []);
  }

  /** Adds a node with one output of the given shape. */
  node(opType: string, name: string, inputs: readonly (Tensor | string)[], shape: readonly Dim[], attrs: readonly Attr[] = [], dataType: DataType = 'float'): Tensor {
    const out = this.unique(name);
    const names = inputs.map((i) => (typeof i === 'string' ? i : i.name));
    this.nodes.push({ opType, name: out, inputs: names, outputs: [out], attrs });
    return this.record(out, dataType, shape);
  }

  /** Adds a node with several outputs (Split). */
  nodeN(opType: string, name: string, inputs: readonly Tensor[], shapes: readonly (readonly Dim[])[], attrs: readonly Attr[] = []): Tensor[] {
    const base = this.unique(name);
    const outs = shapes.map((_, i) => this.unique(`${base}.${i}`));
    this.nodes.push({ opType, name: base, inputs: inputs.map((i) => i.name), outputs: outs, attrs });
    return outs.map((o, i) => this.record(o, 'float', shapes[i]!));
  }

  private record(name: string, dataType: DataType, shape: readonly Dim[]): Tensor {
    const v: ValueInfoSpec = { name, dataType, shape };
    this.values.set(name, v);
    return { name, shape, dataType };
  }

  /** Serializes the graph; with `exposeActivations`, marked activations become extra outputs. */
  build(options: { exposeActivations?: boolean; metadata?: Record<string, string> } = {}): BuiltGraph {
    const input = this.inputs[0];
    if (!input) throw new Error('onnx: a graph needs an input');
    const extra = options.exposeActivations
      ? this.activations.filter((t) => !this.outputs.some((o) => o.name === t.name)).map((t) => this.values.get(t.name)!)
      : [];
    const outputs = [...this.outputs, ...extra];
    const outputNames = new Set(outputs.map((o) => o.name));
    const model = encodeModel({
      graph: {
        name: this.name,
        nodes: this.nodes,
        initializers: this.initializers,
        inputs: this.inputs,
        outputs,
        // Graph outputs carry their own shapes; value_info lists the rest.
        valueInfo: [...this.values.values()].filter((v) => !outputNames.has(v.name)),
      },
      metadata: options.metadata,
    });
    return {
      model,
      inputName: input.name,
      inputShape: input.shape.map((d) => (typeof d === 'number' ? d : 1)),
      outputs: this.outputs.map((o) => o.name),
      activationOutputs: extra.map((v) => v.name),
    };
  }
}
