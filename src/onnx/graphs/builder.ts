import { Graph, attr, type Tensor } from './graph';
import type { Dim } from '../proto/proto';

/**
 * Layer-level graph building with shape inference, on top of Graph's
 * bookkeeping. Every op knows its output shape so that value_info is complete
 * (counting reads shapes from the model) and so that the space builders can
 * size the next layer.
 *
 * Initialization: weights are He-scaled (variance gain / fan_in, gain 2 for
 * layers that read a rectified input, 1 otherwise), biases 0, batch norm in
 * inference form (scale 1, shift 0, running mean 0, variance 1). Each layer
 * then keeps the variance of its input, so a random input gives activations
 * of order 1 at every depth and the signs a NASWOT score binarizes are
 * informative. Residual sums still grow the variance by the number of
 * branches, as in any untrained residual network; the networks are positively
 * homogeneous (no biases at init), so that scale never changes a sign.
 */

export type { Tensor } from './graph';
export { BATCH } from './graph';

const BN_EPS = 1e-5;

function prod(dims: readonly Dim[]): number {
  return dims.reduce<number>((a, d) => a * (typeof d === 'number' ? d : NaN), 1);
}

/** Numpy-style broadcast of two shapes; a symbolic dim matches itself or 1. */
export function broadcast(a: readonly Dim[], b: readonly Dim[]): Dim[] {
  const n = Math.max(a.length, b.length);
  const out: Dim[] = [];
  for (let i = 0; i < n; i++) {
    const x = a[a.length - n + i] ?? 1;
    const y = b[b.length - n + i] ?? 1;
    if (x === y || y === 1) out.push(x);
    else if (x === 1) out.push(y);
    else throw new Error(`onnx: cannot broadcast [${a.join(',')}] with [${b.join(',')}]`);
  }
  return out;
}

function axisOf(axis: number, rank: number): number {
  return axis < 0 ? axis + rank : axis;
}

export interface ConvOptions {
  cout: number;
  k: number;
  stride?: number;
  /** Symmetric padding; default k // 2 ("same" for odd k at stride 1). */
  pad?: number;
  groups?: number;
  bias?: boolean;
  /** Variance gain of the He initialization (2 after a ReLU, 1 otherwise). */
  gain?: number;
}

export interface PoolOptions {
  k: number;
  stride: number;
  pad?: number;
  countIncludePad?: boolean;
}

export class NetBuilder extends Graph {
  conv2d(x: Tensor, name: string, o: ConvOptions): Tensor {
    const [n, cin, h, w] = x.shape as [Dim, number, number, number];
    const { cout, k, stride = 1, pad = k >> 1, groups = 1, bias = false, gain = 2 } = o;
    if (cin % groups !== 0 || cout % groups !== 0) throw new Error(`onnx: ${name}: groups ${groups} must divide ${cin} and ${cout}`);
    const fanIn = (cin / groups) * k * k;
    const inputs = [x.name, this.param(`${name}.weight`, [cout, cin / groups, k, k], Math.sqrt(gain / fanIn))];
    if (bias) inputs.push(this.param(`${name}.bias`, [cout], 0));
    const side = (s: number): number => Math.floor((s + 2 * pad - k) / stride) + 1;
    return this.node('Conv', name, inputs, [n, cout, side(h), side(w)], [
      attr.ints('kernel_shape', [k, k]),
      attr.ints('strides', [stride, stride]),
      attr.ints('pads', [pad, pad, pad, pad]),
      attr.int('group', groups),
    ]);
  }

  batchNorm(x: Tensor, name: string): Tensor {
    const c = x.shape[1] as number;
    const inputs = [
      x.name,
      this.param(`${name}.weight`, [c], 0, 1),
      this.param(`${name}.bias`, [c], 0),
      this.buffer(`${name}.running_mean`, [c], 0),
      this.buffer(`${name}.running_var`, [c], 1),
    ];
    return this.node('BatchNormalization', name, inputs, x.shape, [attr.float('epsilon', BN_EPS)]);
  }

