/**
 * Inputs too large for the workflow history (a config, seed architectures,
 * an LLM answer, a steering hint) are refused with a message before they get
 * there. Real Temporal server and workers; the LLM endpoint is the scripted fake.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { WorkflowFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { historyToJSON } from '@temporalio/common/lib/proto-utils';
import { startSearch } from '../src/client/search';
import { steerSearch } from '../src/client/steer';
import { ConfigError } from '../src/search/config';
import { MAX_BUDGET, MAX_HINT_CHARS, MAX_LLM_ANSWER_CHARS } from '../src/search/limits';
import { extendBudgetUpdate, progressQuery } from '../src/workflows/api';
import type { SearchResult } from '../src/search/summary';
import { createControlWorker } from '../src/workers/control';
import { cells, requestedCount, startFakeLlm, STRATEGY_TEXT } from './fake-llm';
import { inProcessWorkers, queues, uniqueId, useTemporal, waitFor } from './helpers';

const env = useTemporal();

const NB201 = '|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|skip_connect~0|nor_conv_3x3~1|nor_conv_3x3~2|';

async function refusedByClient(input: unknown): Promise<ConfigError> {
  const id = uniqueId('huge');
  const err = await startSearch(env.client, input, { taskQueue: 'nobody-polls-this', workflowId: id }).then(
    () => assert.fail('expected the client to refuse the config'),
    (e: unknown) => e,
  );
  assert.ok(err instanceof ConfigError, String(err));
  await assert.rejects(env.client.workflow.getHandle(id).describe(), /not found/i, 'nothing was started');
  return err;
}

test('a 10 MB config and 100,000 seed architectures are refused by the client, with their size, before anything starts', async () => {
  const tenMb = await refusedByClient({ budget: 10, name: 'big', evaluation: { options: { blob: 'x'.repeat(10 * 1024 * 1024) } } });
  assert.deepEqual(tenMb.problems, [
    '(config): is 10.0 MB of JSON, more than the 256 KB a search config may be: it is stored in the workflow history (input, memo, every continue-as-new); keep large data on the workers',
  ]);

  const seeds = await refusedByClient({ budget: 10, seedArchitectures: Array.from({ length: 100_000 }, () => NB201) });
  assert.match(seeds.message, /\(config\): is 9\.\d MB of JSON/);
  assert.match(seeds.message, /seedArchitectures: at most 1000 architectures, got 100000/);

  // Within the size limit but over the count: the count, and the reason.
  const many = await refusedByClient({ budget: 10, seedArchitectures: Array.from({ length: 1001 }, () => NB201) });
  assert.deepEqual(many.problems, [
    'seedArchitectures: at most 1000 architectures, got 1001: the config is stored in the workflow history; seed with the best few and let the search find the rest',
  ]);
});

test('a config over the limit started past the client fails the search at once with the same message', async () => {
  const q = queues('huge');
  const control = await createControlWorker({ connection: env.native, taskQueue: q.control });
  const input = { budget: 10, evaluation: { options: { blob: 'x'.repeat(300 * 1024) } } };
  await control.runUntil(async () => {
    const handle = await env.client.workflow.start('nasSearch', { taskQueue: q.control, workflowId: uniqueId('huge'), args: [input] });
    const err = await handle.result().then(() => assert.fail('expected failure'), (e: unknown) => e);
    assert.ok(err instanceof WorkflowFailedError);
    assert.ok(err.cause instanceof ApplicationFailure);
    assert.equal(err.cause.type, 'InvalidSearchConfig');
    assert.match(err.cause.message, /\(config\): is 301 KB of JSON, more than the 256 KB a search config may be/);
    assert.equal((await handle.describe()).status.name, 'FAILED');
  });
});

test('a megabyte LLM answer never reaches the history: the call is refused and asked again', async () => {
  let generatorCalls = 0;
  const runaway = 'runaway '.repeat(128 * 1024);
  const fake = await startFakeLlm((req, i) => {
    if (req.role === 'navigator') return { content: STRATEGY_TEXT };
    generatorCalls++;
    return generatorCalls === 1 ? { content: runaway } : { content: JSON.stringify({ candidates: cells(requestedCount(req), i) }) };
  });
  const q = queues('runaway');
  const workers = await inProcessWorkers(env.native, q);
  try {
    const id = uniqueId('runaway');
    const result = await workers.run(async () => {
      const handle = await startSearch(
        env.client,
        {
          budget: 10,
          batchSize: 10,
          strategy: 'collm',
          llm: { provider: 'openai', baseUrl: fake.baseUrl, model: 'fake-model', timeoutMs: 5000 },
          llmCalls: { maximumAttempts: 3 },
          evaluation: { taskQueue: q.eval },
        },
        { taskQueue: q.control, workflowId: id },
      );
      return (await handle.result()) as SearchResult;
    });
    assert.ok(runaway.length > MAX_LLM_ANSWER_CHARS);
    assert.equal(result.evaluated, 10);
    assert.equal(generatorCalls, 2, 'the runaway answer was asked again once');
    assert.ok(result.history.some((e) => e.origin === 'llm'), 'the second answer was used');
    const history = historyToJSON(await env.client.workflow.getHandle(id).fetchHistory());
    assert.ok(history.length < 256 * 1024, `the history is ${history.length} characters`);
    assert.match(history, /LlmAnswerTooLargeError/);
    // 1 MB less the trailing space the provider trims.
    assert.match(history, /generator LLM: the answer is 1048575 characters, more than the 262144 one may be/);
  } finally {
    await fake.close();
  }
});

test('a steering hint over the limit is refused before it is signalled; one within it is sent trimmed', async () => {
  // No worker polls this queue: the signals land in the history all the same, which is what is checked.
  const handle = await env.client.workflow.start('nasSearch', { taskQueue: `nobody-${uniqueId('steer')}`, workflowId: uniqueId('steer'), args: [{ budget: 1 }] });
  try {
    await assert.rejects(steerSearch(handle, 'x'.repeat(1024 * 1024)), new RegExp(`^Error: steer: the hint is 1048576 characters, more than the ${MAX_HINT_CHARS}`));
    await assert.rejects(steerSearch(handle, '   '), /steer: give the hint/);
    await assert.rejects(steerSearch(handle, 42), /steer: the hint must be text, got number/);
    assert.equal(await steerSearch(handle, '  prefer 3x3 convolutions \n'), 'prefer 3x3 convolutions');
    const signals = (await handle.fetchHistory()).events!.filter((e) => e.workflowExecutionSignaledEventAttributes);
    assert.equal(signals.length, 1, 'only the hint within the limit was signalled');
    assert.equal(signals[0]!.workflowExecutionSignaledEventAttributes!.signalName, 'steer');
  } finally {
    await handle.terminate('test done');
  }
});

test('state carried by hand into a first run is refused; an extension past the budget limit is rejected before it enters the history', async () => {
  const q = queues('carried');
  const control = await createControlWorker({ connection: env.native, taskQueue: q.control });
  await control.runUntil(async () => {
    // The second argument is trusted state only continue-as-new may pass (its config skipped resolution).
    const forged = await env.client.workflow.start('nasSearch', { taskQueue: q.control, workflowId: uniqueId('forged'), args: [{ budget: 5 }, { config: { budget: 1e9 } }] });
    const err = await forged.result().then(() => assert.fail('expected failure'), (e: unknown) => e);
    assert.ok(err instanceof WorkflowFailedError && err.cause instanceof ApplicationFailure, String(err));
    assert.equal(err.cause.type, 'BadInput');
    assert.match(err.cause.message, /only by continue-as-new/);

    // A paused search takes no evaluation: the update's validator is what is checked.
    const handle = await env.client.workflow.start('nasSearch', { taskQueue: q.control, workflowId: uniqueId('extend'), args: [{ budget: 5, evaluation: { taskQueue: `nobody-${q.eval}` } }] });
    try {
      // The update's handler exists once the config is resolved: until then an update finds none.
      await waitFor('the search to resolve its config', async () => ((await handle.query(progressQuery)).budget === 5 ? true : undefined), 30_000);
      const refused = await handle.executeUpdate(extendBudgetUpdate, { args: [MAX_BUDGET] }).then(() => assert.fail('expected a rejection'), (e: unknown) => e as Error);
      assert.match(String((refused.cause as Error | undefined)?.message), /the budget would be 20005, above the limit of 20000; add at most 19995/);
      assert.equal(await handle.executeUpdate(extendBudgetUpdate, { args: [10] }), 15);
      const updates = (await handle.fetchHistory()).events!.filter((e) => e.workflowExecutionUpdateAcceptedEventAttributes);
      assert.equal(updates.length, 1, 'the rejected extension left no trace in the history');
    } finally {
      await handle.terminate('test done');
    }
  });
});
