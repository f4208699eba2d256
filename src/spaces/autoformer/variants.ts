/**
 * The three AutoFormer supernets (microsoft/Cream, AutoFormer/). Each is a
 * ViT whose depth, embedding width and per-layer MLP ratio and head count are
 * chosen from small sets; the sets are the `SEARCH_SPACE` sections of
 * experiments/supernet/supernet-{T,S,B}.yaml.
 */
export interface AutoformerVariant {
  readonly name: string;
  /** Human name used in descriptions ("tiny"). */
  readonly size: string;
  readonly depth: readonly number[];
  readonly embedDim: readonly number[];
  /** Values the supernet was trained with: what `sample` and `mutate` draw from. */
  readonly mlpRatio: readonly number[];
  readonly numHeads: readonly number[];
  /**
   * Values also accepted as legal (never sampled), because a published
   * subnet or the paper uses them; the supernet never trained them, so their
   * weight-shared accuracy is less trustworthy.
   */
  readonly extraMlpRatio: readonly number[];
  readonly extraNumHeads: readonly number[];
}

type Ranges = Pick<AutoformerVariant, 'depth' | 'embedDim' | 'mlpRatio' | 'numHeads'> & Partial<Pick<AutoformerVariant, 'extraMlpRatio' | 'extraNumHeads'>>;

function variant(name: string, size: string, r: Ranges): AutoformerVariant {
  return { name, size, extraMlpRatio: [], extraNumHeads: [], ...r };
}

// experiments/subnet/AutoFormer-T.yaml (the published 5.8 M subnet) uses MLP ratio 3.0 in three
// layers, although its own SEARCH_SPACE section lists only 3.5 and 4.
export const AUTOFORMER_T = variant('autoformer-t', 'tiny', { depth: [12, 13, 14], embedDim: [192, 216, 240], mlpRatio: [3.5, 4], numHeads: [3, 4], extraMlpRatio: [3] });

export const AUTOFORMER_S = variant('autoformer-s', 'small', { depth: [12, 13, 14], embedDim: [320, 384, 448], mlpRatio: [3, 3.5, 4], numHeads: [5, 6, 7] });

// The paper's table lists heads {8, 9, 10} and experiments/subnet/AutoFormer-B.yaml's SEARCH_SPACE
// includes 8; supernet-B.yaml trains only 9 and 10.
export const AUTOFORMER_B = variant('autoformer-b', 'base', { depth: [14, 15, 16], embedDim: [528, 576, 624], mlpRatio: [3, 3.5, 4], numHeads: [9, 10], extraNumHeads: [8] });

/** Every legal value of a per-layer choice, sorted. */
export function accepted(trained: readonly number[], extra: readonly number[]): number[] {
  return [...new Set([...trained, ...extra])].sort((a, b) => a - b);
}

/** "3, 3.5 or 4" */
export function listOr(values: readonly number[]): string {
  return values.length === 1 ? String(values[0]) : `${values.slice(0, -1).join(', ')} or ${values[values.length - 1]}`;
}