  relu(x: Tensor, name: string): Tensor {
    return this.activation(this.node('Relu', name, [x], x.shape));
  }

  /** x * relu6(x + 3) / 6 (MobileNetV3's h-swish). */
  hardSwish(x: Tensor, name: string): Tensor {
    return this.activation(this.node('HardSwish', name, [x], x.shape));
  }

  /** relu6(x + 3) / 6 (MobileNetV3's h-sigmoid) with the default alpha and beta. */
  hardSigmoid(x: Tensor, name: string, alpha = 1 / 6, beta = 0.5): Tensor {
    return this.node('HardSigmoid', name, [x], x.shape, [attr.float('alpha', alpha), attr.float('beta', beta)]);
  }

  add(a: Tensor, b: Tensor | string, name: string): Tensor {
    const bShape = typeof b === 'string' ? a.shape : b.shape;
    return this.node('Add', name, [a, b], broadcast(a.shape, bShape));
  }

  mul(a: Tensor, b: Tensor, name: string): Tensor {
    return this.node('Mul', name, [a, b], broadcast(a.shape, b.shape));
  }

  /** Elementwise sum of one or more same-shaped tensors (one input is passed through). */
  sum(xs: readonly Tensor[], name: string): Tensor {
    if (xs.length === 1) return xs[0]!;
    return this.node('Sum', name, xs, xs.map((x) => x.shape).reduce(broadcast));
  }

  globalAvgPool(x: Tensor, name: string): Tensor {
    return this.node('GlobalAveragePool', name, [x], [x.shape[0]!, x.shape[1]!, 1, 1]);
  }

  private pool(op: string, x: Tensor, name: string, o: PoolOptions): Tensor {
    const { k, stride, pad = 0 } = o;
    const side = (s: Dim): number => Math.floor(((s as number) + 2 * pad - k) / stride) + 1;
    const attrs = [attr.ints('kernel_shape', [k, k]), attr.ints('strides', [stride, stride]), attr.ints('pads', [pad, pad, pad, pad])];
    if (op === 'AveragePool') attrs.push(attr.int('count_include_pad', o.countIncludePad ? 1 : 0));
    return this.node(op, name, [x], [x.shape[0]!, x.shape[1]!, side(x.shape[2]!), side(x.shape[3]!)], attrs);
  }

  avgPool(x: Tensor, name: string, o: PoolOptions): Tensor {
    return this.pool('AveragePool', x, name, o);
  }

  maxPool(x: Tensor, name: string, o: PoolOptions): Tensor {
    return this.pool('MaxPool', x, name, o);
  }

  /** [N, ...] -> [N, prod(...)]. */
  flatten(x: Tensor, name: string): Tensor {
    return this.node('Flatten', name, [x], [x.shape[0]!, prod(x.shape.slice(1))], [attr.int('axis', 1)]);
  }

  /** Linear layer on [N, K] as Gemm with weight [out, K] (PyTorch's layout, transB). */
  gemm(x: Tensor, name: string, out: number, o: { bias?: boolean; gain?: number } = {}): Tensor {
    const k = x.shape[1] as number;
    const inputs = [x.name, this.param(`${name}.weight`, [out, k], Math.sqrt((o.gain ?? 1) / k))];
    if (o.bias ?? true) inputs.push(this.param(`${name}.bias`, [out], 0));
    return this.node('Gemm', name, inputs, [x.shape[0]!, out], [attr.int('transB', 1)]);
  }

  /** Linear layer on [..., K] (any rank) as MatMul by a [K, out] weight, then Add of the bias. */
  linear(x: Tensor, name: string, out: number, o: { bias?: boolean; gain?: number } = {}): Tensor {
    const k = x.shape[x.shape.length - 1] as number;
    const weight = this.param(`${name}.weight`, [k, out], Math.sqrt((o.gain ?? 1) / k));
    const y = this.node('MatMul', name, [x.name, weight], [...x.shape.slice(0, -1), out]);
    return o.bias ?? true ? this.add(y, this.param(`${name}.bias`, [out], 0), `${name}.add_bias`) : y;
  }

