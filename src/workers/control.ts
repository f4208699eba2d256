import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { WorkerDeploymentVersion } from '@temporalio/common';
import { NativeConnection, Worker } from '@temporalio/worker';
import { createConfigActivities } from '../activities/config';
import { createLlmActivities } from '../activities/llm';
import { llmAllowListFromEnv } from '../llm/allow-list';
import { createWarmStartActivities } from '../activities/warm-start';
import { CONTROL_TASK_QUEUE } from '../task-queues';
import { WORKFLOW_BUNDLE } from '../temporal/paths';
import { runWorkerProcess } from './run';

export interface ControlWorkerOptions {
  connection: NativeConnection;
  namespace?: string;
  taskQueue?: string;
  /** Prebundled workflow code (npm run build); without it the workflows are bundled at start-up. */
  workflowBundlePath?: string;
  /** Activities that run beside the workflows; default: the LLM calls (API keys from this process's environment). */
  activities?: object;
  /**
   * The Worker Deployment Version of this worker's workflow code: with it the
   * worker uses Worker Versioning and pins each search to the build it started
   * on (see below). Without it the worker is unversioned.
   */
  deployment?: WorkerDeploymentVersion;
}

/**
 * The control worker runs `nasSearch` workflows, the config resolution and
 * warm start they begin with, and the LLM calls of strategies that make them.
 * Evaluations run on the eval queue.
 *
 * Deploying new workflow code while searches run. A search replays its
 * history on whatever worker picks up its next task, so a worker with changed
 * workflow code would fail in-flight searches with a nondeterminism error.
 * With Worker Versioning each search is pinned to the build it started on and
 * finishes there (its LLM calls and config resolution, which run on this
 * queue, too), while new searches start on the current build. Environment:
 *   COLLM_DEPLOYMENT_NAME  the Worker Deployment, the same for every build (e.g. "collm-nas")
 *   COLLM_BUILD_ID         this build's id; a new one whenever the workflow bundle changes
 *                          (src/workflows and the pure code it imports: search, spaces, prompts)
 * Both or neither; with neither the worker is unversioned, as before. Eval
 * workers stay unversioned: they run no workflow code, and a pinned search's
 * evaluations go to whichever workers poll the eval queue.
 *
 * To deploy build B while searches run on build A:
 *   1. Start control worker(s) for B beside A's: B's checkout or image (or
 *      WORKFLOW_BUNDLE at B's bundle), the same COLLM_DEPLOYMENT_NAME,
 *      COLLM_BUILD_ID=B. A restarted A worker must still load A's code.
 *   2. Once they poll, make B current:
 *        temporal worker deployment set-current-version --deployment-name collm-nas --build-id B
 *      Within seconds new searches start on B; running ones stay on A,
 *      across continue-as-new too.
 *   3. Keep A's workers up until A has drained, i.e.
 *        temporal worker deployment describe-version --deployment-name collm-nas --build-id A
 *      shows DrainageStatus "drained" (checked every few minutes); then stop
 *      them. Stopped earlier, A's searches wait for an A worker; they do not fail.
 * The first versioned build is made current the same way (step 2); until then
 * new searches go to unversioned workers. Searches that started unversioned
 * move to the current build when one is set, so the first versioned build
 * must run the same workflow code as the unversioned workers it replaces.
 * `temporal worker deployment set-current-version --deployment-name collm-nas --unversioned` goes back.
 */
export async function createControlWorker(options: ControlWorkerOptions): Promise<Worker> {
  const bundle = options.workflowBundlePath ?? (bundleIsFresh(WORKFLOW_BUNDLE) ? WORKFLOW_BUNDLE : undefined);
  return Worker.create({
    connection: options.connection,
    namespace: options.namespace ?? 'default',
    taskQueue: options.taskQueue ?? CONTROL_TASK_QUEUE,
    ...(bundle
      ? { workflowBundle: { codePath: bundle } }
      : { workflowsPath: require.resolve('../workflows') }),
    // A search replays correctly only on the code that wrote its history: pinned, it stays on its build.
    ...(options.deployment
      ? { workerDeploymentOptions: { useWorkerVersioning: true, version: options.deployment, defaultVersioningBehavior: 'PINNED' as const } }
      : {}),
    // resolveConfig runs as a local activity of nasSearch, so it must live on this worker; so does
    // findWarmStart, which nasSearch schedules on its own queue and which reads the server through this worker's client.
    activities: { ...createConfigActivities(), ...createWarmStartActivities(), ...(options.activities ?? createLlmActivities()) },
    // LLM calls are slow and heavy (the embedded model uses the CPU): a few at a time.
    maxConcurrentActivityTaskExecutions: 4,
    // A crashed worker's cached workflows move to another worker after this long.
    stickyQueueScheduleToStartTimeout: '3s',
  });
}

/** COLLM_DEPLOYMENT_NAME and COLLM_BUILD_ID (see createControlWorker): both, or neither for an unversioned worker. */
export function deploymentFromEnv(env: NodeJS.ProcessEnv = process.env): WorkerDeploymentVersion | undefined {
  const deploymentName = env.COLLM_DEPLOYMENT_NAME?.trim();
  const buildId = env.COLLM_BUILD_ID?.trim();
  if (!deploymentName && !buildId) return undefined;
  if (!deploymentName || !buildId) {
    throw new Error(
      `Worker Versioning needs both COLLM_DEPLOYMENT_NAME and COLLM_BUILD_ID (got only ${deploymentName ? 'COLLM_DEPLOYMENT_NAME' : 'COLLM_BUILD_ID'}); ` +
        'set both to pin searches to the build they start on, or neither for an unversioned worker',
    );
  }
  return { deploymentName, buildId };
}

/**
 * The default bundle is used only when no source file is newer: a worker must
 * never run workflow code older than the code beside it.
 */
function bundleIsFresh(bundle: string): boolean {
  if (!existsSync(bundle)) return false;
  const built = statSync(bundle).mtimeMs;
  const newest = (dir: string): number =>
    readdirSync(dir, { withFileTypes: true }).reduce((max, entry) => {
      const path = join(dir, entry.name);
      return Math.max(max, entry.isDirectory() ? newest(path) : statSync(path).mtimeMs);
    }, 0);
  return newest(join(__dirname, '..')) <= built;
}

if (require.main === module) {
  runWorkerProcess(async (connection, target) => {
    const taskQueue = process.env.NAS_CONTROL_TASK_QUEUE ?? CONTROL_TASK_QUEUE;
    const deployment = deploymentFromEnv();
    const worker = await createControlWorker({
      connection,
      namespace: target.namespace,
      taskQueue,
      ...(process.env.WORKFLOW_BUNDLE ? { workflowBundlePath: process.env.WORKFLOW_BUNDLE } : {}),
      ...(deployment ? { deployment } : {}),
    });
    const allow = llmAllowListFromEnv();
    // Says where this worker may send LLM requests and keys, and how to change it, before any search asks.
    console.log(
      `control worker: LLM hosts allowed: ${allow.hosts.join(', ')} (COLLM_LLM_ALLOWED_HOSTS); ` +
        `key variables: ${allow.keyEnvs.join(', ')} (COLLM_LLM_ALLOWED_KEY_ENVS)`,
    );
    const version = deployment
      ? ` as build ${deployment.buildId} of deployment ${deployment.deploymentName} (searches pinned to their build)`
      : '';
    return { worker, banner: `control worker: polling ${taskQueue}${version}` };
  });
}
