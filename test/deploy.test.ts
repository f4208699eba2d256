import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { promisify } from 'node:util';
import type { WorkflowHandle } from '@temporalio/client';
import type { WorkerDeploymentVersion } from '@temporalio/common';
import { temporal } from '@temporalio/proto';
import { bundleWorkflowCode, Worker } from '@temporalio/worker';
import { DeterminismViolationError } from '@temporalio/workflow';
import { startSearch } from '../src/client/search';
import type { SearchResult } from '../src/search/summary';
import { findTemporalCli } from '../src/temporal/temporal-cli';
import { createControlWorker, deploymentFromEnv } from '../src/workers/control';
import { createEvalWorker } from '../src/workers/eval';
import { pauseSignal, progressQuery, resumeSignal, stopSignal } from '../src/workflows/api';
import { ADDRESS, queues, runInProcess, TABLE_PATH, uniqueId, useTemporal, waitFor } from './helpers';

// A deploy while searches run: searches started on build A (today's workflow
// bundle) keep running on it after build B (test/fixtures/deploy: a change
// that A's histories cannot replay on) is made current, and new searches run
// on B. Both builds' control workers poll the same task queue, as during a
// real rollout; the eval worker is unversioned and serves both.

const env = useTemporal();
const run = promisify(execFile);

const { VERSIONING_BEHAVIOR_PINNED } = temporal.api.enums.v1.VersioningBehavior;

/**
 * Step 2 of a deploy (src/workers/control.ts), with the CLI as a user runs it;
 * retried until the build's workers have polled. The switch reaches the task
 * queue asynchronously, so this returns once new searches do start on the
 * build: throwaway ones, stopped at once, must land there three times running.
 * (The server's own "routing propagated" state is no help: on server 1.32 it
 * sometimes stays IN_PROGRESS although the routing has changed.)
 */
async function makeCurrent(version: WorkerDeploymentVersion, q: { control: string; eval: string }): Promise<void> {
  const cli = findTemporalCli();
  await waitFor(`build ${version.buildId} to become current`, async () => {
    const args = ['worker', 'deployment', 'set-current-version', '--address', ADDRESS, '--namespace', 'default'];
    await run(cli, [...args, '--deployment-name', version.deploymentName, '--build-id', version.buildId, '--yes']);
    return true;
  }, 30_000);
  let landed = 0;
  await waitFor(`new searches to start on build ${version.buildId}`, async () => {
    const probe = await env.client.workflow.signalWithStart('nasSearch', {
      taskQueue: q.control,
      workflowId: uniqueId('deploy-probe'),
      args: [{ budget: 10, batchSize: 10, strategy: 'random', dataset: 'cifar10', evaluation: { taskQueue: q.eval } }],
      signal: stopSignal,
      signalArgs: [],
    });
    await probe.result();
    landed = (await firstBuild(probe.workflowId)) === version.buildId ? landed + 1 : 0;
    return landed >= 3 ? true : undefined;
  }, 30_000);
}

async function firstBuild(workflowId: string): Promise<string | undefined> {
  const history = await env.client.workflow.getHandle(workflowId).fetchHistory();
  return history.events?.find((e) => e.workflowTaskCompletedEventAttributes)?.workflowTaskCompletedEventAttributes?.deploymentVersion?.buildId ?? undefined;
}

/** The builds that completed each workflow task of every run of a search, and whether any task failed. */
async function buildsOf(workflowId: string): Promise<{ builds: Set<string>; failedTasks: number; timers: number; runs: number }> {
  const builds = new Set<string>();
  let failedTasks = 0;
  let timers = 0;
  let runs = 0;
  for await (const wf of env.client.workflow.list({ query: `WorkflowId = "${workflowId}"` })) {
    runs++;
    const history = await env.client.workflow.getHandle(workflowId, wf.runId).fetchHistory();
    for (const e of history.events ?? []) {
      const done = e.workflowTaskCompletedEventAttributes;
      if (done) {
        builds.add(done.deploymentVersion?.buildId ?? '(unversioned)');
        assert.equal(done.versioningBehavior, VERSIONING_BEHAVIOR_PINNED, `${workflowId}: a task completed unpinned`);
      }
      if (e.workflowTaskFailedEventAttributes) failedTasks++;
      if (e.timerStartedEventAttributes) timers++;
    }
  }
  return { builds, failedTasks, timers, runs };
}