  /** Product of two activations (or an activation and a constant-derived tensor), batch dims broadcast. */
  matmul(a: Tensor, b: Tensor, name: string): Tensor {
    const batch = broadcast(a.shape.slice(0, -2), b.shape.slice(0, -2));
    if (a.shape[a.shape.length - 1] !== b.shape[b.shape.length - 2]) {
      throw new Error(`onnx: ${name}: cannot multiply [${a.shape.join(',')}] by [${b.shape.join(',')}]`);
    }
    return this.node('MatMul', name, [a, b], [...batch, a.shape[a.shape.length - 2]!, b.shape[b.shape.length - 1]!]);
  }

  /** LayerNormalization (opset 17) over the last axis, scale 1 and shift 0. */
  layerNorm(x: Tensor, name: string, eps = 1e-6): Tensor {
    const c = x.shape[x.shape.length - 1] as number;
    const inputs = [x.name, this.param(`${name}.weight`, [c], 0, 1), this.param(`${name}.bias`, [c], 0)];
    return this.node('LayerNormalization', name, inputs, x.shape, [attr.int('axis', -1), attr.float('epsilon', eps)]);
  }

  softmax(x: Tensor, name: string, axis = -1): Tensor {
    return this.node('Softmax', name, [x], x.shape, [attr.int('axis', axis)]);
  }

  /**
   * GELU composed from Erf, 0.5 x (1 + erf(x / sqrt 2)), in the node order
   * onnxruntime's Gelu fusion recognizes (opset 17 has no Gelu op).
   */
  gelu(x: Tensor, name: string): Tensor {
    const div = this.node('Div', `${name}.div`, [x, this.scalar(`${name}.sqrt2`, Math.SQRT2)], x.shape);
    const erf = this.node('Erf', `${name}.erf`, [div], x.shape);
    const plus = this.node('Add', `${name}.add`, [erf, this.scalar(`${name}.one`, 1)], x.shape);
    const times = this.node('Mul', `${name}.mul`, [x, plus], x.shape);
    return this.node('Mul', name, [times, this.scalar(`${name}.half`, 0.5)], x.shape);
  }

  /**
   * Reshape; in `target` 0 copies the input's dim at that index (how a
   * symbolic batch passes through) and -1 is inferred from the known dims.
   */
  reshape(x: Tensor, name: string, target: readonly number[]): Tensor {
    // The input dims not copied by a 0 must all be known: their product fills the new dims.
    const rest = x.shape.filter((_, i) => target[i] !== 0);
    if (rest.some((d) => typeof d !== 'number')) throw new Error(`onnx: ${name}: a symbolic dim must be copied with 0`);
    const fixed = prod(target.filter((t) => t > 0));
    const inferred = prod(rest) / fixed;
    const wild = target.filter((t) => t === -1).length;
    if (wild > 1 || !Number.isInteger(inferred) || (wild === 0 && inferred !== 1)) {
      throw new Error(`onnx: ${name}: cannot reshape [${x.shape.join(',')}] to [${target.join(',')}]`);
    }
    const shape = target.map((t, i) => (t === 0 ? x.shape[i]! : t === -1 ? inferred : t));
    return this.node('Reshape', name, [x, this.ints(`${name}.shape`, target)], shape);
  }

  transpose(x: Tensor, name: string, perm: readonly number[]): Tensor {
    return this.node('Transpose', name, [x], perm.map((p) => x.shape[p]!), [attr.ints('perm', perm)]);
  }

