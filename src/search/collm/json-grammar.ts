/**
 * A compact GBNF grammar for the JSON Schemas our prompts use, for the
 * embedded provider. Pure code: the Coordinator sizes the Generator's
 * maxTokens from the same bound (maxCompactJsonChars).
 *
 * node-llama-cpp's own JSON Schema grammar lets the model indent and break
 * lines freely, and a small model takes the offer: a 10-candidate answer grew
 * to 600+ tokens, most of them spaces, and now and then ran past maxTokens
 * mid-JSON. This grammar admits no whitespace at all, so an answer costs a
 * third of the tokens (and a third of the time) and always fits.
 *
 * It covers the subset that zod's toJSONSchema emits for our space schemas:
 * objects (every property, in order), arrays with min/max items, enum and
 * const, string, number, integer, boolean, null, anyOf/oneOf. Anything else
 * throws UnsupportedSchema and the caller falls back to the library's grammar.
 */

export class UnsupportedSchema extends Error {}

type Schema = Record<string, unknown>;

/** Keywords the grammar honours, or that do not constrain a value (annotations). */
const KNOWN_KEYWORDS = new Set([
  'type', 'properties', 'required', 'additionalProperties', 'items', 'minItems', 'maxItems',
  'enum', 'const', 'anyOf', 'oneOf', 'description', 'title', '$schema',
]);

/** Rules shared by every grammar: a JSON string and numbers without whitespace. */
const BASE_RULES: Record<string, string> = {
  'json-string': '"\\"" ( [^"\\\\\\x00-\\x1f] | "\\\\" ["\\\\/bfnrt] | "\\\\u" [0-9a-fA-F]{4} ){0,200} "\\""',
  'json-int': '"-"? ( "0" | [1-9] [0-9]{0,15} )',
  'json-number': 'json-int ( "." [0-9]{1,16} )? ( [eE] [-+]? [0-9]{1,3} )?',
};

export function compactJsonGrammar(schema: Schema): string {
  const rules = new Map<string, string>();
  const used = new Set<string>();
  let next = 0;

  const rule = (body: string): string => {
    // One rule per distinct body keeps the grammar small when a shape repeats.
    for (const [name, existing] of rules) if (existing === body) return name;
    const name = `r${next++}`;
    rules.set(name, body);
    return name;
  };

  const literal = (value: unknown): string => {
    if (value !== null && !['string', 'number', 'boolean'].includes(typeof value)) {
      throw new UnsupportedSchema(`enum/const value ${JSON.stringify(value)} is not a scalar`);
    }
    return gbnfString(JSON.stringify(value));
  };

  const visit = (s: Schema, where: string): string => {
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
      return rule(s.enum.map(literal).join(' | '));
    }
    const alternatives = (s.anyOf ?? s.oneOf) as Schema[] | undefined;
    if (Array.isArray(alternatives)) return rule(alternatives.map((a, i) => visit(a, `${where}|${i}`)).join(' | '));
    switch (s.type) {
      case 'object': {
        const props = Object.entries((s.properties ?? {}) as Record<string, Schema>);
        if (props.length === 0) throw new UnsupportedSchema(`${where}: object without properties`);
        const parts = props.map(([key, value], i) => `${gbnfString(`${i === 0 ? '' : ','}${JSON.stringify(key)}:`)} ${visit(value, `${where}.${key}`)}`);
        return rule(`"{" ${parts.join(' ')} "}"`);
      }
      case 'array': {
        const item = visit((s.items ?? {}) as Schema, `${where}[]`);
        const min = typeof s.minItems === 'number' ? s.minItems : 0;
        const max = typeof s.maxItems === 'number' ? s.maxItems : undefined;
        if (max !== undefined && max < min) throw new UnsupportedSchema(`${where}: maxItems < minItems`);
        if (max === 0) return '"[]"';
        // First item, then the rest with a comma each; an empty array only when min is 0.
        const restMin = Math.max(0, min - 1);
        const rest = max === undefined ? `{${restMin},}` : `{${restMin},${max - 1}}`;
        const body = max === 1 ? item : `${item} ( "," ${item} )${rest}`;
        return rule(min === 0 ? `"[" ( ${body} )? "]"` : `"[" ${body} "]"`);
      }
      case 'string':
        used.add('json-string');
        return 'json-string';
      case 'integer':
        used.add('json-int');
        return 'json-int';
      case 'number':
        used.add('json-int').add('json-number');
        return 'json-number';
      case 'boolean':
        return rule('"true" | "false"');
      case 'null':
        return '"null"';
      default:
        throw new UnsupportedSchema(`${where}: type ${JSON.stringify(s.type)} is not supported`);
    }
  };

  const root = visit(schema, '$');
  const lines = [`root ::= ${root}`];
  for (const [name, body] of rules) lines.push(`${name} ::= ${body}`);
  for (const name of used) lines.push(`${name} ::= ${BASE_RULES[name]}`);
  return lines.join('\n') + '\n';
}

/** A GBNF quoted literal for raw text. */
function gbnfString(text: string): string {
  return `"${text.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')}"`;
}

/**
 * The longest text `compactJsonGrammar(schema)` admits, in characters, or
 * Infinity when unbounded or unsupported. A token is at least one character,
 * so a maxTokens this large never cuts a grammar-bound answer off.
 */
export function maxCompactJsonChars(schema: Schema): number {
  const visit = (s: Schema): number => {
    if ('const' in s) return JSON.stringify(s.const).length;
    if (Array.isArray(s.enum)) return Math.max(...s.enum.map((v) => JSON.stringify(v).length));
    const alternatives = (s.anyOf ?? s.oneOf) as Schema[] | undefined;
    if (Array.isArray(alternatives)) return Math.max(...alternatives.map(visit));
    switch (s.type) {
      case 'object': {
        const props = Object.entries((s.properties ?? {}) as Record<string, Schema>);
        // "{" + "}" + each `"key":value` + the commas between them.
        return 2 + Math.max(0, props.length - 1) + props.reduce((n, [key, value]) => n + JSON.stringify(key).length + 1 + visit(value), 0);
      }
      case 'array': {
        if (typeof s.maxItems !== 'number') return Infinity;
        const item = visit((s.items ?? {}) as Schema);
        return 2 + s.maxItems * item + Math.max(0, s.maxItems - 1);
      }
      case 'string':
        return 2 + 200 * 6;
      case 'integer':
        return 17;
      case 'number':
        return 17 + 17 + 5;
      case 'boolean':
        return 5;
      case 'null':
        return 4;
      default:
        return Infinity;
    }
  };
  try {
    compactJsonGrammar(schema);
  } catch (err) {
    if (err instanceof UnsupportedSchema) return Infinity;
    throw err;
  }
  return visit(schema);
}