test('searches running on build A finish there after build B is deployed; new searches run on B', { timeout: 120_000 }, async () => {
  const q = queues('deploy');
  const deploymentName = uniqueId('collm-deploy');
  const A = { deploymentName, buildId: 'build-a' };
  const B = { deploymentName, buildId: 'build-b' };
  const dir = mkdtempSync(join(tmpdir(), 'collm-deploy-'));
  const bundleB = join(dir, 'workflow-bundle-b.js');
  const { code: codeB } = await bundleWorkflowCode({
    workflowsPath: require.resolve('./fixtures/deploy/workflows-b'),
    logger: { info() {}, warn() {}, error: console.error, debug() {}, trace() {}, log() {} },
  });
  writeFileSync(bundleB, codeB);

  const plain = { budget: 30, batchSize: 10, strategy: 'evolution', seed: 5, dataset: 'cifar10', evaluation: { taskQueue: q.eval } };
  // This one continues as new after B is current: its later runs must stay on A too.
  const long = { ...plain, budget: 80, seed: 6, continueAsNewAfterEvents: 50 };

  const evaluation = await createEvalWorker({
    connection: env.native,
    taskQueue: q.eval,
    devices: Array.from({ length: 10 }, (_, i) => `slot:${i}`),
    evaluators: { 'nb201-table': { table: TABLE_PATH } },
    simulateMs: 20,
  });
  // Build A: the bundle the control worker runs by default (npm run build).
  const workerA = await createControlWorker({ connection: env.native, taskQueue: q.control, deployment: A });
  const running: Promise<void>[] = [evaluation.run(), workerA.run()];
  let workerB: Worker | undefined;
  const started = Date.now();
  try {
    await makeCurrent(A, q);
    const onA: WorkflowHandle[] = [];
    for (const config of [plain, long]) {
      const handle = await startSearch(env.client, config, { taskQueue: q.control, workflowId: uniqueId('deploy-a') });
      await handle.signal(pauseSignal);
      onA.push(handle);
    }
    // Paused, they stay in flight across the deploy.
    for (const h of onA) await waitFor('a paused search', async () => ((await h.query(progressQuery)).status === 'paused' ? true : undefined));

    // The deploy: B's workers join, and B becomes current.
    workerB = await createControlWorker({ connection: env.native, taskQueue: q.control, deployment: B, workflowBundlePath: bundleB });
    running.push(workerB.run());
    await makeCurrent(B, q);

    const onB: WorkflowHandle[] = [];
    for (const config of [plain, long]) onB.push(await startSearch(env.client, config, { taskQueue: q.control, workflowId: uniqueId('deploy-b') }));
    for (const h of onA) await h.signal(resumeSignal);

    const results = (await Promise.all([...onA, ...onB].map((h) => h.result()))) as SearchResult[];
    const [plainExpected, longExpected] = await Promise.all([runInProcess(plain), runInProcess(long)]);
    assert.deepEqual(results, [plainExpected, longExpected, plainExpected, longExpected]);

    for (const h of onA) {
      const seen = await buildsOf(h.workflowId);
      assert.deepEqual([...seen.builds], [A.buildId], `${h.workflowId} ran on ${[...seen.builds].join(', ')}`);
      assert.equal(seen.failedTasks, 0, `${h.workflowId}: failed workflow tasks`);
      assert.equal(seen.timers, 0, 'build A has no timer');
    }
    for (const h of onB) {
      const seen = await buildsOf(h.workflowId);
      assert.deepEqual([...seen.builds], [B.buildId], `${h.workflowId} ran on ${[...seen.builds].join(', ')}`);
      assert.equal(seen.failedTasks, 0, `${h.workflowId}: failed workflow tasks`);
      assert.equal(seen.timers, seen.runs, "build B's timer, once per run");
    }
    const longOnA = await buildsOf(onA[1]!.workflowId);
    assert.ok(longOnA.runs >= 2, `the long search on A continued as new (${longOnA.runs} runs)`);

    // What pinning prevented: A's histories do not replay on B's code.
    const history = await onA[0]!.fetchHistory();
    await assert.rejects(
      Worker.runReplayHistory({ workflowBundle: { code: codeB }, replayName: 'build-b' }, history),
      DeterminismViolationError,
    );
    console.log(`deploy: searches on both builds done in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  } finally {
    workerB?.shutdown();
    workerA.shutdown();
    evaluation.shutdown();
    await Promise.allSettled(running);
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the control worker is versioned only with both COLLM_DEPLOYMENT_NAME and COLLM_BUILD_ID', () => {
  assert.equal(deploymentFromEnv({}), undefined);
  assert.deepEqual(deploymentFromEnv({ COLLM_DEPLOYMENT_NAME: 'collm-nas', COLLM_BUILD_ID: ' 2024-06-01 ' }), {
    deploymentName: 'collm-nas',
    buildId: '2024-06-01',
  });
  assert.throws(() => deploymentFromEnv({ COLLM_DEPLOYMENT_NAME: 'collm-nas' }), /needs both .*got only COLLM_DEPLOYMENT_NAME/);
  assert.throws(() => deploymentFromEnv({ COLLM_BUILD_ID: 'b' }), /got only COLLM_BUILD_ID/);
});
