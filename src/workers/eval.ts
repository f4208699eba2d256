import { NativeConnection, Worker } from '@temporalio/worker';
import { createEvalActivities } from '../activities/evaluate';
import { createEvaluators, type EvaluatorOptions } from '../evaluators';
import { EVAL_TASK_QUEUE } from '../search-attributes';
import { runWorkerProcess } from './run';

export interface EvalWorkerOptions {
  connection: NativeConnection;
  namespace?: string;
  taskQueue?: string;
  /** One slot per device id; e.g. ["cuda:0", "cuda:1"]. Default: one "cpu" slot per core. */
  devices?: readonly string[];
  evaluators?: EvaluatorOptions;
  /** Fail at start-up if an evaluator cannot run here (missing data). Default true. */
  checkEvaluators?: boolean;
}

export function parseDevices(text: string | undefined, fallback: number): string[] {
  if (!text) return Array.from({ length: fallback }, () => 'cpu');
  const devices = text.split(',').map((d) => d.trim()).filter(Boolean);
  if (devices.length === 0) throw new Error(`EVAL_DEVICES: '${text}' names no device; use e.g. "cuda:0,cuda:1" or "cpu,cpu"`);
  return devices;
}

/** The eval worker polls the eval queue; run one per GPU machine. */
export async function createEvalWorker(options: EvalWorkerOptions): Promise<Worker> {
  const devices = options.devices ?? parseDevices(undefined, 2);
  const evaluators = createEvaluators(options.evaluators);
  if (options.checkEvaluators ?? true) for (const e of evaluators.values()) e.check();
  return Worker.create({
    connection: options.connection,
    namespace: options.namespace ?? 'default',
    taskQueue: options.taskQueue ?? EVAL_TASK_QUEUE,
    activities: createEvalActivities({ evaluators, devices }),
    maxConcurrentActivityTaskExecutions: devices.length,
    // On SIGTERM, let evaluations in flight finish before exiting.
    shutdownGraceTime: '30s',
  });
}

if (require.main === module) {
  runWorkerProcess(async (connection, target) => {
    const devices = parseDevices(process.env.EVAL_DEVICES, 2);
    const simulateMs = Number(process.env.EVAL_SIMULATE_MS ?? 0);
    const taskQueue = process.env.NAS_EVAL_TASK_QUEUE ?? EVAL_TASK_QUEUE;
    const worker = await createEvalWorker({
      connection,
      namespace: target.namespace,
      taskQueue,
      devices,
      evaluators: { nb201: { ...(process.env.NB201_TABLE ? { table: process.env.NB201_TABLE } : {}), simulateMs } },
    });
    return { worker, banner: `eval worker: polling ${taskQueue} with devices ${devices.join(', ')}` };
  });
}
