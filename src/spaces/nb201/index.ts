import type { Rng } from '../../search/rng';
import type { SearchSpace } from '../types';
import { ArchitectureError } from '../types';
import { OPS, formatNb201, nb201ArchSchema, parseNb201, type Nb201Arch } from './arch';
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

export const nb201Space: SearchSpace<Nb201Arch> = {
  name: 'nb201',
  datasets: Object.keys(NB201_DATASETS),
  schema: nb201ArchSchema,
  description:
    'NAS-Bench-201 cell space. A cell is a DAG of 4 nodes: node 0 is the input, node 3 the output; ' +
    'every edge i->j (i<j) applies one operation: none (no edge), skip_connect (identity), ' +
    'nor_conv_1x1 and nor_conv_3x3 (ReLU-conv-BN), avg_pool_3x3. A node sums its inputs. ' +
    'The network stacks this cell 15 times over 3 stages. Text format: ' +
    '|op~0|+|op~0|op~1|+|op~0|op~1|op~2| lists the inputs of nodes 1, 2 and 3.',
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
};
