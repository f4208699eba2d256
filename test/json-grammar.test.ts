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
import { collmOptions, generatorMaxTokens, generatorSchema, type Collm } from '../src/search/collm';
import { nb201Space } from '../src/spaces/nb201';

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
