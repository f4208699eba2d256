import type { AutoformerArch, AutoformerCodec } from '../../spaces/autoformer';
import { BATCH, NetBuilder, type Tensor } from './builder';
import { FLOPS_CONVENTION } from '../count/count';
import type { BuiltGraph } from './graph';

/**
 * An AutoFormer subnet as trained with `--gp --change_qkv --relative_position`
 * (microsoft/Cream, AutoFormer), the network src/spaces/autoformer/cost.ts
 * counts. Nothing is simplified: the graph computes the relative-position
 * terms the way AttentionSuper does.
 *
 * - patch_embed: 16x16 stride-16 conv (with bias) to embed_dim, flattened to
 *   196 tokens; a class token is prepended and a position embedding
 *   (197 x embed_dim) added;
 * - per layer (pre-norm): x += proj(attention(norm1(x))); x += fc2(GELU(fc1(norm2(x))));
 *   attention has num_heads heads of 64 (qkv width 64 * heads, with bias),
 *   scale 1/8, softmax over keys;
 * - relative positions: four tables per layer (k and v, each vertical and
 *   horizontal) of 2 * 14 + 2 rows by 64. For tokens i, j the embedding is
 *   table_v[dv(i, j)] + table_h[dh(i, j)], with the distances clipped to +-14,
 *   shifted by 15, and row/column 0 (the class token) mapped to row 0. The
 *   logits get q_i . r_k(i, j) / 8 added, and the context gets
 *   sum_j attn(i, j) r_v(i, j). The index grids are Constant nodes; the
 *   table lookups are input-independent and onnxruntime folds them.
 * - final LayerNorm, mean over the 196 patch tokens (--gp), linear head.
 *
 * The relative terms are computed per query position i, as in the
 * reference: q is laid out [T, N, heads, 64] and multiplied by r_k(i)^T
 * [T, 1, 64, T] (the 1 broadcasts over the batch, which stays a separate
 * symbolic dimension instead of being folded into heads as the reference's
 * reshape does); likewise attn [T, N, heads, T] x r_v [T, 1, T, 64].
 */

const PATCH = 16;
const SIDE = 224;
const HEAD_DIM = 64;
const MAX_RELATIVE = 14;
const CLASSES = 1000;
const LN_EPS = 1e-6;
/** The reference initializes embeddings and relative tables with std 0.02 (trunc_normal_). */
const EMBED_STD = 0.02;

/**
 * RelativePosition2D_super's index grids for T = patches + 1 tokens: row and
 * column 0 (the class token) are 0; patch tokens q, k (0-based) on a grid of
 * side s get clip(k // s - q // s) + max + 1 (vertical) and the same with % s
 * (horizontal).
 */
export function relativeIndices(patches: number, maxRelative: number): { v: number[]; h: number[] } {
  const side = Math.floor(Math.sqrt(patches));
  const t = patches + 1;
  const v = new Array<number>(t * t).fill(0);
  const h = new Array<number>(t * t).fill(0);
  const clip = (d: number): number => Math.min(Math.max(d, -maxRelative), maxRelative) + maxRelative + 1;
  for (let q = 0; q < patches; q++) {
    for (let k = 0; k < patches; k++) {
      const at = (q + 1) * t + (k + 1);
      v[at] = clip(Math.floor(k / side) - Math.floor(q / side));
      h[at] = clip((k % side) - (q % side));
    }
  }
  return { v, h };
}

interface Grids {
  v: Tensor;
  h: Tensor;
}

/** r(i, j) = table_v[v(i, j)] + table_h[h(i, j)]: [T, T, 64]. */
function relativeEmbedding(g: NetBuilder, grids: Grids, name: string): Tensor {
  const rows = 2 * MAX_RELATIVE + 2;
  const table = (part: 'v' | 'h'): { name: string; shape: number[] } => ({
    name: g.param(`${name}.embeddings_table_${part}`, [rows, HEAD_DIM], EMBED_STD),
    shape: [rows, HEAD_DIM],
  });
  const v = g.gather(table('v'), grids.v, `${name}.lookup_v`);
  const h = g.gather(table('h'), grids.h, `${name}.lookup_h`);
  return g.add(v, h, `${name}.sum`);
}

