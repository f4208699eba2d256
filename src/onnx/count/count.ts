import { autoformerNodeMacs } from './count-autoformer';
import { buildContext, dimValue, matmulMacs, numel, perSample, type CountContext } from './count-context';
import { decodeModel, type DecodedModel, type DecodedNode } from '../proto/decode';

/**
 * FLOPs (multiply-accumulates, per sample) and parameters counted from a
 * built model: its nodes, its initializers' shapes and the value shapes in
 * value_info. Nothing about the architecture is consulted, so agreement with
 * a space's analytic `cost()` shows that the graph is the network the space
 * describes.
 *
 * Parameters: every initializer element, except BatchNormalization's running
 * statistics (its inputs 3 and 4, buffers in PyTorch). Graph builders keep
 * all other constants in Constant nodes, never in initializers.
 *
 * FLOPs follow the convention the model's metadata names (key
 * FLOPS_CONVENTION), the one its space's counter uses:
 * - 'conv-linear': the PyTorch profilers of OFA and SPOS. A Conv costs
 *   weight elements x output positions (bias free), a Gemm its weight
 *   elements, a MatMul rows x inner x columns; nothing else costs.
 * - 'conv-linear+bias': the same, plus one per Gemm output for the bias
 *   (NAS-Bench-201 counts (in + 1) x out for its classifier).
 * - 'autoformer': AutoFormer's own get_complexity, see count-autoformer.ts.
 */

export const FLOPS_CONVENTION = 'collm-nas.flops';
export type FlopsConvention = 'conv-linear' | 'conv-linear+bias' | 'autoformer';

export interface GraphCount {
  macs: number;
  params: number;
  /** In millions, rounded to 6 decimals like the spaces' counters. */
  flopsM: number;
  paramsM: number;
  /** MACs by op type (by node role for AutoFormer), for diagnosing a mismatch. */
  macsByOp: Record<string, number>;
}

function convLinearMacs(ctx: CountContext, n: DecodedNode, gemmBias: boolean): number {
  switch (n.opType) {
    case 'Conv': {
      const out = ctx.shape(n.outputs[0]!);
      return numel(ctx.shape(n.inputs[1]!)) * perSample(out.slice(2));
    }
    case 'Gemm': {
      const weights = numel(ctx.shape(n.inputs[1]!));
      const out = ctx.shape(n.outputs[0]!);
      const rows = perSample(out.slice(0, 1));
      const bias = gemmBias && n.inputs[2] ? dimValue(out[1]) : 0;
      return rows * (weights + bias);
    }
    case 'MatMul':
      return matmulMacs(ctx, n);
    default:
      return 0;
  }
}

function round6(x: number): number {
  return Math.round(x * 1e6) / 1e6;
}

/** Counts a model given as bytes (decoded here) or already decoded. */
export function countModel(model: Uint8Array | DecodedModel): GraphCount {
  const m = model instanceof Uint8Array ? decodeModel(model) : model;
  const convention = (m.metadata[FLOPS_CONVENTION] ?? 'conv-linear') as FlopsConvention;
  const ctx = buildContext(m);
  const buffers = new Set(m.nodes.filter((n) => n.opType === 'BatchNormalization').flatMap((n) => n.inputs.slice(3, 5)));
  const params = m.initializers.filter((t) => !buffers.has(t.name)).reduce((a, t) => a + numel(t.dims), 0);
  const macsByOp: Record<string, number> = {};
  let macs = 0;
  for (const n of m.nodes) {
    let c: { macs: number; key: string };
    if (convention === 'autoformer') c = autoformerNodeMacs(ctx, n);
    else if (convention === 'conv-linear' || convention === 'conv-linear+bias') c = { macs: convLinearMacs(ctx, n, convention === 'conv-linear+bias'), key: n.opType };
    else throw new Error(`onnx count: unknown FLOPs convention '${String(convention)}'`);
    if (c.macs === 0) continue;
    macs += c.macs;
    macsByOp[c.key] = (macsByOp[c.key] ?? 0) + c.macs;
  }
  return { macs, params, flopsM: round6(macs / 1e6), paramsM: round6(params / 1e6), macsByOp };
}
