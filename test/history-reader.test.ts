import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { fetchRuns, readRuns, tallyActivities, type ActivityTally } from '../src/client/history';
import { startSearch } from '../src/client/search';
import { searchLog, type LogEntry } from '../src/client/search-log';
import { gatherSearch } from '../src/report/gather';
import { renderSearchPage } from '../src/report/search-page';
import type { SearchResult } from '../src/search/summary';
import { steerSignal } from '../src/workflows/api';
import { cells, requestedCount, startFakeLlm, STRATEGY_TEXT, type Reply } from './fake-llm';
import { inProcessWorkers, queues, uniqueId, useTemporal } from './helpers';

// One search whose history holds every way an activity can end: an LLM call
// that fails once (503) and is retried, one that fails for good, one that
// times out for good; an evaluation that hangs past its activity's timeout
// on every attempt, one that fails on every attempt, one that fails once and
// passes. The search log and the report read it through the one history
// reader (src/client/history.ts) and must agree on all of it.
const env = useTemporal();

/** How the log's entries say the activities ended, counted as the reader's tally counts them. */
function tallyOfLog(entries: readonly LogEntry[], done: LogEntry['kind'], failed: LogEntry['kind']): ActivityTally {
  const t: ActivityTally = { completed: 0, failed: 0, timedOut: 0, retried: 0 };
  for (const e of entries) {
    if (e.kind === done) t.completed++;
    else if (e.kind === failed && 'outcome' in e) t[e.outcome === 'timed out' ? 'timedOut' : 'failed']++;
    else continue;
    if ((e.attempts ?? 1) > 1) t.retried++;
  }
  return t;
}