function attention(g: NetBuilder, x: Tensor, heads: number, grids: Grids, name: string): Tensor {
  const t = x.shape[1] as number;
  const q = heads * HEAD_DIM;
  const scale = g.scalar(`${name}.scale`, 1 / Math.sqrt(HEAD_DIM));
  // qkv(x).reshape(B, N, 3, H, 64).permute(2, 0, 3, 1, 4)
  const qkv = g.linear(x, `${name}.qkv`, 3 * q);
  const split = g.transpose(g.reshape(qkv, `${name}.qkv_heads`, [0, t, 3, heads, HEAD_DIM]), `${name}.qkv_permute`, [2, 0, 3, 1, 4]);
  const part = (i: number, p: string): Tensor => g.gather(split, g.constant(`${name}.${p}_index`, 'int64', [i], []), `${name}.${p}`);
  const [qh, kh, vh] = [part(0, 'q'), part(1, 'k'), part(2, 'v')];
  // Logits: q k^T / 8 + q . r_k(i, j) / 8.
  const logits = g.matmul(qh, g.transpose(kh, `${name}.k_t`, [0, 1, 3, 2]), `${name}.scores`);
  // Per query position i, one [heads, 64] x [64, T] product, as AttentionSuper computes it.
  const rk = relativeEmbedding(g, grids, `${name}.rel_pos_embed_k`);
  const rkT = g.unsqueeze(g.transpose(rk, `${name}.rel_k_t`, [0, 2, 1]), `${name}.rel_k_batch`, 1);
  const qByPos = g.transpose(qh, `${name}.q_by_pos`, [2, 0, 1, 3]);
  const relK = g.transpose(g.matmul(qByPos, rkT, `${name}.rel_k`), `${name}.rel_k_back`, [1, 2, 0, 3]);
  const scaled = g.mul(g.add(logits, relK, `${name}.logits`), scale, `${name}.scaled`);
  const attn = g.softmax(scaled, `${name}.softmax`);
  // Context: attn v + sum_j attn(i, j) r_v(i, j), per head, then heads concatenated.
  const context = g.matmul(attn, vh, `${name}.context`);
  const rv = g.unsqueeze(relativeEmbedding(g, grids, `${name}.rel_pos_embed_v`), `${name}.rel_v_batch`, 1);
  const attnByPos = g.transpose(attn, `${name}.attn_by_pos`, [2, 0, 1, 3]);
  const relV = g.transpose(g.matmul(attnByPos, rv, `${name}.rel_v`), `${name}.rel_v_back`, [1, 2, 0, 3]);
  const merged = g.transpose(g.add(context, relV, `${name}.context_sum`), `${name}.heads_permute`, [0, 2, 1, 3]);
  const flat = g.reshape(merged, `${name}.heads_merge`, [0, t, q]);
  return g.linear(flat, `${name}.proj`, x.shape[2] as number);
}

function mlp(g: NetBuilder, x: Tensor, hidden: number, name: string): Tensor {
  const h = g.activation(g.linear(x, `${name}.fc1`, hidden));
  return g.linear(g.gelu(h, `${name}.gelu`), `${name}.fc2`, x.shape[2] as number, { gain: 2 });
}

export function buildAutoformer(codec: AutoformerCodec, arch: AutoformerArch, seed: number, exposeActivations: boolean, spaceName: string): BuiltGraph {
  const a = codec.check(arch);
  const e = a.embed_dim;
  const g = new NetBuilder(spaceName, seed);
  const input = g.input('input', [BATCH, 3, SIDE, SIDE]);
  const patches = (SIDE / PATCH) ** 2;
  const patch = g.conv2d(input, 'patch_embed', { cout: e, k: PATCH, stride: PATCH, pad: 0, bias: true, gain: 1 });
  const tokens = g.transpose(g.reshape(patch, 'patch_flatten', [0, e, patches]), 'patch_tokens', [0, 2, 1]);
  const cls = { name: g.param('cls_token', [1, 1, e], EMBED_STD), shape: [1, 1, e], dataType: 'float' as const };
  let x = g.concat([g.expandBatch(cls, tokens, 'cls_tokens'), tokens], 'with_cls', 1);
  x = g.add(x, g.param('pos_embed.table', [1, patches + 1, e], EMBED_STD), 'pos_embed');
  const idx = relativeIndices(patches, MAX_RELATIVE);
  const grids: Grids = {
    v: g.constant('rel_index_v', 'int64', idx.v, [patches + 1, patches + 1]),
    h: g.constant('rel_index_h', 'int64', idx.h, [patches + 1, patches + 1]),
  };
  for (let i = 0; i < a.depth; i++) {
    const name = `blocks.${i}`;
    x = g.add(x, attention(g, g.layerNorm(x, `${name}.norm1`, LN_EPS), a.num_heads[i]!, grids, `${name}.attn`), `${name}.residual1`);
    const hidden = Math.floor(e * a.mlp_ratio[i]!);
    x = g.add(x, mlp(g, g.layerNorm(x, `${name}.norm2`, LN_EPS), hidden, `${name}.mlp`), `${name}.residual2`);
  }
  x = g.layerNorm(x, 'norm', LN_EPS);
  const patchTokens = g.slice(x, 'patch_tokens_only', { starts: [1], ends: [patches + 1], axes: [1] });
  const pooled = g.reduceMean(patchTokens, 'gp', [1], false);
  g.output(g.gemm(pooled, 'head', CLASSES));
  return g.build({ exposeActivations, metadata: { [FLOPS_CONVENTION]: 'autoformer', space: spaceName } });
}
