import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { test } from 'node:test';
import type { SearchResult } from '../src/search/summary';
import { findTemporalCli } from '../src/temporal/cli';
import { ADDRESS, inProcessWorkers, queues, runInProcess, uniqueId, useTemporal } from './helpers';

const run = promisify(execFile);
const env = useTemporal();

test('`temporal workflow start --type nasSearch` starts a search that the workers complete', async () => {
  const q = queues('cli');
  const id = uniqueId('cli');
  const input = { space: 'nb201', dataset: 'cifar10', strategy: 'random', budget: 25, seed: 4, evaluation: { taskQueue: q.eval } };
  const workers = await inProcessWorkers(env.native, q);
  const result = await workers.run(async () => {
    const { stdout } = await run(findTemporalCli(), [
      'workflow', 'start',
      '--type', 'nasSearch',
      '--task-queue', q.control,
      '--workflow-id', id,
      '--input', JSON.stringify(input),
      '--address', ADDRESS,
    ]);
    assert.match(stdout, new RegExp(id));
    return (await env.client.workflow.getHandle(id).result()) as SearchResult;
  });
  assert.equal(result.evaluated, 25);
  assert.deepEqual(result, await runInProcess(input));

  // The custom search attributes work from the CLI too.
  const { stdout } = await run(findTemporalCli(), [
    'workflow', 'list', '--address', ADDRESS,
    '--query', `NasSpace = "nb201" AND NasEvaluated = 25 AND WorkflowId = "${id}"`,
    '--output', 'json',
  ]);
  assert.match(stdout, new RegExp(id));
});

test('the start script validates the config before starting anything', async () => {
  const id = uniqueId('badcli');
  const err = await run(process.execPath, ['--import', 'tsx', 'scripts/nas.ts', 'start', 'config/default.json', '--set', 'budget=0', '--set', 'dataset=mnist', '--id', id], {
    env: { ...process.env, TEMPORAL_ADDRESS: ADDRESS },
  }).then(
    () => assert.fail('expected a non-zero exit'),
    (e: { code: number; stderr: string }) => e,
  );
  assert.equal(err.code, 1);
  assert.match(err.stderr, /budget: must be at least 1/);
  assert.match(err.stderr, /dataset: unknown dataset 'mnist'/);
  await assert.rejects(env.client.workflow.getHandle(id).describe(), /not found/i);
});