  concat(xs: readonly Tensor[], name: string, axis: number): Tensor {
    const ax = axisOf(axis, xs[0]!.shape.length);
    const shape = xs[0]!.shape.slice();
    shape[ax] = xs.reduce((a, x) => a + (x.shape[ax] as number), 0);
    return this.node('Concat', name, xs, shape, [attr.int('axis', axis)]);
  }

  /** Equal split along `axis` into `parts` tensors. */
  split(x: Tensor, name: string, axis: number, parts: number): Tensor[] {
    const ax = axisOf(axis, x.shape.length);
    const shape = x.shape.slice();
    shape[ax] = (x.shape[ax] as number) / parts;
    return this.nodeN('Split', name, [x], Array.from({ length: parts }, () => shape), [attr.int('axis', axis)]);
  }

  /** Slice with per-axis starts, ends (clamped as ONNX does) and steps. */
  slice(x: Tensor, name: string, s: { starts: number[]; ends: number[]; axes: number[]; steps?: number[] }): Tensor {
    const steps = s.steps ?? s.axes.map(() => 1);
    const shape = x.shape.slice();
    s.axes.forEach((a, i) => {
      const ax = axisOf(a, x.shape.length);
      const dim = x.shape[ax] as number;
      const clamp = (v: number): number => Math.min(Math.max(v < 0 ? v + dim : v, 0), dim);
      shape[ax] = Math.max(0, Math.ceil((clamp(s.ends[i]!) - clamp(s.starts[i]!)) / steps[i]!));
    });
    const inputs = [x, this.ints(`${name}.starts`, s.starts), this.ints(`${name}.ends`, s.ends), this.ints(`${name}.axes`, s.axes), this.ints(`${name}.steps`, steps)];
    return this.node('Slice', name, inputs, shape);
  }

  /** Gather along `axis` with int64 indices (a table lookup for relative positions). */
  gather(data: Tensor | { name: string; shape: readonly number[] }, indices: Tensor, name: string, axis = 0): Tensor {
    const shape = [...data.shape.slice(0, axis), ...indices.shape, ...data.shape.slice(axis + 1)];
    return this.node('Gather', name, [data.name, indices.name], shape, [attr.int('axis', axis)]);
  }

  unsqueeze(x: Tensor, name: string, axis: number): Tensor {
    const shape = x.shape.slice();
    shape.splice(axisOf(axis, x.shape.length + 1), 0, 1);
    return this.node('Unsqueeze', name, [x, this.ints(`${name}.axes`, [axis])], shape);
  }

  squeeze(x: Tensor, name: string, axis: number): Tensor {
    const shape = x.shape.slice();
    shape.splice(axisOf(axis, x.shape.length), 1);
    return this.node('Squeeze', name, [x, this.ints(`${name}.axes`, [axis])], shape);
  }

  reduceMean(x: Tensor, name: string, axes: readonly number[], keepdims: boolean): Tensor {
    const ax = axes.map((a) => axisOf(a, x.shape.length));
    const shape = keepdims ? x.shape.map((d, i) => (ax.includes(i) ? 1 : d)) : x.shape.filter((_, i) => !ax.includes(i));
    return this.node('ReduceMean', name, [x], shape, [attr.ints('axes', axes), attr.int('keepdims', keepdims ? 1 : 0)]);
  }

  /** Broadcasts `x` to x.shape with dim 0 replaced by `like`'s batch (Shape -> Concat -> Expand). */
  expandBatch(x: Tensor, like: Tensor, name: string): Tensor {
    const batch = this.node('Shape', `${name}.batch`, [like], [1], [attr.int('start', 0), attr.int('end', 1)], 'int64');
    const rest = this.ints(`${name}.rest`, x.shape.slice(1) as number[]);
    const shape = this.node('Concat', `${name}.shape`, [batch, rest], [x.shape.length], [attr.int('axis', 0)], 'int64');
    return this.node('Expand', name, [x, shape], [like.shape[0]!, ...x.shape.slice(1)]);
  }
}
