import { z } from 'zod';
import type { SearchSpace } from '../../../spaces/types';

/**
 * The Generator's "edit" mode: instead of whole architectures it writes edits
 * of the best ones shown to it, `{"parent": 2, "changes": [{"position": 4,
 * "value": "nor_conv_3x3"}]}`. On a space of independent categorical
 * decisions (its `decisions`) every edit the schema admits yields a legal
 * architecture, so a grammar-bound model cannot write an illegal one, and an
 * edit of a good parent is a small step a small model can take.
 */

/** Whether a space supports edit mode: independent decisions with one set of options for every position. */
export function editable(space: SearchSpace<unknown>): string | undefined {
  const d = space.decisions;
  if (!d) return `the generator's edit mode needs a space of independent choices (decisions); ${space.name} has none: use "free"`;
  return undefined;
}

/** The options any position takes (the union over positions; positions that differ are checked when applied). */
function values(space: SearchSpace<unknown>): unknown[] {
  const all = new Map<string, unknown>();
  for (const options of space.decisions!.choices) for (const v of options) all.set(JSON.stringify(v), v);
  return [...all.values()];
}

/** One edit, as zod: a parent number from the list shown, and one or two changes. */
export function editSchema(space: SearchSpace<unknown>, parents: number): z.ZodType<{ parent: number; changes: { position: number; value: unknown }[] }> {
  const positions = space.decisions!.choices.length;
  const vals = values(space);
  const value = vals.every((v) => typeof v === 'string')
    ? z.enum(vals as [string, ...string[]])
    : z.union(vals.map((v) => z.literal(v as string | number)) as unknown as [z.ZodLiteral<string | number>, z.ZodLiteral<string | number>]);
  return z.object({
    parent: z.number().int().min(1).max(Math.max(1, parents)),
    changes: z
      .array(z.object({ position: z.number().int().min(0).max(positions - 1), value }))
      .min(1)
      .max(2),
  });
}

/** How an edit is written, for the prompt. */
export function editFormat(space: SearchSpace<unknown>): string {
  const d = space.decisions!;
  return (
    `an edit of one of the numbered best architectures: {"parent": <its number>, "changes": [{"position": <0 to ${d.choices.length - 1}>, ` +
    `"value": <the new choice at that position>}, ...]} with one or two changes; positions count the architecture's choices in the ` +
    `order of its JSON form, and each value is one of ${values(space).map((v) => JSON.stringify(v)).join(', ')}`
  );
}

/** The architecture an edit makes, or why it makes none. */
export function applyEdit(space: SearchSpace<unknown>, parents: readonly unknown[], edit: { parent: number; changes: { position: number; value: unknown }[] }): { arch: unknown } | { error: string } {
  const d = space.decisions!;
  const parent = parents[edit.parent - 1];
  if (parent === undefined) return { error: `parent ${edit.parent} is not one of the ${parents.length} numbered architectures` };
  const indices = d.encode(parent);
  for (const c of edit.changes) {
    const index = d.choices[c.position]!.findIndex((v) => JSON.stringify(v) === JSON.stringify(c.value));
    if (index < 0) return { error: `position ${c.position} cannot take ${JSON.stringify(c.value)}` };
    indices[c.position] = index;
  }
  return { arch: d.decode(indices) };
}
