import assert from 'node:assert/strict';
import { test } from 'node:test';
import { startSearch } from '../src/client/search';
import { searchLog } from '../src/client/search-log';
import type { SearchResult } from '../src/search/summary';
import { inProcessWorkers, queues, uniqueId, useTemporal } from './helpers';

// Searches whose evaluations run the user's own program (the command
// evaluator) on the eval workers, through Temporal. The programs are small
// stand-ins for a user's supernet script: the one boundary these tests fake.
const env = useTemporal();
const program = (name: string, ...args: string[]) => [process.execPath, `test/fixtures/command/${name}`, ...args];

async function search(config: Record<string, unknown>): Promise<{ result: SearchResult; id: string }> {
  const q = queues('cmd');
  const id = uniqueId('cmd');
  // The worker allows node, which runs the fixtures.
  const workers = await inProcessWorkers(env.native, q, { command: { allowedPrograms: [process.execPath] } });
  const result = await workers.run(async () => {
    const handle = await startSearch(env.client, { ...config, evaluation: { ...(config.evaluation as object), taskQueue: q.eval } }, { taskQueue: q.control, workflowId: id });
    return (await handle.result()) as SearchResult;
  });
  return { result, id };
}

test('a search evaluated by the user\'s program: its metrics are the results, its stderr is in the search log', async () => {
  const { result, id } = await search({
    budget: 12,
    batchSize: 4,
    strategy: 'random',
    seed: 2,
    evaluation: { evaluator: 'command', options: { argv: program('metrics.mjs', '50') } },
  });
  assert.equal(result.evaluated, 12);
  assert.equal(result.evaluator, 'command');
  for (const e of result.history) {
    const convs = e.arch.match(/conv/g)?.length ?? 0;
    assert.equal(e.valAcc, 80 + 2 * convs, `${e.arch}: the program's own valAcc`);
    assert.ok(e.cost.flopsM > 0, 'costs the program leaves out come from the space');
  }
  const log = await searchLog(env.client, id);
  const evaluations = log.filter((e) => e.kind === 'evaluation');
  assert.equal(evaluations.length, 12);
  assert.ok(evaluations.every((e) => e.kind === 'evaluation' && /recalibrating batch norm/.test(e.log ?? '')), 'stderr reaches the search log');
});

test('a program that fails on every candidate stops the search after maxFailuresInARow, each failure recorded', async () => {
  const { result } = await search({
    budget: 20,
    batchSize: 3,
    strategy: 'random',
    evaluation: { evaluator: 'command', options: { argv: program('exit3.mjs') }, maximumAttempts: 1, maxFailuresInARow: 6 },
  });
  assert.equal(result.stopReason, 'failing');
  assert.equal(result.evaluated, 0);
  assert.equal(result.failed.length, 6);
  for (const f of result.failed) assert.match(f.error, /exit(ed)? (with )?(code )?3[\s\S]*illegal memory access/);
});
