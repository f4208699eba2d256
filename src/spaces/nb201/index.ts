import type { Rng } from '../../lib/rng';
import type { CategoricalDecisions, SearchSpace } from '../types';
import { ArchitectureError, checkDecisionIndices } from '../types';
import { EDGES, OPS, formatNb201, nb201ArchSchema, parseNb201, type Nb201Arch } from './arch';
import { canonicalNb201 } from './canonical';
import { NB201_DATASETS, costNb201 } from './cost';

export { OPS, EDGES, enumerateNb201, formatNb201, parseNb201, nb201ArchSchema, type Nb201Arch, type Op } from './arch';
export { canonicalNb201 } from './canonical';
export { costNb201, NB201_DATASETS } from './cost';

function sampleNb201(rng: Rng): Nb201Arch {
  return Array.from({ length: 6 }, () => rng.pick(OPS));
}

/** Changes one edge to a different operation (the benchmark's standard mutation). */
function mutateNb201(arch: Nb201Arch, rng: Rng): Nb201Arch {
  const edge = rng.int(arch.length);
  const current = arch[edge];
  const choices = OPS.filter((op) => op !== current);
  const child = arch.slice();
  child[edge] = rng.pick(choices);
  return child;
}

/** One decision per edge, in the JSON form's edge order, each over the 5 operations in `OPS` order. */
const nb201Decisions: CategoricalDecisions<Nb201Arch> = {
  choices: EDGES.map(() => OPS),
  encode(arch) {
    return arch.map((op) => {
      const index = OPS.indexOf(op);
      if (index < 0) throw new ArchitectureError(`unknown operation '${String(op)}'; use one of ${OPS.join(', ')}`);
      return index;
    });
  },
  decode(indices) {
    checkDecisionIndices(indices, nb201Decisions.choices);
    return indices.map((i) => OPS[i]!);
  },
};

export const nb201Space: SearchSpace<Nb201Arch> = {
  name: 'nb201',
  defaultEvaluator: 'nb201-table',
  datasets: Object.keys(NB201_DATASETS),
  schema: nb201ArchSchema,
  description:
    'A cell-based convolutional network. The cell is a directed acyclic graph of 4 nodes: node 0 is the ' +
    'cell input, node 3 the cell output, and every edge i->j (i<j) applies one operation: ' +
    'none (the edge is absent), skip_connect (identity), nor_conv_1x1 and nor_conv_3x3 (ReLU, convolution, ' +
    'batch norm), avg_pool_3x3 (3x3 average pooling). A node sums its inputs. The network stacks the same ' +
    'cell 15 times in 3 stages of 16, 32 and 64 channels with residual downsampling between stages. ' +
    'Convolutions add accuracy and cost; an edge that lies on no path from node 0 to node 3 has no effect. ' +
    'Text format: |op~0|+|op~0|op~1|+|op~0|op~1|op~2| lists the inputs of nodes 1, 2 and 3.',
  dimensions: [
    'Edge 0->1 (node 1 from the input)',
    'Edge 0->2 (node 2 from the input)',
    'Edge 1->2 (node 2 from node 1)',
    'Edge 0->3 (output from the input)',
    'Edge 1->3 (output from node 1)',
    'Edge 2->3 (output from node 2)',
  ],
  jsonFormat:
    'a list of 6 operation names for the edges 0->1, 0->2, 1->2, 0->3, 1->3, 2->3 in that order, ' +
    'each one of none, skip_connect, nor_conv_1x1, nor_conv_3x3, avg_pool_3x3; ' +
    'e.g. ["nor_conv_3x3", "skip_connect", "nor_conv_1x1", "none", "nor_conv_3x3", "skip_connect"]',
  parse(text) {
    return parseNb201(text);
  },
  format(arch) {
    const checked = nb201ArchSchema.safeParse(arch);
    if (!checked.success) throw new ArchitectureError(`not a NAS-Bench-201 architecture: ${checked.error.message}`);
    return formatNb201(checked.data);
  },
  key(arch) {
    return formatNb201(canonicalNb201(arch));
  },
  sample: sampleNb201,
  mutate: mutateNb201,
  cost: costNb201,
  decisions: nb201Decisions,
};
