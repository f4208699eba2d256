import { dimValue, numel, perSample, type CountContext } from './count-context';
import type { DecodedNode } from '../proto/decode';

/**
 * AutoFormer's FLOPs convention: the repository's `get_complexity(196)`
 * (microsoft/Cream, AutoFormer/model), which src/spaces/autoformer/cost.ts
 * reproduces. It is a per-module formula, not a count of the arithmetic, so
 * it is applied here per node by the node's module role (its name without
 * the `blocks.<i>.` prefix, as the builder names them after the PyTorch
 * modules), with every size read from the graph's shapes:
 *
 * | node (op)                | counted as                          | quirk kept                     |
 * | patch_embed (Conv)       | weights x positions + bias elements | bias counted once, not per position |
 * | pos_embed (Add)          | elements of the embedding / 2       | half a FLOP per entry          |
 * | norm1, norm2 (LayerNorm) | n x embed                           | n = tokens + 1 (198)           |
 * | qkv, proj, fc1, fc2      | n x weight elements                 | n = tokens + 1; biases free    |
 * | scores (QK^T), context (AV) | n^2 x heads x head_dim           | n = tokens + 1                 |
 * | rel_k                    | max_rel x n^2 + n^2 / 2             | formula, not the compute       |
 * | rel_v                    | max_rel x n^2 + n x heads x head_dim / 2 | formula, not the compute  |
 * | head (Gemm)              | tokens x weight elements            | all 197 tokens, though pooled  |
 * | norm, softmax, GELU, ... | 0                                   |                                |
 *
 * "tokens" is the sequence length in the graph (197 = 196 patches + the class
 * token); max_rel comes from the relative-position tables' row count
 * (2 max_rel + 2). Any other Conv, Gemm or MatMul is an error, so that a graph
 * change cannot slip past the count unnoticed.
 */

function role(n: DecodedNode): string {
  return n.name.replace(/^blocks\.\d+\./, '');
}

/** Tokens of a [N, T, C] value. */
function tokens(ctx: CountContext, value: string): number {
  return dimValue(ctx.shape(value)[1]);
}

/** Rows of the relative-position table behind a MatMul operand (the first Gather from an initializer upstream). */
function tableRows(ctx: CountContext, value: string): number {
  const seen = new Set<string>();
  const stack = [value];
  while (stack.length > 0) {
    const v = stack.pop()!;
    if (seen.has(v)) continue;
    seen.add(v);
    const p = ctx.producer(v);
    if (!p) continue;
    if (p.opType === 'Gather' && ctx.isInitializer(p.inputs[0]!)) return dimValue(ctx.shape(p.inputs[0]!)[0]);
    stack.push(...p.inputs);
  }
  throw new Error(`onnx count: no relative-position table found upstream of '${value}'`);
}

/** The sequence length the head is charged for: the tokens entering the final norm. */
function sequenceLength(ctx: CountContext): number {
  const norm = ctx.nodes.find((n) => n.name === 'norm');
  if (!norm) throw new Error("onnx count: the AutoFormer convention needs the final LayerNormalization 'norm'");
  return tokens(ctx, norm.inputs[0]!);
}

export function autoformerNodeMacs(ctx: CountContext, n: DecodedNode): { macs: number; key: string } {
  const key = role(n);
  const out = (i = 0): string => n.outputs[i]!;
  const inp = (i: number): string => n.inputs[i]!;
  const counted = (macs: number): { macs: number; key: string } => ({ macs, key });
  switch (`${n.opType}:${key}`) {
    case 'Conv:patch_embed': {
      const bias = n.inputs[2] ? numel(ctx.shape(inp(2))) : 0;
      return counted(numel(ctx.shape(inp(1))) * perSample(ctx.shape(out()).slice(2)) + bias);
    }
    case 'Add:pos_embed': {
      const table = n.inputs.find((i) => ctx.isInitializer(i));
      if (!table) throw new Error('onnx count: pos_embed adds no embedding table');
      return counted(numel(ctx.shape(table)) / 2);
    }
    case 'LayerNormalization:norm1':
    case 'LayerNormalization:norm2': {
      const x = ctx.shape(inp(0));
      return counted((tokens(ctx, inp(0)) + 1) * dimValue(x[x.length - 1]));
    }
    case 'MatMul:attn.qkv':
    case 'MatMul:attn.proj':
    case 'MatMul:mlp.fc1':
    case 'MatMul:mlp.fc2':
      return counted((tokens(ctx, inp(0)) + 1) * numel(ctx.shape(inp(1))));
    case 'MatMul:attn.scores': {
      // q: [N, heads, T, head_dim]
      const q = ctx.shape(inp(0));
      const n1 = dimValue(q[2]) + 1;
      return counted(n1 * n1 * dimValue(q[1]) * dimValue(q[3]));
    }
    case 'MatMul:attn.context': {
      // out: [N, heads, T, head_dim]
      const o = ctx.shape(out());
      const n1 = dimValue(o[2]) + 1;
      return counted(n1 * n1 * dimValue(o[1]) * dimValue(o[3]));
    }
    case 'MatMul:attn.rel_k': {
      // out: [T, N, heads, T]
      const n1 = dimValue(ctx.shape(out())[0]) + 1;
      const maxRel = (tableRows(ctx, inp(1)) - 2) / 2;
      return counted(maxRel * n1 * n1 + (n1 * n1) / 2);
    }
    case 'MatMul:attn.rel_v': {
      // out: [T, N, heads, head_dim]
      const o = ctx.shape(out());
      const n1 = dimValue(o[0]) + 1;
      const maxRel = (tableRows(ctx, inp(1)) - 2) / 2;
      return counted(maxRel * n1 * n1 + (n1 * dimValue(o[2]) * dimValue(o[3])) / 2);
    }
    case 'Gemm:head':
      return counted(sequenceLength(ctx) * numel(ctx.shape(inp(1))));
    default:
      if (n.opType === 'Conv' || n.opType === 'Gemm' || n.opType === 'MatMul') {
        throw new Error(`onnx count: AutoFormer convention has no rule for ${n.opType} '${n.name}'`);
      }
      return counted(0);
  }
}
