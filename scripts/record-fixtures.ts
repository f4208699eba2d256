/**
 * Records the workflow histories that test/replay.test.ts replays: real
 * searches on a throwaway dev server, exported as the CLI's history JSON.
 * Run after an intentional change to the workflow's commands:
 *   npm run fixtures:record
 *   npm run fixtures:record -- collm-v2-embedded      (only the fixtures named)
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { WorkflowHandle } from '@temporalio/client';
import { historyToJSON } from '@temporalio/common/lib/proto-utils';
import { startSearch } from '../src/client/search';
import { ROOT } from '../src/temporal/paths';
import { extendBudgetUpdate, pauseSignal, resumeSignal, steerSignal } from '../src/workflows/api';
import { NAS_PAUSED } from '../src/workflows/search-attributes';
import { withHarness } from './harness';

const OUT = join(ROOT, 'test/fixtures/histories');

/** Each fixture: a config and what to do to the running search. */
const FIXTURES: { name: string; config: Record<string, unknown>; drive?: (h: WorkflowHandle) => Promise<void> }[] = [
  { name: 'evolution-cifar10', config: { budget: 30, batchSize: 5, strategy: 'evolution', seed: 1 } },
  { name: 'random-flops-imagenet16', config: { budget: 20, batchSize: 4, strategy: 'random', seed: 2, dataset: 'imagenet16', constraint: { metric: 'flops', max: 30 } } },
  {
    name: 'evolution-signals',
    config: { budget: 20, batchSize: 5, strategy: 'evolution', seed: 3, dataset: 'cifar100' },
    drive: async (h) => {
      await h.signal(pauseSignal);
      await h.executeUpdate(extendBudgetUpdate, { args: [5] });
      await h.signal(resumeSignal);
    },
  },
  {
    // Paused until it has marked itself NasPaused (a local activity asks whether the server has it), then resumed.
    name: 'evolution-paused-marked',
    config: { budget: 15, batchSize: 5, strategy: 'evolution', seed: 9 },
    drive: async (h) => {
      await h.signal(pauseSignal);
      while ((await h.describe()).typedSearchAttributes.get(NAS_PAUSED) !== true) await new Promise((r) => setTimeout(r, 100));
      await h.signal(resumeSignal);
    },
  },
  {
    // A real CoLLM-NAS search on the embedded model: the LLM's answers are in the history.
    name: 'collm-embedded',
    config: {
      budget: 20,
      batchSize: 10,
      strategy: { name: 'collm', promptVersion: 'collm-v1' },
      llm: { provider: 'local', roles: { navigator: { maxTokens: 120 } } },
      seed: 4,
    },
    drive: async (h) => {
      await h.signal(steerSignal, 'Favour 3x3 convolutions on the paths to the output.');
    },
  },
  {
    // A ranking stage scored on the eval workers (one evaluateBatch per pool), the table's batches batched too.
    name: 'evolution-ranked-naswot',
    config: { budget: 15, batchSize: 5, strategy: 'evolution', seed: 6, rank: { by: 'naswot', pool: 15 } },
  },
  {
    // The cost model's ranking, computed in the workflow, under a FLOPs cap.
    name: 'random-ranked-cost-flops',
    config: { budget: 20, batchSize: 5, strategy: 'random', seed: 7, dataset: 'cifar100', constraint: { metric: 'flops', max: 30 }, rank: { by: 'cost', pool: 25 } },
  },
  {
    // The same with the current prompts: a Navigator answer may be asked for once more.
    name: 'collm-v2-embedded',
    config: { budget: 20, batchSize: 10, strategy: { name: 'collm', promptVersion: 'collm-v2' }, llm: { provider: 'local', roles: { navigator: { maxTokens: 120 } } }, seed: 5 },
  },
];

async function main(): Promise<void> {
  mkdirSync(OUT, { recursive: true });
  await withHarness(
    { port: 7320, name: 'fixtures', devices: ['d0', 'd1', 'd2', 'd3', 'd4'], simulateMs: 50, logLevel: 'WARN' },
    async ({ client, controlQueue, evalQueue }) => {
      const only = process.argv.slice(2);
      for (const f of FIXTURES.filter((x) => only.length === 0 || only.includes(x.name))) {
        const handle = await startSearch(client, { ...f.config, evaluation: { taskQueue: evalQueue } }, { taskQueue: controlQueue, workflowId: `fixture-${f.name}` });
        if (f.drive) await f.drive(handle);
        await handle.result();
        const file = join(OUT, `${f.name}.json`);
        writeFileSync(file, historyToJSON(await handle.fetchHistory()));
        console.log(`recorded ${file}`);
      }
    },
  );
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
