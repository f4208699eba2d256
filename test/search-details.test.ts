import assert from 'node:assert/strict';
import { test } from 'node:test';
import { resolveSearchConfig } from '../src/config/resolve';
import { searchDetails, searchSummary } from '../src/search/describe';
import type { SearchProgress } from '../src/workflows/api';
import { currentDetails } from '../src/workflows/details';

// What the Web UI shows of a search: src/search/describe.ts (summary, details) and src/workflows/details.ts (current details).

const config = resolveSearchConfig({
  space: 'nb201', dataset: 'cifar100', strategy: 'evolution', budget: 200, batchSize: 5, seed: 7,
  constraint: { metric: 'flops', max: 100 }, rank: { by: 'cost', pool: 20 },
});

function progress(over: Partial<SearchProgress> = {}): SearchProgress {
  return {
    status: 'evaluating', space: 'nb201', dataset: 'cifar100', strategy: 'evolution', evaluator: 'nb201-table',
    iteration: 3, evaluated: 15, budget: 200, inFlight: 5, failed: 0, runs: 0, topK: [], pareto: {}, ...over,
  };
}

test('the summary and the static details say what the search runs', () => {
  assert.equal(searchSummary(config), 'NAS nb201/cifar100 · evolution · 200 evaluations · FLOPs ≤ 100 MFLOPs · ranked by cost from pools of 20');
  const details = searchDetails(config);
  for (const fact of ['**seed** 7', '**batch** 5', '**Evaluator** nb201-table', '**Constraint** FLOPs ≤ 100 MFLOPs', '**Ranking** cost, pools of 20']) {
    assert.ok(details.includes(fact), `${fact} in:\n${details}`);
  }
  assert.ok(!details.includes('**LLM**'), 'evolution talks to no LLM');
  const collm = searchDetails(resolveSearchConfig({ space: 'nb201', dataset: 'cifar10', strategy: 'collm', budget: 50, llm: { provider: 'openai', baseUrl: 'http://127.0.0.1:9/v1', model: 'm1' } }));
  assert.match(collm, /\*\*LLM\*\* .*openai m1/);
});

test('current details: where the search stands, its best so far, paused and ended', () => {
  const best = { arch: '|nor_conv_3x3~0|+|none~0|skip_connect~1|', valAcc: 71.234, cost: { flopsM: 86.5, paramsM: 0.61 } };
  const running = currentDetails(progress({ best }), 'SUMMARY', 'my-search').split('\n');
  assert.equal(running[0], 'SUMMARY', 'the summary first, for runs without a static one');
  assert.equal(running[1], '**Running: evaluating a batch** · 15 / 200 evaluated · iteration 3');
  assert.ok(running.includes('**Best so far** 71.23 by nb201-table · 86.5 MFLOPs · 0.61 M params'), running.join('\n'));
  assert.ok(running.includes(`\`${best.arch}\``), 'the architecture as code');

  const paused = currentDetails(progress({ status: 'paused', inFlight: 0, failed: 2 }), 'S', 'my-search');
  assert.match(paused, /^\*\*Paused\*\* · 15 \/ 200 evaluated · iteration 3 · 2 failed$/m);
  assert.ok(paused.includes('`collm-nas resume my-search`'), paused);
  assert.ok(paused.includes('**Best so far** none yet'));

  const ended = currentDetails(progress({ status: 'completed', stopReason: 'budget', ranking: { pools: 3, scored: 60, screened: 45, ms: 0, fallbacks: 1, lastFailure: 'ranking by naswot failed' } }), 'S', 'x');
  assert.ok(ended.includes('**Ranking** 60 scored in 3 pools, 45 screened out, 1 fell back'), ended);
  assert.ok(ended.includes('Last ranking failure: `ranking by naswot failed`'), ended);
  assert.ok(ended.endsWith('**Ended** budget'), ended);
});

test("current details keep a server's message inert: one code span, on one line, cut short", () => {
  const hostile = 'bad `request`\n</code><img src=x onerror=alert(1)>\n**[click](javascript:alert(1))** ' + 'x'.repeat(400);
  const text = currentDetails(progress({ stats: { llmFailures: 4, lastLlmFailure: hostile } }), 'S', 'x');
  const line = text.split('\n').find((l) => l.startsWith('**LLM failures** 4; last: '));
  assert.ok(line, text);
  const span = line.slice('**LLM failures** 4; last: '.length);
  // Exactly one code span: the message cannot close it early or start a line of its own.
  assert.equal(span.split('`').length, 3, span);
  assert.ok(span.startsWith('`') && span.endsWith('…`'), span);
  assert.ok(span.length <= 162, `cut to 160 characters: ${span.length}`);
});

test('current details: LLM failures by kind, and a search the LLM contributed nothing to says so', () => {
  const text = currentDetails(
    progress({ stats: { llmFailures: 5, llmFailuresTransient: 2, llmFailuresRefused: 3, lastLlmFailure: 'refused: too long', llmContribution: 'LLM contributed nothing; every candidate is the fill\'s' } }),
    'S',
    'x',
  );
  assert.match(text, /^\*\*LLM failures\*\* 5 \(2 transient, 3 refused\); last: `refused: too long`$/m);
  assert.match(text, /^\*\*LLM contributed nothing; every candidate is the fill's\*\*$/m);
});
