import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
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
}

/**
 * The control worker runs `nasSearch` workflows, the config resolution and
 * warm start they begin with, and the LLM calls of strategies that make them.
 * Evaluations run on the eval queue.
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
    // resolveConfig runs as a local activity of nasSearch, so it must live on this worker; so does
    // findWarmStart, which nasSearch schedules on its own queue and which reads the server through this worker's client.
    activities: { ...createConfigActivities(), ...createWarmStartActivities(), ...(options.activities ?? createLlmActivities()) },
    // LLM calls are slow and heavy (the embedded model uses the CPU): a few at a time.
    maxConcurrentActivityTaskExecutions: 4,
    // A crashed worker's cached workflows move to another worker after this long.
    stickyQueueScheduleToStartTimeout: '3s',
  });
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
    const worker = await createControlWorker({
      connection,
      namespace: target.namespace,
      taskQueue,
      ...(process.env.WORKFLOW_BUNDLE ? { workflowBundlePath: process.env.WORKFLOW_BUNDLE } : {}),
    });
    const allow = llmAllowListFromEnv();
    // Says where this worker may send LLM requests and keys, and how to change it, before any search asks.
    console.log(
      `control worker: LLM hosts allowed: ${allow.hosts.join(', ')} (COLLM_LLM_ALLOWED_HOSTS); ` +
        `key variables: ${allow.keyEnvs.join(', ')} (COLLM_LLM_ALLOWED_KEY_ENVS)`,
    );
    return { worker, banner: `control worker: polling ${taskQueue}` };
  });
}
