import { z } from 'zod';
import { parseJsonText } from '../json-text';
import { ArchitectureError } from '../types';
import { NUM_BLOCKS } from './network';

/**
 * The four candidate blocks, by the index the supernet uses for them
 * (src/Supernet/network.py builds them in this order).
 */
export const OPS = ['shuffle_3x3', 'shuffle_5x5', 'shuffle_7x7', 'xception_3x3'] as const;
export const OP_IDS = [0, 1, 2, 3] as const;
export type SposOp = (typeof OP_IDS)[number];

export interface SposArch {
  /** One op index per block, in network order. */
  ops: SposOp[];
}

const opSchema = z.literal(OP_IDS, {
  error: (iss) => `must be 0, 1, 2 or 3 (got ${JSON.stringify(iss.input)})`,
});

/**
 * JSON form: `{ "ops": [20 integers] }`. An object rather than a bare list so
 * that error paths read `ops[3]`, the name the description uses.
 */
export const sposArchSchema: z.ZodType<SposArch> = z
  .object({
    ops: z
      .array(opSchema)
      .length(NUM_BLOCKS, {
        error: (iss) =>
          `must list ${NUM_BLOCKS} ops, one per block (got ${Array.isArray(iss.input) ? iss.input.length : 'a different number'})`,
      })
      .describe(`${NUM_BLOCKS} block ops in network order: 0 shuffle 3x3, 1 shuffle 5x5, 2 shuffle 7x7, 3 xception`),
  })
  .strict();

/** `ops[3]` for the path ['ops', 3]: the same spelling the description and parse errors use. */
export function issuePath(path: readonly PropertyKey[]): string {
  return path.map((p, i) => (typeof p === 'number' ? `[${p}]` : `${i === 0 ? '' : '.'}${String(p)}`)).join('');
}

/** Checks a candidate against the schema; the first problem becomes an ArchitectureError naming its field. */
export function checkSpos(candidate: unknown): SposArch {
  const checked = sposArchSchema.safeParse(candidate);
  if (checked.success) return checked.data;
  const issue = checked.error.issues[0]!;
  const where = issuePath(issue.path) || 'architecture';
  throw new ArchitectureError(`${where}: ${issue.message}`, where);
}

/**
 * Parses the text form: the 20 digits joined ("21012020202300003233"). Also
 * accepted, since people paste them: the digits separated by commas or spaces,
 * optionally in () or [] (the way the paper's tuple is written), and the JSON
 * object form.
 */
export function parseSpos(text: string): SposArch {
  if (typeof text !== 'string') throw new ArchitectureError('architecture must be a string');
  const trimmed = text.trim();
  if (trimmed.startsWith('{')) return checkSpos(parseJsonText(trimmed, '{"ops":[20 ints 0-3]}'));
  const inner = /^[([].*[)\]]$/s.test(trimmed) ? trimmed.slice(1, -1).trim() : trimmed;
  const tokens = /[\s,]/.test(inner) ? inner.split(/[\s,]+/).filter((t) => t !== '') : [...inner];
  if (tokens.length !== NUM_BLOCKS) {
    throw new ArchitectureError(
      `ops: found ${tokens.length} ops in '${trimmed}' but the network has ${NUM_BLOCKS} blocks ` +
        `(write ${NUM_BLOCKS} digits 0-3, e.g. ${'0'.repeat(NUM_BLOCKS)})`,
      'ops',
    );
  }
  // Digits become numbers; anything else goes to the schema as is, so the error quotes it.
  return checkSpos({ ops: tokens.map((t) => (/^\d$/.test(t) ? Number(t) : t)) });
}

export function formatSpos(arch: SposArch): string {
  return checkSpos(arch).ops.join('');
}
