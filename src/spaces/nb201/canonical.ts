import { EDGES, type Nb201Arch } from './arch';

/**
 * An edge only changes what the cell computes if it lies on some path from
 * the input (node 0) to the output (node 3) made of non-`none` edges: any
 * other edge feeds a node that never reaches the output, or reads a node that
 * is always zero. Replacing such edges by `none` gives one representative per
 * function, so that a search never spends budget on a disguised duplicate.
 */
export function canonicalNb201(arch: Nb201Arch): Nb201Arch {
  const live = arch.map((op) => op !== 'none');
  const fromInput = [true, false, false, false];
  for (let e = 0; e < EDGES.length; e++) {
    // Edges are ordered by target node, so one pass settles reachability.
    const [from, to] = EDGES[e]!;
    if (live[e] && fromInput[from]) fromInput[to] = true;
  }
  const toOutput = [false, false, false, true];
  for (let e = EDGES.length - 1; e >= 0; e--) {
    const [from, to] = EDGES[e]!;
    if (live[e] && toOutput[to]) toOutput[from] = true;
  }
  return arch.map((op, e) => {
    const [from, to] = EDGES[e]!;
    return live[e] && fromInput[from] && toOutput[to] ? op : 'none';
  });
}
