import type { SearchSpace } from '../types';
import { autoformerCodec, type AutoformerArch } from './arch';
import { AUTOFORMER_DATASETS, costAutoformer } from './cost';
import { mutateAutoformer, sampleAutoformer } from './moves';
import { AUTOFORMER_B, AUTOFORMER_S, AUTOFORMER_T, accepted, listOr, type AutoformerVariant } from './variants';

export { autoformerCodec, FIELDS, type AutoformerArch, type AutoformerCodec } from './arch';
export { AUTOFORMER_DATASETS, autoformerFlops, autoformerParams, costAutoformer } from './cost';
export { mutateAutoformer, sampleAutoformer } from './moves';
export { AUTOFORMER_B, AUTOFORMER_S, AUTOFORMER_T, type AutoformerVariant } from './variants';

/** "3, 3.5 or 4", plus the accepted-but-untrained values when there are any. */
function choices(trained: readonly number[], extra: readonly number[]): string {
  if (extra.length === 0) return listOr(trained);
  return `${listOr(trained)} (${listOr(extra)} is also accepted, but the shared weights never trained it)`;
}

function describe(v: AutoformerVariant): string {
  return (
    `A vision transformer (${v.size} size) for 224x224 images. The image is cut into 16x16 patches (196 tokens) ` +
    'that a linear projection maps to embed_dim; a class token and a learned position embedding are added, then ' +
    'depth pre-norm transformer layers follow; after a final layer norm the patch tokens are averaged and a ' +
    'linear classifier reads the average. Every layer has multi-head self-attention (num_heads heads of 64 dimensions each, with 2-D ' +
    'relative position encodings) and an MLP whose hidden width is embed_dim x mlp_ratio, each in a residual ' +
    'branch. All subnets share the weights of one trained supernet. Choices: ' +
    `depth ${listOr(v.depth)}; embed_dim ${listOr(v.embedDim)} (one width for the whole network); ` +
    `for each layer, mlp_ratio ${choices(v.mlpRatio, v.extraMlpRatio)} and ` +
    `num_heads ${choices(v.numHeads, v.extraNumHeads)}. ` +
    "Parameters and FLOPs grow with depth and roughly with embed_dim squared; raising one layer's mlp_ratio " +
    'by 0.5 adds about embed_dim^2 parameters, one more head in a layer about 256 x embed_dim. ' +
    'Text format: depth=D;embed_dim=E;mlp_ratio=r1,...,rD;num_heads=h1,...,hD (one value per layer, first to last).'
  );
}

function example(v: AutoformerVariant): AutoformerArch {
  const depth = v.depth[0]!;
  return {
    depth,
    embed_dim: v.embedDim[1] ?? v.embedDim[0]!,
    mlp_ratio: Array.from({ length: depth }, (_, i) => v.mlpRatio[i % v.mlpRatio.length]!),
    num_heads: Array.from({ length: depth }, (_, i) => v.numHeads[Math.floor((i * v.numHeads.length) / depth)]!),
  };
}

/** One space per supernet: the variants differ only in their value sets. */
export function autoformerSpace(v: AutoformerVariant): SearchSpace<AutoformerArch> {
  const codec = autoformerCodec(v);
  const mlp = listOr(accepted(v.mlpRatio, v.extraMlpRatio));
  const heads = listOr(accepted(v.numHeads, v.extraNumHeads));
  return {
    name: v.name,
    // One evaluator for the three sizes: it loads the user's supernet checkpoint for the space it is given
    // (none are bundled); not registered yet.
    defaultEvaluator: 'naswot',
    datasets: AUTOFORMER_DATASETS,
    schema: codec.schema,
    description: describe(v),
    dimensions: [
      `Depth (${listOr(v.depth)} layers)`,
      `Embedding width embed_dim (${listOr(v.embedDim)})`,
      `MLP ratio per layer (${listOr(v.mlpRatio)}; where in the depth to spend it)`,
      `Attention heads per layer (${listOr(v.numHeads)}; where in the depth to spend them)`,
    ],
    jsonFormat:
      `an object {"depth": D, "embed_dim": E, "mlp_ratio": [...], "num_heads": [...]} where D is ${listOr(v.depth)}, ` +
      `E is ${listOr(v.embedDim)}, and mlp_ratio (each ${mlp}) and num_heads (each ${heads}) list one value per ` +
      `layer, exactly D entries each; e.g. ${JSON.stringify(example(v))}`,
    parse: (text) => codec.parse(text),
    format: (arch) => codec.format(arch),
    /** Every choice changes the function, so the normalized text is the key. */
    key: (arch) => codec.format(arch),
    sample: (rng) => sampleAutoformer(v, rng),
    mutate: (arch, rng) => mutateAutoformer(v, arch, rng),
    cost: (arch, dataset) => costAutoformer(codec.check(arch), dataset),
  };
}

export const autoformerTSpace = autoformerSpace(AUTOFORMER_T);
export const autoformerSSpace = autoformerSpace(AUTOFORMER_S);
export const autoformerBSpace = autoformerSpace(AUTOFORMER_B);
