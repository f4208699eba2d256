/**
 * A compact GBNF grammar for the JSON Schemas our prompts use, for the
 * embedded provider, and the longest answer it admits. Pure code: the
 * Coordinator sizes the Generator's maxTokens from that bound.
 *
 * node-llama-cpp's own JSON Schema grammar lets the model indent and break
 * lines freely, and a small model takes the offer: a 10-candidate answer grew
 * to 600+ tokens, most of them spaces, and now and then ran past maxTokens
 * mid-JSON. This grammar admits no whitespace at all, so an answer costs a
 * third of the tokens (and a third of the time) and always fits.
 *
 * It covers the subset that zod's toJSONSchema emits for our space schemas:
 * objects (every property, in order), arrays with min/max items, enum and
 * const, string, number, integer (with a small minimum..maximum range written
 * out as its values), boolean, null, anyOf/oneOf. For anything
 * else `compactJson` returns undefined and the provider falls back to the
 * library's grammar.
 */

class UnsupportedSchema extends Error {}

type Schema = Record<string, unknown>;

/** Keywords the grammar honours, or that do not constrain a value (annotations). */
const KNOWN_KEYWORDS = new Set([
  'type', 'properties', 'required', 'additionalProperties', 'items', 'minItems', 'maxItems',
  'enum', 'const', 'anyOf', 'oneOf', 'description', 'title', '$schema', 'minimum', 'maximum',
]);

/** The widest integer range written out as literals: an edit's parent or position is a handful of values. */
const MAX_ENUMERATED_RANGE = 256;

/**
 * Rules shared by every grammar: a JSON string and numbers without
 * whitespace, each with the most characters it admits.
 */
const BASE_RULES: Record<string, { body: string; max: number }> = {
  // Up to 200 characters, each at most a 6-character \uXXXX escape, between quotes.
  'json-string': { body: '"\\"" ( [^"\\\\\\x00-\\x1f] | "\\\\" ["\\\\/bfnrt] | "\\\\u" [0-9a-fA-F]{4} ){0,200} "\\""', max: 2 + 200 * 6 },
  'json-int': { body: '"-"? ( "0" | [1-9] [0-9]{0,15} )', max: 17 },
  'json-number': { body: 'json-int ( "." [0-9]{1,16} )? ( [eE] [-+]? [0-9]{1,3} )?', max: 17 + 17 + 5 },
};

/** A grammar expression and the most characters it admits. */
interface Term {
  gbnf: string;
  max: number;
}

export interface CompactJson {
  grammar: string;
  /**
   * The longest text the grammar admits, in characters (Infinity when
   * unbounded). A token is at least one character, so a maxTokens this large
   * never cuts a grammar-bound answer off.
   */
  maxChars: number;
}

/** The compact grammar for `schema`, or undefined when the schema uses what it cannot enforce. */
export function compactJson(schema: Schema): CompactJson | undefined {
  try {
    return compile(schema);
  } catch (err) {
    if (err instanceof UnsupportedSchema) return undefined;
    throw err;
  }
}

