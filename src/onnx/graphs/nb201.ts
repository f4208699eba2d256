import { EDGES, NB201_DATASETS, nb201ArchSchema, type Nb201Arch, type Op } from '../../spaces/nb201';
import { BATCH, NetBuilder, type Tensor } from './builder';
import type { BuiltGraph } from './graph';
import { FLOPS_CONVENTION } from '../count/count';

/**
 * The NAS-Bench-201 network (TinyNetwork in the benchmark's code), the one
 * src/spaces/nb201/cost.ts counts: 3x3 stem conv (3->16, no bias) + BN; three
 * stages of 5 cells at 16, 32, 64 channels with a residual reduction block
 * between stages; final BN + ReLU; global average pool; linear classifier.
 *
 * Cell: node 0 is the cell input; node j sums op(node i) over its non-`none`
 * in-edges. The benchmark's `none` computes x * 0, so a node whose in-edges
 * are all `none` is a Mul by zero here; a `none` edge into a node that has
 * other inputs is left out (adding zero). Convolutions on edges that do not
 * reach the output stay in the graph: the benchmark computes them, and its
 * counts (and cost()) include them. onnxruntime prunes what feeds no output.
 */

const STAGES = [16, 32, 64] as const;
const CELLS_PER_STAGE = 5;

/** ReLU -> Conv (no bias) -> BN: the benchmark's ReLUConvBN. */
function reluConvBn(g: NetBuilder, x: Tensor, name: string, cout: number, k: number, stride = 1): Tensor {
  const r = g.relu(x, `${name}.relu`);
  return g.batchNorm(g.conv2d(r, `${name}.conv`, { cout, k, stride }), `${name}.bn`);
}

function edge(g: NetBuilder, x: Tensor, op: Exclude<Op, 'none'>, name: string): Tensor {
  const c = x.shape[1] as number;
  switch (op) {
    case 'skip_connect':
      return x;
    case 'nor_conv_1x1':
      return reluConvBn(g, x, name, c, 1);
    case 'nor_conv_3x3':
      return reluConvBn(g, x, name, c, 3);
    case 'avg_pool_3x3':
      // nn.AvgPool2d(3, stride=1, padding=1, count_include_pad=False)
      return g.avgPool(x, `${name}.pool`, { k: 3, stride: 1, pad: 1, countIncludePad: false });
  }
}

function cell(g: NetBuilder, x: Tensor, arch: Nb201Arch, name: string): Tensor {
  const nodes: Tensor[] = [x];
  for (let j = 1; j <= 3; j++) {
    const terms: Tensor[] = [];
    EDGES.forEach(([from, to], e) => {
      const op = arch[e]!;
      if (to === j && op !== 'none') terms.push(edge(g, nodes[from]!, op, `${name}.edge${from}${to}`));
    });
    nodes.push(terms.length > 0 ? g.sum(terms, `${name}.node${j}`) : g.mul(x, g.scalar(`${name}.zero`, 0), `${name}.node${j}`));
  }
  return nodes[3]!;
}

/** ResNetBasicblock with stride 2: conv_a, conv_b, and AvgPool(2) + 1x1 conv (no BN) as the shortcut. */
function reduction(g: NetBuilder, x: Tensor, cout: number, name: string): Tensor {
  const a = reluConvBn(g, x, `${name}.conv_a`, cout, 3, 2);
  const b = reluConvBn(g, a, `${name}.conv_b`, cout, 3);
  const pooled = g.avgPool(x, `${name}.downsample.pool`, { k: 2, stride: 2 });
  const shortcut = g.conv2d(pooled, `${name}.downsample.conv`, { cout, k: 1, gain: 1 });
  return g.add(shortcut, b, `${name}.add`);
}

export function buildNb201(arch: Nb201Arch, dataset: string, seed: number, exposeActivations: boolean): BuiltGraph {
  const ops = nb201ArchSchema.parse(arch);
  const shape = NB201_DATASETS[dataset];
  if (!shape) throw new Error(`dataset: unknown NAS-Bench-201 dataset '${dataset}'; use one of ${Object.keys(NB201_DATASETS).join(', ')}`);
  const g = new NetBuilder('nb201', seed);
  const input = g.input('input', [BATCH, 3, shape.resolution, shape.resolution]);
  // The stem reads the raw image: gain 1 keeps its output at the input's variance.
  let x = g.batchNorm(g.conv2d(input, 'stem.conv', { cout: STAGES[0], k: 3, gain: 1 }), 'stem.bn');
  STAGES.forEach((c, stage) => {
    if (stage > 0) x = reduction(g, x, c, `stage${stage}.reduction`);
    for (let i = 0; i < CELLS_PER_STAGE; i++) x = cell(g, x, ops, `stage${stage}.cell${i}`);
  });
  x = g.relu(g.batchNorm(x, 'lastact.bn'), 'lastact.relu');
  const pooled = g.flatten(g.globalAvgPool(x, 'global_pooling'), 'flatten');
  g.output(g.gemm(pooled, 'classifier', shape.classes, { gain: 2 }));
  return g.build({ exposeActivations, metadata: { [FLOPS_CONVENTION]: 'conv-linear+bias', space: 'nb201', dataset } });
}