test('the log and the report read one history alike: completed, failed, timed-out and retried activities', { timeout: 300_000 }, async () => {
  let navigator = 0;
  let generator = 0;
  const fake = await startFakeLlm((req, i): Reply => {
    if (req.role === 'navigator') return ++navigator === 1 ? { status: 503, error: 'the model is loading' } : { content: STRATEGY_TEXT };
    generator++;
    // The second Generator call fails on both its attempts, the third times out on both (past llmCalls.startToCloseTimeout).
    if (generator === 2 || generator === 3) return { status: 503, error: 'the model is loading' };
    if (generator === 4 || generator === 5) return { delayMs: 6000, content: JSON.stringify({ candidates: cells(requestedCount(req), i) }) };
    return { content: JSON.stringify({ candidates: cells(requestedCount(req), i) }) };
  });
  const state = mkdtempSync(join(tmpdir(), 'history-reader-'));
  const q = queues('hist');
  const id = uniqueId('hist');
  try {
    const workers = await inProcessWorkers(env.native, q, { command: { allowedPrograms: [process.execPath] } });
    const result = await workers.run(async () => {
      const handle = await startSearch(
        env.client,
        {
          budget: 12,
          batchSize: 4,
          seed: 5,
          strategy: 'collm',
          llm: { provider: 'openai', baseUrl: fake.baseUrl, model: 'fake-model', apiKeyEnv: 'COLLM_LLM_API_KEY_TEST', timeoutMs: 20_000 },
          llmCalls: { maximumAttempts: 2, startToCloseTimeout: '3s' },
          continueAsNewAfterEvents: 50,
          evaluation: {
            taskQueue: q.eval,
            evaluator: 'command',
            // The program's own timeout is only a backstop: the activity's runs out first.
            options: { argv: [process.execPath, 'test/fixtures/command/history-cases.mjs', state], timeout: '60s' },
            startToCloseTimeout: '8s',
            heartbeatTimeout: '20s',
            maximumAttempts: 2,
          },
        },
        { taskQueue: q.control, workflowId: id },
      );
      await handle.signal(steerSignal, '  Prefer 3x3 convolutions.  ');
      return (await handle.result()) as SearchResult;
    });
    assert.equal(result.evaluated, 12);
    assert.equal(result.failed.length, 2, JSON.stringify(result.failed));

    const runs = await fetchRuns(env.client, id);
    assert.ok(runs.length > 1, 'the search continued as new: the reader follows the chain');
    const records = readRuns(runs);
    const links = records.filter((r) => r.kind === 'continued-as-new');
    assert.deepEqual(links.map((r) => r.next), runs.slice(1).map((r) => r.runId));
    assert.deepEqual(records.filter((r) => r.kind === 'started').map((r) => r.kind === 'started' && r.continuedFrom), [undefined, ...runs.slice(0, -1).map((r) => r.runId)]);
    assert.deepEqual(records.filter((r) => r.kind === 'hint').map((r) => r.kind === 'hint' && r.text), ['Prefer 3x3 convolutions.']);
    assert.equal(records.filter((r) => r.kind === 'closed').length, 1);

    // What happened, as scripted.
    const tally = tallyActivities(records);
    assert.deepEqual(tally.evaluations, { completed: 12, failed: 1, timedOut: 1, retried: 3 });
    assert.deepEqual({ ...tally.llm, completed: 0 }, { completed: 0, failed: 1, timedOut: 1, retried: 3 });
    assert.equal(tally.llm.completed, navigator - 1 + generator - 4, 'every answered call, none of the failed attempts');

    // The log lists every one of them, the timed-out and the failed LLM calls included.
    const log = await searchLog(env.client, id);
    assert.deepEqual(tallyOfLog(log, 'evaluation', 'evaluation-failed'), tally.evaluations);
    assert.deepEqual(tallyOfLog(log, 'llm', 'llm-failed'), tally.llm);
    const hung = log.find((e) => e.kind === 'evaluation-failed' && e.outcome === 'timed out');
    assert.ok(hung?.kind === 'evaluation-failed');
    assert.equal(hung.attempts, 2);
    assert.equal(hung.timeoutType, 'START_TO_CLOSE');
    const failing = log.find((e) => e.kind === 'evaluation-failed' && e.outcome === 'failed');
    assert.ok(failing?.kind === 'evaluation-failed');
    assert.match(failing.error, /exited with code 3[\s\S]*loss is NaN at step 12 \(attempt 2\)/);
    assert.equal(failing.attempts, 2);
    const flaky = log.filter((e) => e.kind === 'evaluation' && e.attempts === 2);
    assert.equal(flaky.length, 1);
    assert.match(flaky[0]!.kind === 'evaluation' ? (flaky[0]!.lastFailure ?? '') : '', /loss is NaN at step 12 \(attempt 1\)/);
    const llmFailed = log.filter((e) => e.kind === 'llm-failed');
    assert.deepEqual(llmFailed.map((e) => e.kind === 'llm-failed' && [e.purpose, e.outcome, e.attempts]), [
      ['generator', 'failed', 2],
      ['generator', 'timed out', 2],
    ]);
    const retriedNavigator = log.find((e) => e.kind === 'llm' && e.purpose === 'navigator');
    assert.ok(retriedNavigator?.kind === 'llm');
    assert.equal(retriedNavigator.attempts, 2);
    assert.match(retriedNavigator.lastFailure ?? '', /503|loading/);
    // Entries that passed at once look as they always did.
    assert.ok(log.some((e) => e.kind === 'evaluation' && !('attempts' in e) && !('lastFailure' in e)));

    // The report reads the same: its lists and its tally agree with the log.
    const report = await gatherSearch(env.client, id);
    assert.deepEqual(report.activities, tally);
    assert.equal(report.evaluations.length, log.filter((e) => e.kind === 'evaluation').length);
    assert.deepEqual(
      report.failedEvaluations.map((f) => [f.arch, f.error]),
      log.flatMap((e) => (e.kind === 'evaluation-failed' ? [[e.arch, e.error]] : [])),
    );
    assert.equal(report.llm.length, log.filter((e) => e.kind === 'llm').length);
    assert.deepEqual(
      report.llmFailures.map((f) => [f.purpose, f.error]),
      log.flatMap((e) => (e.kind === 'llm-failed' ? [[e.purpose, e.error]] : [])),
    );
    assert.deepEqual(report.hints.map((h) => h.text), ['Prefer 3x3 convolutions.']);
    // The page says the same.
    const html = renderSearchPage(report, { accuracyLabel: 'accuracy', generatedAt: new Date(0).toISOString(), files: { csv: 'c.csv', json: 'c.json' } });
    const e = tally.evaluations;
    assert.match(html, new RegExp(`evaluation activities</t[hd]>\\s*<td>${e.completed} completed, ${e.failed} failed, ${e.timedOut} timed out; ${e.retried} took more than one attempt`));
    assert.equal(report.status, 'completed');
    assert.deepEqual(report.runIds, runs.map((r) => r.runId));
    // And the search itself counted the same failures.
    assert.equal(report.failedEvaluations.length, result.failed.length);
    assert.equal(report.llmFailures.length, Number(result.stats!.llmFailures));
  } finally {
    await fake.close();
    rmSync(state, { recursive: true, force: true });
  }
});
