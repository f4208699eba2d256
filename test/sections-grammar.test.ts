/**
 * The grammar that makes a grammar-bound Navigator answer with its sections:
 * its text, its exact length bound, and the request the Coordinator builds
 * from it (only for a grammar-bound model; an endpoint is asked as before and
 * a missing section is asked for again). The grammar against the real model:
 * llm-local.test.ts.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { sectionsGrammar } from '../src/lib/sections-grammar';
import { resolveSearchConfig } from '../src/config/resolve';
import { collmOptions, initCollm, navigatorCall, type Collm } from '../src/search/strategies/collm';
import { fixCall, missingSections } from '../src/search/strategies/collm/navigator';
import { createEngine } from '../src/search/search';

test('the grammar writes each heading in order and bounds each body; its length bound is exact', () => {
  const g = sectionsGrammar({ headings: ['# A', '# B'], maxCharsPerSection: 10 });
  assert.equal(g.grammar, 'root ::= "# A\\n" body "\\n# B\\n" body\nbody ::= [^#\\x00]{1,10}\n');
  // The longest answer: each heading and its line breaks, and ten characters per body.
  assert.equal(g.maxChars, '# A\n'.length + 10 + '\n# B\n'.length + 10);
  assert.throws(() => sectionsGrammar({ headings: [], maxCharsPerSection: 10 }), /no headings/);
  assert.throws(() => sectionsGrammar({ headings: ['# A'], maxCharsPerSection: 0 }), /maxCharsPerSection/);
});

const collm = (llm: unknown, promptVersion?: string): Collm => {
  const config = resolveSearchConfig({ budget: 20, strategy: 'collm', llm });
  return { config, options: collmOptions.parse(promptVersion ? { promptVersion } : {}), space: createEngine(config).space, navigator: config.llm.navigator!, generator: config.llm.generator! };
};

test('a grammar-bound Navigator is asked for its sections, within twice its maxTokens in characters', () => {
  const k = collm({ provider: 'local' });
  const { request } = navigatorCall(k, createEngine(k.config).init(), initCollm(k.options), []).call;
  assert.deepEqual(request.sections?.headings, ['# SUMMARY', '# KEY PATTERNS', '# NAVIGATION DIRECTIONS']);
  assert.equal(request.maxTokens, sectionsGrammar(request.sections!).maxChars);
  assert.ok(request.maxTokens! <= 2 * k.navigator.maxTokens, `${request.maxTokens} > 2 * ${k.navigator.maxTokens}`);
  // An answer the grammar admits needs no second ask.
  const state = { ...initCollm(k.options), strategy: '# SUMMARY\nx\n# KEY PATTERNS\ny\n# NAVIGATION DIRECTIONS\nz' };
  assert.deepEqual(missingSections(state.strategy), []);
  assert.equal(fixCall(k, state), undefined);
});

test('an endpoint Navigator, or prompts that do not require sections, get no sections and their own maxTokens', () => {
  for (const k of [collm({ provider: 'openai', baseUrl: 'http://127.0.0.1:1/v1', model: 'm', maxTokens: 700 }), collm({ provider: 'local' }, 'collm-v1')]) {
    const { request } = navigatorCall(k, createEngine(k.config).init(), initCollm(k.options), []).call;
    assert.equal(request.sections, undefined);
    assert.equal(request.maxTokens, k.navigator.maxTokens);
  }
});
