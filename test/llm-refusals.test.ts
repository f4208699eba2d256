import assert from 'node:assert/strict';
import { test } from 'node:test';
import { WorkflowFailedError } from '@temporalio/client';
import { progressBar } from '../src/cli/progress';
import { formatResult, startSearch } from '../src/client/search';
import type { SearchResult } from '../src/search/summary';
import { progressQuery, type SearchProgress } from '../src/workflows/api';
import { startFakeLlm, type FakeLlm } from './fake-llm';
import { inProcessWorkers, queues, uniqueId, useTemporal } from './helpers';

// A server that refuses every request as malformed, the way llama-cpp-python
// does (a 500 whose message is a validation error): not retried, counted by
// kind, and after maxLlmRefusals in a row the search says the LLM gave nothing.
const env = useTemporal();

const refusing = (): Promise<FakeLlm> => startFakeLlm(() => ({ status: 500, error: "messages.1.content: Input should be a valid string" }));

function config(fake: FakeLlm, onLlmFailure: 'fill' | 'fail'): Record<string, unknown> {
  return {
    budget: 30,
    batchSize: 10,
    seed: 4,
    strategy: { name: 'collm', onLlmFailure, maxLlmRefusals: 2 },
    llm: { provider: 'openai', baseUrl: fake.baseUrl, model: 'fake-model', structuredOutput: 'json_schema', timeoutMs: 2000 },
  };
}

let lastProgress: SearchProgress | undefined;

async function run(cfg: Record<string, unknown>): Promise<SearchResult> {
  const q = queues('refusals');
  const workers = await inProcessWorkers(env.native, q);
  return workers.run(async () => {
    const handle = await startSearch(env.client, { ...cfg, evaluation: { taskQueue: q.eval } }, { taskQueue: q.control, workflowId: uniqueId('refusals') });
    try {
      return (await handle.result()) as SearchResult;
    } finally {
      lastProgress = await handle.query(progressQuery);
    }
  });
}

test('refused requests under "fill": not retried, counted by kind, then the LLMs given up and the result says so', async () => {
  const fake = await refusing();
  try {
    const result = await run(config(fake, 'fill'));
    assert.equal(result.evaluated, 30);
    const stats = result.stats as Record<string, unknown>;
    assert.equal(stats['llmFailures'], 2);
    assert.equal(stats['llmFailuresRefused'], 2);
    assert.equal(stats['llmFailuresTransient'], undefined);
    assert.match(String(stats['lastLlmFailure']), /^refused: .*Input should be a valid string/);
    assert.match(String(stats['llmContribution']), /LLM contributed nothing: the LLMs were given up after 2 refused requests in a row/);
    // One request per refused call (no retry of the same request), none after giving up.
    assert.equal(fake.seen.length, 2);
    // What the CLI and npm start print says so, right under the first lines, and gives the failures by kind.
    const printed = formatResult(result).split('\n');
    assert.match(printed[2]!, /^LLM contributed nothing: the LLMs were given up/);
    assert.ok(printed.some((l) => /^LLM failures 2 \(2 refused\); last: refused: .*Input should be a valid string/.test(l)), printed.join('\n'));
    assert.match(progressBar(lastProgress!, ''), /, 2 LLM failures\)$/);
  } finally {
    await fake.close();
  }
});

test('refused requests under "fail": the search ends after maxLlmRefusals in a row, saying why', async () => {
  const fake = await refusing();
  try {
    const err = await run(config(fake, 'fail')).then(
      () => assert.fail('the search should fail'),
      (e: unknown) => e,
    );
    assert.ok(err instanceof WorkflowFailedError);
    assert.match(String(err.cause?.message), /onLlmFailure "fail".*2 LLM requests refused in a row.*Input should be a valid string/);
    assert.equal(fake.seen.length, 2);
  } finally {
    await fake.close();
  }
});
