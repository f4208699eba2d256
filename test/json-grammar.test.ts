/**
 * The compact JSON grammar of the embedded provider: its text for a space's
 * Generator schema, the bound on answer length that sizes maxTokens, and the
 * refusal of keywords it cannot enforce (the provider then falls back to the
 * library's grammar). The grammar itself runs against the real model in
 * llm-local.test.ts.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { compactJson } from '../src/lib/json-grammar';
import { resolveSearchConfig } from '../src/config/resolve';
import { collmOptions, generatorMaxTokens, generatorSchema, type Collm } from '../src/search/strategies/collm';
import { nb201Space } from '../src/spaces/nb201';
import { editSchema } from '../src/search/strategies/collm/edit';
import { z } from 'zod';

test('the Generator schema of NAS-Bench-201 becomes a grammar without whitespace and with the exact count', () => {
  const grammar = compactJson(generatorSchema(nb201Space, 10))!.grammar;
  assert.match(grammar, /^root ::= /);
  assert.match(grammar, /\{9,9\}/, 'ten candidates: one, then nine more');
  assert.match(grammar, /\{5,5\}/, 'six operations: one, then five more');
  assert.ok(grammar.includes('"\\"avg_pool_3x3\\""'));
  assert.ok(!/\[ \]|\\n/.test(grammar), 'no whitespace anywhere');
});

test('the length bound is exactly the longest answer the schema admits', () => {
  for (const n of [1, 7, 20]) {
    const longest = JSON.stringify({ candidates: Array(n).fill(Array(6).fill('avg_pool_3x3')) });
    assert.equal(compactJson(generatorSchema(nb201Space, n))!.maxChars, longest.length);
  }
  assert.equal(compactJson({ type: 'array', items: { type: 'integer' } })!.maxChars, Infinity, 'no maxItems: unbounded');
});

test('keywords the grammar cannot enforce are refused, not ignored', () => {
  for (const schema of [
    { type: 'string', pattern: '^a+$' },
    { type: 'integer', minimum: 1 },
    { type: 'integer', minimum: 0, maximum: 100000 },
    { type: 'number', minimum: 0, maximum: 1 },
    { type: 'object', properties: { a: { type: 'string' } }, additionalProperties: { type: 'number' } },
    { $ref: '#/$defs/x' },
  ]) {
    assert.equal(compactJson(schema), undefined, JSON.stringify(schema));
  }
});

test('on an embedded model the Generator may always finish its answer; on an endpoint maxTokens is as configured', () => {
  const collm = (llm: unknown): Collm => {
    const config = resolveSearchConfig({ budget: 10, strategy: 'collm', llm });
    return { config, options: collmOptions.parse({}), space: nb201Space, navigator: config.llm.navigator!, generator: config.llm.generator! };
  };
  assert.equal(generatorMaxTokens(collm({ provider: 'local', maxTokens: 300 }), 10), 936);
  assert.equal(generatorMaxTokens(collm({ provider: 'openai', baseUrl: 'http://127.0.0.1:1/v1', model: 'm', maxTokens: 300 }), 10), 300);
});

test("an edit's bounded integers (parent, position) are written out, so a grammar-bound model cannot name a parent it was not shown", () => {
  const schema = z.toJSONSchema(editSchema(nb201Space, 3)) as Record<string, unknown>;
  const compiled = compactJson(schema);
  assert.ok(compiled, 'edit mode keeps the compact grammar (no fallback to one that allows whitespace)');
  assert.match(compiled.grammar, /::= "1" \| "2" \| "3"\n/, 'parents 1 to 3 and no other');
  assert.ok(compiled.grammar.includes('"0" | "1" | "2" | "3" | "4" | "5"'), 'six positions');
  const longest = JSON.stringify({ parent: 3, changes: [{ position: 5, value: 'avg_pool_3x3' }, { position: 5, value: 'avg_pool_3x3' }] });
  assert.equal(compiled.maxChars, longest.length);
  // zod's plain int (the safe-integer range) stays the ordinary integer rule.
  assert.ok(compactJson(z.toJSONSchema(z.object({ n: z.number().int() })) as Record<string, unknown>)!.grammar.includes('json-int'));
});
