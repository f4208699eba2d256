import { existsSync } from 'node:fs';
import { NativeConnection, Worker } from '@temporalio/worker';
import { CONTROL_TASK_QUEUE } from '../search-attributes';
import { connectWorker, temporalTarget } from '../temporal/connection';
import { WORKFLOW_BUNDLE } from '../temporal/paths';

export interface ControlWorkerOptions {
  connection: NativeConnection;
  namespace?: string;
  taskQueue?: string;
  /** Prebundled workflow code (npm run build); without it the workflows are bundled at start-up. */
  workflowBundlePath?: string;
  /** Activities that run beside the workflows (the LLM calls). */
  activities?: object;
}

/**
 * The control worker runs `nasSearch` workflows. It is cheap: it only
 * proposes candidates and records results; evaluations run on the eval queue.
 */
export async function createControlWorker(options: ControlWorkerOptions): Promise<Worker> {
  const bundle = options.workflowBundlePath ?? (existsSync(WORKFLOW_BUNDLE) ? WORKFLOW_BUNDLE : undefined);
  return Worker.create({
    connection: options.connection,
    namespace: options.namespace ?? 'default',
    taskQueue: options.taskQueue ?? CONTROL_TASK_QUEUE,
    ...(bundle
      ? { workflowBundle: { codePath: bundle } }
      : { workflowsPath: require.resolve('../workflows') }),
    activities: options.activities ?? {},
    // A crashed worker's cached workflows move to another worker after this long.
    stickyQueueScheduleToStartTimeout: '3s',
  });
}

async function main(): Promise<void> {
  const target = temporalTarget();
  const connection = await connectWorker(target);
  const worker = await createControlWorker({
    connection,
    namespace: target.namespace,
    ...(process.env.WORKFLOW_BUNDLE ? { workflowBundlePath: process.env.WORKFLOW_BUNDLE } : {}),
  });
  console.log(`control worker: polling ${CONTROL_TASK_QUEUE} on ${target.address}`);
  // SIGINT/SIGTERM start a graceful shutdown; run() resolves once it is done.
  await worker.run();
  await connection.close();
}

if (require.main === module) {
  main().catch((err) => {
    console.error(err instanceof Error ? err.message : err);
    process.exit(1);
  });
}
