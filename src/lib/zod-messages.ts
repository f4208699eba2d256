import type { z } from 'zod';
import { redactUrlsIn } from './url-secrets';

/**
 * Messages for zod's built-in checks that say what was expected and what
 * came ("expected an integer, got string \"ten\"", "must be at most 100, got
 * 150"), in place of zod's "Invalid input". Passed per parse (`safeParse(x,
 * {error: explainIssue})`), so a schema's own message still wins and other
 * parses (the Generator's retry prompts) keep theirs.
 */

/** How much of a value a message quotes: enough to recognise it, never a whole pasted file. */
const QUOTE_MAX = 60;

/** A value as a message shows it: its kind and a short, redacted quote. */
export function describeValue(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'null';
  if (Array.isArray(value)) return `an array of ${value.length} item${value.length === 1 ? '' : 's'}`;
  switch (typeof value) {
    case 'string':
      return `string ${quote(value)}`;
    case 'number':
      return String(value);
    case 'boolean':
      return String(value);
    case 'object':
      return 'an object';
    default:
      return typeof value;
  }
}

/** Text a message quotes: any credentials in a URL redacted, cut to QUOTE_MAX characters. */
export function clip(text: string): string {
  const shown = redactUrlsIn(text);
  return shown.length > QUOTE_MAX ? `${shown.slice(0, QUOTE_MAX)}…` : shown;
}

/** `clip`ped text in JSON quotes. */
export function quote(text: string): string {
  return JSON.stringify(clip(text));
}

const KINDS: Record<string, string> = {
  string: 'a string',
  number: 'a number',
  int: 'an integer',
  boolean: 'true or false',
  array: 'an array',
  object: 'an object',
  record: 'an object',
  null: 'null',
  bigint: 'an integer',
  date: 'a date',
};

/** "an integer from 1 to 1000" from the schema's own bounds, where zod reports the type alone. */
function expected(issue: { expected?: unknown; inst?: unknown }): string {
  const kind = String(issue.expected);
  const bag = (issue.inst as { _zod?: { bag?: Record<string, unknown> } } | undefined)?._zod?.bag ?? {};
  const integer = kind === 'int' || (kind === 'number' && typeof bag['format'] === 'string' && /int/.test(bag['format']));
  let text = integer ? KINDS['int']! : (KINDS[kind] ?? kind);
  if (kind === 'number' || integer) {
    const { minimum: min, maximum: max, exclusiveMinimum: above } = bag as Record<string, number | undefined>;
    const safe = (n: number | undefined): n is number => n !== undefined && Math.abs(n) < Number.MAX_SAFE_INTEGER;
    if (safe(min) && safe(max)) text += ` from ${min} to ${max}`;
    else if (safe(min)) text += ` of at least ${min}`;
    else if (safe(above)) text += ` greater than ${above}`;
    else if (safe(max)) text += ` of at most ${max}`;
  }
  return text;
}

function sizeOf(input: unknown): number | undefined {
  if (typeof input === 'string' || Array.isArray(input)) return input.length;
  if (input instanceof Set || input instanceof Map) return input.size;
  if (input !== null && typeof input === 'object') return Object.keys(input).length;
  return undefined;
}

function bound(issue: { origin?: unknown; inclusive?: boolean; input?: unknown }, limit: unknown, most: boolean): string {
  const n = String(limit);
  const got = issue.input;
  // zod's integer check bounds every integer to the safe range; its bound means nothing to a person.
  if (typeof limit === 'number' && Math.abs(limit) >= Number.MAX_SAFE_INTEGER) return `must be an integer of ordinary size, got ${describeValue(got)}`;
  const size = sizeOf(got);
  switch (issue.origin) {
    case 'string':
      return limit === 1 && !most ? 'must not be empty' : `must be at ${most ? 'most' : 'least'} ${n} characters long, got ${size ?? '?'}`;
    case 'array':
    case 'set':
      return limit === 1 && !most ? 'must not be empty' : `must have at ${most ? 'most' : 'least'} ${n} items, got ${size ?? '?'}`;
    case 'object':
    case 'record':
      return `must have at ${most ? 'most' : 'least'} ${n} fields, got ${size ?? '?'}`;
    default:
      if (issue.inclusive === false) return `must be ${most ? 'less' : 'greater'} than ${n}, got ${describeValue(got)}`;
      return `must be at ${most ? 'most' : 'least'} ${n}, got ${describeValue(got)}`;
  }
}

/** zod's per-parse error map: a message for each built-in check; undefined keeps the schema's or zod's own. */
export function explainIssue(issue: z.core.$ZodRawIssue): string | undefined {
  const i = issue as z.core.$ZodRawIssue & Record<string, any>;
  switch (i.code) {
    case 'invalid_type':
      return i.input === undefined ? `required, expected ${expected(i)}` : `expected ${expected(i)}, got ${describeValue(i.input)}`;
    case 'too_big':
      return bound(i, i.maximum, true);
    case 'too_small':
      return bound(i, i.minimum, false);
    case 'invalid_value': {
      const values = (i.values as unknown[]).map((v) => (typeof v === 'string' ? quote(v) : String(v)));
      const options = values.length === 1 ? values[0] : `one of ${values.join(', ')}`;
      return `must be ${options}, got ${describeValue(i.input)}`;
    }
    case 'invalid_format': {
      const what = i.format === 'regex' ? `match ${String(i.pattern)}` : `be ${/^[aeiou]/i.test(String(i.format)) ? 'an' : 'a'} ${String(i.format)}`;
      return `must ${what}, got ${describeValue(i.input)}`;
    }
    case 'not_multiple_of':
      return `must be a multiple of ${String(i.divisor)}, got ${describeValue(i.input)}`;
    case 'unrecognized_keys':
      return `unknown field(s) ${(i.keys as string[]).map((k) => `'${k.length > 40 ? `${k.slice(0, 40)}…` : k}'`).join(', ')}; remove them or check the spelling`;
    case 'invalid_union':
      return `does not match any accepted form, got ${describeValue(i.input)}`;
    case 'invalid_key':
      return `has a field name that is not allowed here`;
    case 'invalid_element':
      return `has an item that is not allowed here`;
    default:
      return undefined;
  }
}

/** Parse options that apply `explainIssue`. */
export const EXPLAINED = { error: explainIssue } as const;
