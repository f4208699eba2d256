import type { Rng } from '../../lib/rng';
import type { AutoformerArch } from './arch';
import type { AutoformerVariant } from './variants';

/**
 * Random and neighbouring subnets. Both draw only from the values the
 * supernet trained (never the `extra*` values), so every proposal can be
 * scored with trained shared weights.
 */
export function sampleAutoformer(v: AutoformerVariant, rng: Rng): AutoformerArch {
  const depth = rng.pick(v.depth);
  return {
    depth,
    embed_dim: rng.pick(v.embedDim),
    mlp_ratio: Array.from({ length: depth }, () => rng.pick(v.mlpRatio)),
    num_heads: Array.from({ length: depth }, () => rng.pick(v.numHeads)),
  };
}

function other(values: readonly number[], current: number, rng: Rng): number {
  return rng.pick(values.filter((x) => x !== current));
}

/**
 * Changes exactly one choice. The kind (depth, embed_dim, one layer's MLP
 * ratio, one layer's heads) is drawn first, so that the two global choices are
 * not drowned out by the 12-16 per-layer ones. A depth change adds or removes
 * the last layer; an added layer copies the current last layer, so no other
 * choice changes with it.
 */
export function mutateAutoformer(v: AutoformerVariant, arch: AutoformerArch, rng: Rng): AutoformerArch {
  const child: AutoformerArch = {
    depth: arch.depth,
    embed_dim: arch.embed_dim,
    mlp_ratio: arch.mlp_ratio.slice(),
    num_heads: arch.num_heads.slice(),
  };
  const kind = rng.int(4);
  if (kind === 0) {
    const deeper = v.depth.includes(arch.depth + 1);
    const shallower = v.depth.includes(arch.depth - 1);
    if (deeper && (!shallower || rng.int(2) === 0)) {
      child.depth++;
      child.mlp_ratio.push(arch.mlp_ratio[arch.depth - 1]!);
      child.num_heads.push(arch.num_heads[arch.depth - 1]!);
    } else {
      child.depth--;
      child.mlp_ratio.pop();
      child.num_heads.pop();
    }
  } else if (kind === 1) {
    child.embed_dim = other(v.embedDim, arch.embed_dim, rng);
  } else {
    const layer = rng.int(arch.depth);
    if (kind === 2) child.mlp_ratio[layer] = other(v.mlpRatio, arch.mlp_ratio[layer]!, rng);
    else child.num_heads[layer] = other(v.numHeads, arch.num_heads[layer]!, rng);
  }
  return child;
}
