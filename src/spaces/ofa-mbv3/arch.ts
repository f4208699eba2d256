import { z } from 'zod';
import { parseJsonText } from '../json-text';
import { ArchitectureError } from '../types';
import { DEPTHS, EXPAND_RATIOS, KERNEL_SIZES, MAX_DEPTH, SLOT_COUNT, STAGE_COUNT, slotActive } from './layout';

/**
 * One subnet, in the representation of the CoLLM-NAS paper (and OFA's own
 * `set_active_subnet`): input resolution, depth per stage, and a kernel size
 * and expand ratio per block slot, 4 slots per stage. Slots past a stage's
 * depth are unused; they may hold 0 or any legal value, and the canonical
 * form writes 0 there.
 */
export interface OfaArch {
  r: number;
  d: number[];
  ks: number[];
  e: number[];
}

/** The resolutions an architecture may use, or 'any' positive integer (for cost queries). */
export type Resolutions = readonly number[] | 'any';

export interface Issue {
  /** Path as zod reports it, e.g. ['ks', 3]. */
  path: (string | number)[];
  /** The path as the text of an error names it, e.g. "ks[3]". */
  where: string;
  message: string;
}

const FIELDS = ['r', 'd', 'ks', 'e'] as const;

/** "3, 5 or 7" (or "r, d, ks and e") */
export function listChoices(values: readonly (number | string)[], last = 'or'): string {
  return values.length < 2 ? values.join('') : `${values.slice(0, -1).join(', ')} ${last} ${values[values.length - 1]}`;
}

function shown(value: unknown): string {
  return value === undefined ? 'nothing' : JSON.stringify(value);
}

function issue(path: (string | number)[], message: string): Issue {
  const where = path.map((p, i) => (typeof p === 'number' ? `[${p}]` : i === 0 ? p : `.${p}`)).join('');
  return { path, where, message };
}

function checkResolution(r: unknown, resolutions: Resolutions): Issue[] {
  if (resolutions === 'any') {
    return Number.isInteger(r) && (r as number) > 0 ? [] : [issue(['r'], `must be a positive integer (got ${shown(r)})`)];
  }
  return resolutions.includes(r as number) ? [] : [issue(['r'], `must be one of ${listChoices(resolutions)} (got ${shown(r)})`)];
}

/** Per-stage depths; undefined where a depth is not legal (slot use then unknown). */
function checkDepths(d: unknown, out: Issue[]): (number | undefined)[] {
  if (!Array.isArray(d) || d.length !== STAGE_COUNT) {
    out.push(issue(['d'], `must be a list of ${STAGE_COUNT} depths, one per stage (got ${shown(d)})`));
    return [];
  }
  return d.map((v: unknown, s) => {
    if ((DEPTHS as readonly unknown[]).includes(v)) return v as number;
    out.push(issue(['d', s], `must be ${listChoices(DEPTHS)} (got ${shown(v)})`));
    return undefined;
  });
}

function checkSlots(field: 'ks' | 'e', values: unknown, legal: readonly number[], depths: (number | undefined)[], out: Issue[]): void {
  const what = field === 'ks' ? 'kernel sizes' : 'expand ratios';
  if (!Array.isArray(values) || values.length !== SLOT_COUNT) {
    out.push(issue([field], `must be a list of ${SLOT_COUNT} ${what}, ${MAX_DEPTH} per stage (got ${shown(values)})`));
    return;
  }
  values.forEach((v: unknown, i) => {
    const stage = Math.floor(i / MAX_DEPTH);
    const depth = depths[stage];
    const isLegal = legal.includes(v as number);
    if (depth !== undefined && i % MAX_DEPTH < depth) {
      if (isLegal) return;
      // 0 is the usual mistake: say why this slot counts.
      const why = v === 0 ? `: d[${stage}] = ${depth} puts this slot in use` : '';
      out.push(issue([field, i], `must be ${listChoices(legal)} (got ${shown(v)})${why}`));
    } else if (!isLegal && v !== 0) {
      const why = depth === undefined ? 'in a slot past its stage depth' : `as d[${stage}] = ${depth} leaves this slot unused`;
      out.push(issue([field, i], `must be ${listChoices(legal)} (got ${shown(v)}), or 0 ${why}`));
    }
  });
}

