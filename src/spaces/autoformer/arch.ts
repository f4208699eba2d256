import { z } from 'zod';
import { parseJsonText } from '../json-text';
import { ArchitectureError } from '../types';
import { accepted, listOr, type AutoformerVariant } from './variants';

/**
 * One subnet: its depth, the embedding width shared by all layers, and the
 * MLP ratio and head count of each layer (exactly `depth` entries each).
 * Field names follow the repository's sample config.
 */
export interface AutoformerArch {
  depth: number;
  embed_dim: number;
  mlp_ratio: number[];
  num_heads: number[];
}

export const FIELDS = ['depth', 'embed_dim', 'mlp_ratio', 'num_heads'] as const;
type Field = (typeof FIELDS)[number];

/** Reads and writes one variant's architectures; legality lives in the schema so that LLM answers get it too. */
export interface AutoformerCodec {
  readonly schema: z.ZodType<AutoformerArch>;
  /** The schema's verdict as an ArchitectureError naming the field, e.g. `num_heads[3]: must be 3 or 4 (got 5)`. */
  check(candidate: unknown): AutoformerArch;
  parse(text: string): AutoformerArch;
  format(arch: AutoformerArch): string;
}

function oneOf(values: readonly number[]) {
  return z.literal(values as number[], {
    error: (iss) => `must be ${listOr(values)} (got ${JSON.stringify(iss.input)})`,
  });
}

function buildSchema(v: AutoformerVariant): z.ZodType<AutoformerArch> {
  const minDepth = Math.min(...v.depth);
  const maxDepth = Math.max(...v.depth);
  // JSON Schema cannot tie an array's length to another field, so the lists
  // are bounded by the depth range and the exact rule is a refinement: it is
  // invisible to z.toJSONSchema (an LLM grammar still compiles) but enforced
  // by safeParse, which is how LLM answers are checked.
  const perLayer = (values: readonly number[], what: string) =>
    z
      .array(oneOf(values))
      .min(minDepth, { error: (iss) => lengthMessage(iss.input, minDepth, maxDepth) })
      .max(maxDepth, { error: (iss) => lengthMessage(iss.input, minDepth, maxDepth) })
      .describe(`${what} of each layer, first to last; exactly depth entries`);
  return z
    .object({
      depth: oneOf(v.depth).describe('number of transformer layers'),
      embed_dim: oneOf(v.embedDim).describe('embedding width shared by all layers'),
      mlp_ratio: perLayer(accepted(v.mlpRatio, v.extraMlpRatio), 'MLP hidden width / embed_dim'),
      num_heads: perLayer(accepted(v.numHeads, v.extraNumHeads), 'attention heads (64 dims each)'),
    })
    .strict()
    .superRefine((arch, ctx) => {
      // Runs even when a field failed above, so it must not trust the types.
      if (!v.depth.includes(arch.depth)) return;
      for (const field of ['mlp_ratio', 'num_heads'] as const) {
        const list: unknown = arch[field];
        if (Array.isArray(list) && list.length !== arch.depth) {
          ctx.addIssue({
            code: 'custom',
            path: [field],
            message: `has ${list.length} entries but depth is ${arch.depth} (give exactly one value per layer)`,
          });
        }
      }
    });
}

function lengthMessage(input: unknown, min: number, max: number): string {
  const got = Array.isArray(input) ? `, got ${input.length}` : '';
  return `must have one entry per layer: ${min} to ${max} entries, as many as depth${got}`;
}

/** `num_heads[3]` for the path ['num_heads', 3]. */
function issuePath(path: readonly PropertyKey[]): string {
  return path.map((p, i) => (typeof p === 'number' ? `[${p}]` : `${i === 0 ? '' : '.'}${String(p)}`)).join('');
}

const TEXT_FORMAT = 'depth=D;embed_dim=E;mlp_ratio=r1,r2,...;num_heads=h1,h2,...';

/** A number when the token is one; otherwise the token itself, so that the schema's error quotes it. */
function numberOrToken(token: string): number | string {
  return /^\d+(\.\d+)?$/.test(token) ? Number(token) : token;
}

function parseFields(text: string, check: (c: unknown) => AutoformerArch): AutoformerArch {
  const values = new Map<Field, string>();
  for (const part of text.split(';')) {
    if (part.trim() === '') continue;
    const eq = part.indexOf('=');
    const name = (eq < 0 ? part : part.slice(0, eq)).trim();
    if (!(FIELDS as readonly string[]).includes(name)) {
      throw new ArchitectureError(`'${name}' is not a field; use ${FIELDS.join(', ')} (format: ${TEXT_FORMAT})`, name);
    }
    if (eq < 0) throw new ArchitectureError(`${name}: missing '=value' (format: ${TEXT_FORMAT})`, name);
    if (values.has(name as Field)) throw new ArchitectureError(`${name}: given twice`, name);
    values.set(name as Field, part.slice(eq + 1).trim());
  }
  for (const field of FIELDS) {
    if (!values.has(field)) throw new ArchitectureError(`${field}: missing (format: ${TEXT_FORMAT})`, field);
  }
  const list = (field: Field) => values.get(field)!.split(',').map((t) => numberOrToken(t.trim()));
  return check({
    depth: numberOrToken(values.get('depth')!),
    embed_dim: numberOrToken(values.get('embed_dim')!),
    mlp_ratio: list('mlp_ratio'),
    num_heads: list('num_heads'),
  });
}

export function autoformerCodec(v: AutoformerVariant): AutoformerCodec {
  const schema = buildSchema(v);
  const check = (candidate: unknown): AutoformerArch => {
    const checked = schema.safeParse(candidate);
    if (checked.success) {
      // Rebuilt field by field: the canonical order is what keys compare.
      const a = checked.data;
      return { depth: a.depth, embed_dim: a.embed_dim, mlp_ratio: a.mlp_ratio.slice(), num_heads: a.num_heads.slice() };
    }
    // "has 11 entries but depth is 12" says more than the range check on the same list, so it wins.
    const issues = checked.error.issues;
    const exact = issues.find((i) => i.code === 'custom');
    const ranged = issues.find((i) => i.code === 'too_small' || i.code === 'too_big');
    const issue = exact && ranged && issuePath(exact.path) === issuePath(ranged.path) && issues[0] === ranged ? exact : issues[0]!;
    const where = issuePath(issue.path) || 'architecture';
    throw new ArchitectureError(`${where}: ${issue.message}`, where);
  };
  return {
    schema,
    check,
    /** The text form `depth=13;embed_dim=192;mlp_ratio=3.5,4,...;num_heads=3,4,...`, or the JSON object. */
    parse(text) {
      if (typeof text !== 'string') throw new ArchitectureError('architecture must be a string');
      const trimmed = text.trim();
      if (!trimmed.startsWith('{')) return parseFields(trimmed, check);
      return check(parseJsonText(trimmed, '{"depth":13,"embed_dim":192,"mlp_ratio":[...],"num_heads":[...]}'));
    },
    format(arch) {
      const a = check(arch);
      return `depth=${a.depth};embed_dim=${a.embed_dim};mlp_ratio=${a.mlp_ratio.join(',')};num_heads=${a.num_heads.join(',')}`;
    },
  };
}
