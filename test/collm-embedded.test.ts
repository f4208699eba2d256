import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { CollmStats } from '../src/search/strategies/collm';
import { startSearch } from '../src/client/search';
import type { SearchResult } from '../src/search/summary';
import { parseNb201 } from '../src/spaces/nb201';
import { inProcessWorkers, queues, uniqueId, useTemporal } from './helpers';

// The embedded SmolLM2-135M model (npm run setup extracts it) driving a real
// search on the real server: no endpoint, no fake.
const env = useTemporal();

test('collm on the embedded model: a few iterations, every evaluated candidate legal and unique', async () => {
  const q = queues('embedded');
  const workers = await inProcessWorkers(env.native, q);
  const result = await workers.run(async () => {
    const handle = await startSearch(
      env.client,
      {
        budget: 30,
        batchSize: 10,
        seed: 7,
        dataset: 'cifar100',
        strategy: 'collm',
        llm: { provider: 'local', roles: { navigator: { maxTokens: 120 } } },
        evaluation: { taskQueue: q.eval },
      },
      { taskQueue: q.control, workflowId: uniqueId('embedded') },
    );
    return (await handle.result()) as SearchResult;
  });
  assert.equal(result.evaluated, 30);
  assert.equal(result.iterations, 3);
  assert.equal(new Set(result.history.map((e) => e.key)).size, 30);
  for (const e of result.history) assert.doesNotThrow(() => parseNb201(e.arch));
  const llm = result.stats as unknown as CollmStats & { promptVersion: string };
  assert.equal(llm.navigatorCalls, 3);
  assert.ok(llm.generatorCalls >= 3);
  // The grammar makes every answer JSON of the right shape with legal ops.
  assert.equal(llm.invalidJson, 0);
  assert.equal(llm.illegal, 0);
  assert.ok(llm.generated >= 30, `generated ${llm.generated}`);
  assert.ok(llm.tokensIn > 0 && llm.tokensOut > 0);
  assert.equal(llm.accepted + llm.mutationFilled, 30);
});