function compile(schema: Schema): CompactJson {
  const rules = new Map<string, string>();
  const used = new Set<string>();
  let next = 0;

  const rule = (body: string, max: number): Term => {
    // One rule per distinct body keeps the grammar small when a shape repeats.
    for (const [name, existing] of rules) if (existing === body) return { gbnf: name, max };
    const name = `r${next++}`;
    rules.set(name, body);
    return { gbnf: name, max };
  };

  const base = (name: string): Term => {
    used.add(name);
    if (name === 'json-number') used.add('json-int');
    return { gbnf: name, max: BASE_RULES[name]!.max };
  };

  const literal = (value: unknown): Term => {
    if (value !== null && !['string', 'number', 'boolean'].includes(typeof value)) {
      throw new UnsupportedSchema(`enum/const value ${JSON.stringify(value)} is not a scalar`);
    }
    const text = JSON.stringify(value);
    return { gbnf: gbnfString(text), max: text.length };
  };

  const oneOf = (terms: Term[]): Term => rule(terms.map((t) => t.gbnf).join(' | '), Math.max(...terms.map((t) => t.max)));

  const visit = (s: Schema, where: string): Term => {
    if (typeof s !== 'object' || s === null) throw new UnsupportedSchema(`${where}: not a schema object`);
    // A keyword this grammar would ignore must not be ignored silently: the answer could break it.
    for (const key of Object.keys(s)) {
      if (!KNOWN_KEYWORDS.has(key)) throw new UnsupportedSchema(`${where}: keyword ${key} is not supported`);
    }
    if (s.additionalProperties !== undefined && s.additionalProperties !== false) {
      throw new UnsupportedSchema(`${where}: additionalProperties other than false is not supported`);
    }
    if ('const' in s) return literal(s.const);
    if (Array.isArray(s.enum)) {
      if (s.enum.length === 0) throw new UnsupportedSchema(`${where}: empty enum`);
      return oneOf(s.enum.map(literal));
    }
    const alternatives = (s.anyOf ?? s.oneOf) as Schema[] | undefined;
    if (Array.isArray(alternatives)) return oneOf(alternatives.map((a, i) => visit(a, `${where}|${i}`)));
    if ((s.minimum !== undefined || s.maximum !== undefined) && s.type !== 'integer') {
      throw new UnsupportedSchema(`${where}: minimum/maximum only on integers`);
    }
    switch (s.type) {
      case 'object': {
        const props = Object.entries((s.properties ?? {}) as Record<string, Schema>);
        if (props.length === 0) throw new UnsupportedSchema(`${where}: object without properties`);
        let max = 2; // the braces
        const parts = props.map(([key, value], i) => {
          const prefix = `${i === 0 ? '' : ','}${JSON.stringify(key)}:`;
          const term = visit(value, `${where}.${key}`);
          max += prefix.length + term.max;
          return `${gbnfString(prefix)} ${term.gbnf}`;
        });
        return rule(`"{" ${parts.join(' ')} "}"`, max);
      }
      case 'array': {
        const item = visit((s.items ?? {}) as Schema, `${where}[]`);
        const min = typeof s.minItems === 'number' ? s.minItems : 0;
        const max = typeof s.maxItems === 'number' ? s.maxItems : undefined;
        if (max !== undefined && max < min) throw new UnsupportedSchema(`${where}: maxItems < minItems`);
        if (max === 0) return { gbnf: '"[]"', max: 2 };
        // First item, then the rest with a comma each; an empty array only when min is 0.
        const restMin = Math.max(0, min - 1);
        const rest = max === undefined ? `{${restMin},}` : `{${restMin},${max - 1}}`;
        const body = max === 1 ? item.gbnf : `${item.gbnf} ( "," ${item.gbnf} )${rest}`;
        const chars = max === undefined ? Infinity : 2 + max * item.max + (max - 1);
        return rule(min === 0 ? `"[" ( ${body} )? "]"` : `"[" ${body} "]"`, chars);
      }
      case 'integer': {
        const bounded = integerRange(s, where);
        if (bounded) return oneOf(bounded.map(literal));
        return base('json-int');
      }
      case 'string':
      case 'number':
        return base(s.type === 'string' ? 'json-string' : 'json-number');
      case 'boolean':
        return rule('"true" | "false"', 5);
      case 'null':
        return { gbnf: '"null"', max: 4 };
      default:
        throw new UnsupportedSchema(`${where}: type ${JSON.stringify(s.type)} is not supported`);
    }
  };

  const root = visit(schema, '$');
  const lines = [`root ::= ${root.gbnf}`];
  for (const [name, body] of rules) lines.push(`${name} ::= ${body}`);
  for (const name of used) lines.push(`${name} ::= ${BASE_RULES[name]!.body}`);
  return { grammar: lines.join('\n') + '\n', maxChars: root.max };
}

/**
 * An integer's bounds as the list of values it may take, or undefined where it
 * is unbounded (zod writes the safe-integer range for a plain int, which the
 * base rule's 16 digits already cover). A wide range cannot be enforced.
 */
function integerRange(s: Schema, where: string): number[] | undefined {
  const lo = s.minimum;
  const hi = s.maximum;
  if (lo === undefined && hi === undefined) return undefined;
  if (lo === -Number.MAX_SAFE_INTEGER && hi === Number.MAX_SAFE_INTEGER) return undefined;
  if (typeof lo !== 'number' || typeof hi !== 'number' || !Number.isInteger(lo) || !Number.isInteger(hi)) {
    throw new UnsupportedSchema(`${where}: an integer needs both an integer minimum and maximum`);
  }
  if (hi < lo) throw new UnsupportedSchema(`${where}: maximum < minimum`);
  if (hi - lo + 1 > MAX_ENUMERATED_RANGE) throw new UnsupportedSchema(`${where}: integer range wider than ${MAX_ENUMERATED_RANGE} values`);
  return Array.from({ length: hi - lo + 1 }, (_, i) => lo + i);
}

/** A GBNF quoted literal for raw text. */
export function gbnfString(text: string): string {
  return `"${text.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')}"`;
}