/** Every reason `value` is not an architecture, each naming its field. */
export function archIssues(value: unknown, resolutions: Resolutions): Issue[] {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return [issue(['architecture'], `must be a JSON object with the fields ${listChoices(FIELDS, 'and')} (got ${shown(value)})`)];
  }
  const record = value as Record<string, unknown>;
  const out: Issue[] = Object.keys(record)
    .filter((k) => !(FIELDS as readonly string[]).includes(k))
    .map((k) => issue([k], `unknown field; an architecture has exactly the fields ${listChoices(FIELDS, 'and')}`));
  out.push(...checkResolution(record.r, resolutions));
  const depths = checkDepths(record.d, out);
  checkSlots('ks', record.ks, KERNEL_SIZES, depths, out);
  checkSlots('e', record.e, EXPAND_RATIOS, depths, out);
  return out;
}

/** A copy of `value` as an architecture, or an ArchitectureError listing every problem. */
export function checkOfaArch(value: unknown, resolutions: Resolutions): OfaArch {
  const issues = archIssues(value, resolutions);
  if (issues.length > 0) {
    throw new ArchitectureError(issues.map((i) => `${i.where}: ${i.message}`).join('; '), issues[0]!.where);
  }
  const a = value as OfaArch;
  return { r: a.r, d: a.d.slice(), ks: a.ks.slice(), e: a.e.slice() };
}

/** Unused slots set to 0: one representative per subnet. */
export function canonicalOfa(arch: OfaArch): OfaArch {
  const keep = (v: number, i: number): number => (slotActive(arch.d, i) ? v : 0);
  return { r: arch.r, d: arch.d.slice(), ks: arch.ks.map(keep), e: arch.e.map(keep) };
}

/** Compact JSON of the canonical form, fields in a fixed order (also the key). */
export function formatOfa(arch: OfaArch): string {
  const c = canonicalOfa(arch);
  return JSON.stringify({ r: c.r, d: c.d, ks: c.ks, e: c.e });
}

export function parseOfa(text: string, resolutions: Resolutions): OfaArch {
  return checkOfaArch(parseJsonText(text, '{"r":224,"d":[5 depths],"ks":[20 kernel sizes],"e":[20 expand ratios]}'), resolutions);
}

/**
 * What an LLM writes. Its structure (fixed-length lists of enums) is what
 * JSON Schema and the embedded provider's grammar can enforce; that a slot in
 * use holds no 0 depends on `d`, so a refinement checks it (zod runs it only
 * once the structure is right, and JSON Schema leaves it out).
 */
export function ofaArchSchema(resolutions: readonly number[]): z.ZodType<OfaArch> {
  const slots = (legal: readonly number[], what: string) =>
    z
      .array(z.literal([0, ...legal]))
      .length(SLOT_COUNT)
      .describe(`${SLOT_COUNT} ${what}, ${MAX_DEPTH} block slots per stage in stage order; 0 in the slots past the stage's depth`);
  return z
    .object({
      r: z.literal(resolutions).describe('input resolution in pixels'),
      d: z.array(z.literal(DEPTHS)).length(STAGE_COUNT).describe(`number of blocks in each of the ${STAGE_COUNT} stages`),
      ks: slots(KERNEL_SIZES, 'depthwise kernel sizes'),
      e: slots(EXPAND_RATIOS, 'expand ratios'),
    })
    .superRefine((value, ctx) => {
      for (const i of archIssues(value, resolutions)) ctx.addIssue({ code: 'custom', path: i.path, message: i.message });
    });
}
