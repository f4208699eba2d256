import type { Cost } from '../types';
import type { Nb201Arch } from './arch';

/**
 * FLOPs and parameters of the NAS-Bench-201 network, counted the way the
 * benchmark counts them (conv and linear multiply-accumulates, linear bias
 * included; pooling and BN FLOPs not counted; BN affine parameters counted).
 *
 * Network: 3x3 stem conv (3->16) + BN, three stages of 5 identical cells at
 * 16/32/64 channels, a residual reduction block between stages, a final BN and
 * a linear classifier. Only the cell's conv edges vary between architectures,
 * so the cost is a fixed part plus a per-op part.
 */
interface DatasetShape {
  /** Input side length in pixels. */
  resolution: number;
  classes: number;
}

export const NB201_DATASETS: Readonly<Record<string, DatasetShape>> = {
  cifar10: { resolution: 32, classes: 10 },
  cifar100: { resolution: 32, classes: 100 },
  imagenet16: { resolution: 16, classes: 120 },
};

const STAGES = [16, 32, 64] as const;
const CELLS_PER_STAGE = 5;

interface Counted {
  macs: number;
  params: number;
}

/** ReLU-Conv-BN with a square kernel, no conv bias, BN affine. */
function convBn(cin: number, cout: number, k: number, outSide: number): Counted {
  const weights = cin * cout * k * k;
  return { macs: weights * outSide * outSide, params: weights + 2 * cout };
}

function sum(...parts: Counted[]): Counted {
  return parts.reduce((a, b) => ({ macs: a.macs + b.macs, params: a.params + b.params }), { macs: 0, params: 0 });
}

function fixedPart(shape: DatasetShape): Counted {
  const side = (stage: number): number => shape.resolution >> stage;
  const stem = convBn(3, STAGES[0], 3, side(0));
  const reductions: Counted[] = [1, 2].map((stage) => {
    const cin = STAGES[stage - 1]!;
    const cout = STAGES[stage]!;
    const s = side(stage);
    // conv_a (stride 2), conv_b, and the avg-pool + 1x1 conv shortcut (no BN).
    const shortcutWeights = cin * cout;
    return sum(convBn(cin, cout, 3, s), convBn(cout, cout, 3, s), {
      macs: shortcutWeights * s * s,
      params: shortcutWeights,
    });
  });
  const last = STAGES[2];
  const finalBn = { macs: 0, params: 2 * last };
  const classifier = { macs: (last + 1) * shape.classes, params: (last + 1) * shape.classes };
  return sum(stem, ...reductions, finalBn, classifier);
}

/** Cost of one conv edge summed over all 15 cells. */
function perEdge(shape: DatasetShape, k: number): Counted {
  return sum(...STAGES.map((c, stage) => convBn(c, c, k, shape.resolution >> stage)).map((x) => ({
    macs: x.macs * CELLS_PER_STAGE,
    params: x.params * CELLS_PER_STAGE,
  })));
}

interface CostTable {
  fixed: Counted;
  conv1x1: Counted;
  conv3x3: Counted;
}

const TABLES: Record<string, CostTable> = Object.fromEntries(
  Object.entries(NB201_DATASETS).map(([name, shape]) => [
    name,
    { fixed: fixedPart(shape), conv1x1: perEdge(shape, 1), conv3x3: perEdge(shape, 3) },
  ]),
);

export function costNb201(arch: Nb201Arch, dataset: string): Cost {
  const table = TABLES[dataset];
  if (!table) {
    throw new Error(`dataset: unknown NAS-Bench-201 dataset '${dataset}'; use one of ${Object.keys(TABLES).join(', ')}`);
  }
  const n1 = arch.filter((op) => op === 'nor_conv_1x1').length;
  const n3 = arch.filter((op) => op === 'nor_conv_3x3').length;
  const macs = table.fixed.macs + n1 * table.conv1x1.macs + n3 * table.conv3x3.macs;
  const params = table.fixed.params + n1 * table.conv1x1.params + n3 * table.conv3x3.params;
  // Round to the table's precision so that sums of floats compare exactly.
  return { flopsM: round6(macs / 1e6), paramsM: round6(params / 1e6) };
}

function round6(x: number): number {
  return Math.round(x * 1e6) / 1e6;
}
