import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { WorkerDeploymentVersion } from '@temporalio/common';
import { NativeConnection, Worker } from '@temporalio/worker';
import { createConfigActivities } from '../activities/config';
import { createLlmActivities } from '../activities/llm';
import { llmAllowListFromEnv } from '../llm/allow-list';
import { createSearchAttributeActivities } from '../activities/search-attributes';
import { createWarmStartActivities } from '../activities/warm-start';
import { withLlmMetrics } from '../metrics/llm-metrics';
import { processMeter } from '../metrics/meter';
import { metricsBindAddress } from '../metrics/address';
import { searchCountIntervalMs, watchSearchCounts } from '../metrics/searches';
import { CONTROL_TASK_QUEUE } from '../search/task-queues';
import { WORKFLOW_BUNDLE } from '../temporal/paths';
import type { TemporalTarget } from '../temporal/connection';
import { runWorkerProcess, type ReadyWorker } from './run';

export interface ControlWorkerOptions {
  connection: NativeConnection;
  namespace?: string;
  taskQueue?: string;
  /** Prebundled workflow code (npm run build); without it the workflows are bundled at start-up. */
  workflowBundlePath?: string;
  /** Activities that run beside the workflows; default: the LLM calls (API keys from this process's environment), counted in the process's metrics. */
  activities?: object;
  /**
   * The Worker Deployment Version of this worker's workflow code: with it the
   * worker uses Worker Versioning and pins each search to the build it started
   * on (see createControlWorker). Without it the worker is unversioned.
   */
  deployment?: WorkerDeploymentVersion;
}

/**
 * The control worker runs `nasSearch` workflows, the config resolution and
 * warm start they begin with, and the LLM calls of strategies that make them.
 * Evaluations run on the eval queue.
 *
 * With COLLM_DEPLOYMENT_NAME and COLLM_BUILD_ID (`deployment`) it pins each
 * search to the build it started on, so new workflow code can be deployed
 * while searches run. The runbook (the variables, rolling out a build,
 * draining the old one, going back) is for operators, so it lives with the
 * rest of theirs: docs/operations.md#deploying-new-workflow-code-while-searches-run.
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
    // findWarmStart, which nasSearch schedules on its own queue and which reads the server through this worker's client;
    // and registeredSearchAttributes, the local activity a search asks before it marks itself paused.
    activities: { ...createConfigActivities(), ...createWarmStartActivities(), ...createSearchAttributeActivities(), ...(options.activities ?? withLlmMetrics(createLlmActivities(), processMeter())) },
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

/**
 * The control worker `npm run worker:control` and `collm-nas worker control`
 * run, set up from the environment: NAS_CONTROL_TASK_QUEUE, WORKFLOW_BUNDLE,
 * COLLM_DEPLOYMENT_NAME and COLLM_BUILD_ID. It says where it may send LLM
 * requests and keys, and how to change that, before any search asks.
 */
export async function controlWorkerFromEnv(connection: NativeConnection, target: TemporalTarget): Promise<ReadyWorker> {
  const env = process.env;
  const taskQueue = env.NAS_CONTROL_TASK_QUEUE ?? CONTROL_TASK_QUEUE;
  const deployment = deploymentFromEnv();
  const worker = await createControlWorker({
    connection,
    namespace: target.namespace,
    taskQueue,
    ...(env.WORKFLOW_BUNDLE ? { workflowBundlePath: env.WORKFLOW_BUNDLE } : {}),
    ...(deployment ? { deployment } : {}),
  });
  const allow = llmAllowListFromEnv();
  console.log(
    `control worker: LLM hosts allowed: ${allow.hosts.join(', ')} (COLLM_LLM_ALLOWED_HOSTS); ` +
      `key variables: ${allow.keyEnvs.join(', ')} (COLLM_LLM_ALLOWED_KEY_ENVS)`,
  );
  const version = deployment
    ? ` as build ${deployment.buildId} of deployment ${deployment.deploymentName} (searches pinned to their build)`
    : '';
  // Only where someone scrapes them: the count is a visibility query every 15 s (or as often as told).
  // It runs as long as the process (its timer does not hold the process open).
  if (metricsBindAddress(env.COLLM_METRICS_ADDRESS)) watchSearchCounts(connection, target.namespace, processMeter(), searchCountIntervalMs(env));
  return { worker, banner: `control worker: polling ${taskQueue}${version}` };
}

if (require.main === module) runWorkerProcess(controlWorkerFromEnv);
