import type { Cost } from '../types';
import type { AutoformerArch } from './arch';

/**
 * Parameters and FLOPs of an AutoFormer subnet as the repository counts them
 * (microsoft/Cream, AutoFormer/model/supernet_transformer.py and model/module/).
 * The supernets are trained and searched with `--gp --change_qkv --relative_position`
 * (README; --gp pools the patch tokens and changes no count), `qkv_bias=True`,
 * 224x224 input and 16x16 patches.
 */
export const AUTOFORMER_DATASETS: readonly string[] = ['imagenet'];

const IN_CHANS = 3;
const PATCH = 16;
const TOKENS = (224 / PATCH) ** 2; // 196 patches; the class token makes 197
const CLASSES = 1000;
/** change_qkv: Q, K and V are 64 wide per head, whatever the embedding width. */
const HEAD_DIM = 64;
/** Each relative-position table has 2 * max_relative_position + 2 rows (14 by default), one row per clipped distance plus the class token's. */
const MAX_RELATIVE = 14;
const REL_ROWS = 2 * MAX_RELATIVE + 2;

/** FFN width: int(embed_dim * mlp_ratio), truncated as in TransformerEncoderLayer. */
function ffnWidth(embed: number, ratio: number): number {
  return Math.floor(embed * ratio);
}

/**
 * `get_sampled_params_numel`: the sampled slice of every module with
 * `calc_sampled_param_num` in the first `depth` blocks, plus embed x (2 + 196)
 * for the class token and the absolute position embedding (197 rows).
 */
export function autoformerParams(a: AutoformerArch): number {
  const e = a.embed_dim;
  const patchEmbed = e * IN_CHANS * PATCH * PATCH + e; // conv weight + bias
  const finalNorm = 2 * e;
  const head = e * CLASSES + CLASSES;
  let total = patchEmbed + finalNorm + head + e * (2 + TOKENS);
  for (let i = 0; i < a.depth; i++) {
    const q = HEAD_DIM * a.num_heads[i]!;
    const f = ffnWidth(e, a.mlp_ratio[i]!);
    const norms = 2 * (2 * e);
    const qkv = 3 * q * e + 3 * q;
    const proj = q * e + e;
    // rel_pos_embed_k and _v, each a vertical and a horizontal table of REL_ROWS x head_dim.
    // AttentionSuper itself reports 0; the tables are separate modules and count.
    const relative = 2 * 2 * REL_ROWS * HEAD_DIM;
    const mlp = e * f + f + f * e + e;
    total += norms + qkv + proj + relative + mlp;
  }
  return total;
}

/**
 * `get_complexity(196)`, quirks kept so the figures match: the patch conv
 * counts 196 positions plus its bias; the position embedding half a FLOP per
 * entry; every block is handed 197 and adds one again, so block terms use
 * n = 198; the head counts all 197 tokens. Linear layers count tokens x
 * weights; attention 2 n^2 q for QK^T and AV; each LayerNorm n x embed; the
 * relative-position terms are as written in AttentionSuper.get_complexity.
 */
export function autoformerFlops(a: AutoformerArch): number {
  const e = a.embed_dim;
  let total = e + TOKENS * e * IN_CHANS * PATCH * PATCH;
  total += ((TOKENS + 1) * e) / 2;
  total += (TOKENS + 1) * e * CLASSES;
  const n = TOKENS + 2;
  for (let i = 0; i < a.depth; i++) {
    const q = HEAD_DIM * a.num_heads[i]!;
    const f = ffnWidth(e, a.mlp_ratio[i]!);
    const norms = 2 * n * e;
    const qkv = n * 3 * q * e;
    const attention = 2 * n * n * q;
    const proj = n * q * e;
    const relative = 2 * MAX_RELATIVE * n * n + (n * n) / 2 + (n * q) / 2;
    const mlp = 2 * n * e * f;
    total += norms + qkv + attention + proj + relative + mlp;
  }
  return total;
}

export function costAutoformer(arch: AutoformerArch, dataset: string): Cost {
  if (!AUTOFORMER_DATASETS.includes(dataset)) {
    throw new Error(`dataset: unknown AutoFormer dataset '${dataset}'; use one of ${AUTOFORMER_DATASETS.join(', ')}`);
  }
  return { flopsM: round6(autoformerFlops(arch) / 1e6), paramsM: round6(autoformerParams(arch) / 1e6) };
}

function round6(x: number): number {
  return Math.round(x * 1e6) / 1e6;
}
