import assert from 'node:assert/strict';
import { test } from 'node:test';
import { WorkflowFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { startSearch } from '../src/client/search';
import { ConfigError } from '../src/search/config';
import { createEvalWorker } from '../src/workers/eval';
import { inProcessWorkers, queues, uniqueId, useTemporal } from './helpers';

const env = useTemporal();

const BAD: [string, unknown, RegExp][] = [
  ['unknown space', { space: 'darts', budget: 10 }, /space: unknown search space 'darts'; use one of nb201/],
  ['budget 0', { budget: 0 }, /budget: must be at least 1/],
  ['wrong types', { budget: '100', seed: 'x', batchSize: true }, /budget: must be a whole number[\s\S]*batchSize[\s\S]*seed: must be an integer/],
  [
    'unknown op in a seed architecture',
    { budget: 10, seedArchitectures: ['|nor_conv_3x3~0|+|none~0|none~1|+|none~0|sep_conv_5x5~1|none~2|'] },
    /seedArchitectures\[0\]: node 3, input 1: unknown operation 'sep_conv_5x5'/,
  ],
  [
    'a wrong type or a number out of range says what was expected and what came',
    { budget: 10, batchSize: 'ten', targetAccuracy: 150 },
    /batchSize: expected an integer from 1 to 1000, got string "ten"\n\s+- targetAccuracy: must be at most 100, got 150/,
  ],
  [
    'every bad field in one report: core fields, seed architectures, evaluator options, LLM',
    {
      budget: 10,
      batchSize: 0,
      dataset: 'mnist',
      seedArchitectures: ['|nor_conv_3x3~0|+|none~0|none~1|+|none~0|none~1|none~2|', '|conv~0|+|none~0|none~1|+|none~0|none~1|none~2|'],
      evaluation: { options: { table: '/x.csv' } },
      strategy: 'collm',
      llm: { provider: 'openai', model: 'm' },
    },
    new RegExp(
      [
        /batchSize: must be at least 1, got 0/,
        /dataset: unknown dataset 'mnist' for space nb201/,
        /seedArchitectures\[1\]: node 1, input 0: unknown operation 'conv'/,
        /evaluation\.options: unknown field\(s\) 'table'/,
        /llm\.baseUrl: must be the endpoint URL/,
      ]
        .map((r) => `(?=[\\s\\S]*${r.source})`)
        .join(''),
    ),
  ],
  [
    'credentials in the LLM endpoint URL',
    { budget: 10, strategy: 'collm', llm: { provider: 'openai', baseUrl: 'https://llm.example/v1?api_key=k', model: 'm' } },
    /llm\.baseUrl: must not carry credentials \(the query parameter 'api_key'\)/,
  ],
  [
    'a password in the LLM endpoint URL, as ?pass=',
    { budget: 10, strategy: 'collm', llm: { provider: 'openai', baseUrl: 'http://127.0.0.1:9/v1?pass=hunter2', model: 'm' } },
    /llm\.baseUrl: must not carry credentials \(the query parameter 'pass'\)/,
  ],
  [
    'a __proto__ key in evaluator options (as JSON.parse makes it: an own key)',
    JSON.parse('{"budget": 10, "evaluation": {"options": {"__proto__": {"polluted": true}}}}'),
    /evaluation\.options\.__proto__: the key '__proto__' is not allowed/,
  ],
  ['a constructor key at the top', { budget: 10, constructor: { prototype: 1 } }, /constructor: the key 'constructor' is not allowed/],
  ['a config nested 100 levels deep', { budget: 10, name: nested(100) }, /name(\.a)+: nested more than 32 levels deep/],
];

function nested(depth: number): unknown {
  let v: unknown = 1;
  for (let i = 0; i < depth; i++) v = { a: v };
  return v;
}

for (const [what, input, message] of BAD) {
  test(`${what}: the client refuses before starting, the workflow fails at once if started anyway`, async () => {
    const q = queues('bad');
    const id = uniqueId('bad');
    await assert.rejects(startSearch(env.client, input, { taskQueue: q.control, workflowId: id }), (err: unknown) => {
      return err instanceof ConfigError && message.test(err.message);
    });
    await assert.rejects(env.client.workflow.getHandle(id).describe(), /not found/i, 'nothing was started');

    // Someone bypassing the client (e.g. `temporal workflow start`) gets the same message as a failed workflow.
    const workers = await inProcessWorkers(env.native, q);
    await workers.run(async () => {
      const handle = await env.client.workflow.start('nasSearch', { taskQueue: q.control, workflowId: id, args: [input] });
      const err = await handle.result().then(() => assert.fail('expected failure'), (e: unknown) => e);
      assert.ok(err instanceof WorkflowFailedError);
      assert.ok(err.cause instanceof ApplicationFailure);
      assert.equal(err.cause.type, 'InvalidSearchConfig');
      assert.match(err.cause.message, message);
      assert.equal((await handle.describe()).status.name, 'FAILED', 'no workflow is left running');
    });
  });
}

test('a missing NAS-Bench-201 table: the eval worker refuses to start, naming the file and how to get it', async () => {
  await assert.rejects(
    createEvalWorker({ connection: env.native, taskQueue: 'unused', evaluators: { 'nb201-table': { table: '/nonexistent/nb201.csv' } } }),
    /NAS-Bench-201 table not found: \/nonexistent\/nb201.csv\. Set NB201_TABLE .*README/,
  );
});

test('a table that disappears under a running worker fails the search with that message, nothing left running', async () => {
  const q = queues('notable');
  const workers = await inProcessWorkers(env.native, q, { table: '/nonexistent/nb201.csv', checkEvaluators: false });
  await workers.run(async () => {
    const handle = await startSearch(env.client, { budget: 10, evaluation: { taskQueue: q.eval } }, { taskQueue: q.control, workflowId: uniqueId('notable') });
    const err = await handle.result().then(() => assert.fail('expected failure'), (e: unknown) => e);
    assert.ok(err instanceof WorkflowFailedError);
    assert.match((err.cause as Error).message, /NAS-Bench-201 table not found: \/nonexistent\/nb201\.csv/);
    assert.equal((err.cause as ApplicationFailure).type, 'TableError');
    assert.equal((await handle.describe()).status.name, 'FAILED');
  });
});

test('a malformed table names the file and the line', async () => {
  const { mkdtempSync, writeFileSync } = await import('node:fs');
  const { join } = await import('node:path');
  const { tmpdir } = await import('node:os');
  const { Nb201Table } = await import('../src/evaluators/nb201/table');
  const dir = mkdtempSync(join(tmpdir(), 'collm-badtable-'));
  const file = join(dir, 'nb201.csv');
  writeFileSync(file, 'index,arch,cifar10_valid\n0,|none~0|+|none~0|none~1|+|none~0|none~1|none~2|,12\n');
  assert.throws(() => Nb201Table.load(file), /nb201\.csv: missing column\(s\) 'cifar10_test', 'flops_M', .*'cifar100_valid'/);
  writeFileSync(file, 'index,arch\n');
  assert.throws(() => Nb201Table.load(file), /nb201\.csv: is empty or has no data rows/);
  writeFileSync(file, 'index,arch,cifar10_valid\n0,|none~0|+|none~0|none~1|+|none~0|none~1|none~2|\n');
  assert.throws(() => Nb201Table.load(file), /nb201\.csv: is not a well-formed CSV table: Invalid Record Length: expect 3, got 2 on line 2/);
  writeFileSync(file, 'index,arch\n0,"|none~0|\n');
  assert.throws(() => Nb201Table.load(file), /nb201\.csv: is not a well-formed CSV table: Quote Not Closed/);
});
