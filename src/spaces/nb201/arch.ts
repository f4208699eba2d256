import { z } from 'zod';
import { ArchitectureError } from '../types';

/**
 * NAS-Bench-201 cell: 4 nodes, node 0 is the cell input and node 3 its
 * output; each of the 6 edges i -> j (i < j) carries one operation.
 */
export const OPS = ['none', 'skip_connect', 'nor_conv_1x1', 'nor_conv_3x3', 'avg_pool_3x3'] as const;
export type Op = (typeof OPS)[number];

/** Edges in canonical order: (1<-0), (2<-0), (2<-1), (3<-0), (3<-1), (3<-2). */
export const EDGES: readonly (readonly [from: number, to: number])[] = [
  [0, 1],
  [0, 2],
  [1, 2],
  [0, 3],
  [1, 3],
  [2, 3],
];

export const opSchema = z.enum(OPS);

/** JSON form: the six edge operations in canonical edge order. */
export const nb201ArchSchema = z
  .array(opSchema)
  .length(6)
  .describe(
    'Six operations, one per edge, in the order node1<-0, node2<-0, node2<-1, node3<-0, node3<-1, node3<-2',
  );
export type Nb201Arch = z.infer<typeof nb201ArchSchema>;

const OP_SET: ReadonlySet<string> = new Set(OPS);

/**
 * Parses `|op~0|+|op~0|op~1|+|op~0|op~1|op~2|`. Errors name the edge that is
 * wrong (node and input) and the accepted operations.
 */
export function parseNb201(text: string): Nb201Arch {
  if (typeof text !== 'string') throw new ArchitectureError('architecture must be a string');
  const trimmed = text.trim();
  const nodes = trimmed.split('+');
  if (nodes.length !== 3) {
    throw new ArchitectureError(
      `expected 3 node groups separated by '+', found ${nodes.length} in '${trimmed}' ` +
        `(format: |op~0|+|op~0|op~1|+|op~0|op~1|op~2|)`,
    );
  }
  const ops: Op[] = [];
  nodes.forEach((group, g) => {
    const node = g + 1;
    if (!group.startsWith('|') || !group.endsWith('|') || group.length < 2) {
      throw new ArchitectureError(`node ${node} group '${group}' must start and end with '|'`, `node ${node}`);
    }
    const items = group.slice(1, -1).split('|');
    if (items.length !== node) {
      throw new ArchitectureError(`node ${node} must have ${node} input edge(s), found ${items.length} in '${group}'`, `node ${node}`);
    }
    items.forEach((item, input) => {
      const where = `node ${node}, input ${input}`;
      const [op, idx, ...rest] = item.split('~');
      if (rest.length > 0 || idx === undefined) {
        throw new ArchitectureError(`${where}: '${item}' is not of the form op~${input}`, where);
      }
      if (idx !== String(input)) {
        throw new ArchitectureError(`${where}: '${item}' names input ${idx}, expected ~${input}`, where);
      }
      if (!OP_SET.has(op!)) {
        throw new ArchitectureError(`${where}: unknown operation '${op}'; use one of ${OPS.join(', ')}`, where);
      }
      ops.push(op as Op);
    });
  });
  return ops;
}

export function formatNb201(arch: Nb201Arch): string {
  const [a, b, c, d, e, f] = arch;
  return `|${a}~0|+|${b}~0|${c}~1|+|${d}~0|${e}~1|${f}~2|`;
}

/** All 5^6 = 15,625 architectures (first edge varying slowest; not the benchmark's index order). */
export function* enumerateNb201(): Generator<Nb201Arch> {
  for (let i = 0; i < OPS.length ** 6; i++) {
    const arch: Op[] = [];
    let rest = i;
    for (let e = 5; e >= 0; e--) {
      arch[e] = OPS[rest % OPS.length]!;
      rest = Math.floor(rest / OPS.length);
    }
    yield arch;
  }
}
