import { NativeConnection, Worker } from '@temporalio/worker';
import { createEvalActivities } from '../activities/evaluate';
import { createEvaluators, type EvaluatorSettings } from '../evaluators';
import { envList } from '../lib/env-lists';
import { evalMetrics } from '../metrics/eval-metrics';
import { processMeter } from '../metrics/meter';
import { EVAL_TASK_QUEUE } from '../search/task-queues';
import { checkedDevices, parseDevices } from './devices';
import type { TemporalTarget } from '../temporal/connection';
import { runWorkerProcess, type ReadyWorker } from './run';

export interface EvalWorkerOptions {
  connection: NativeConnection;
  namespace?: string;
  taskQueue?: string;
  /** One slot per device id; e.g. ["cuda:0", "cuda:1"]. Default: one "cpu" slot per core. */
  devices?: readonly string[];
  /** Per-evaluator settings of this worker, by evaluator name, e.g. {"nb201-table": {table: "..."}}. */
  evaluators?: EvaluatorSettings;
  /** Pretend each evaluation takes this long (EVAL_SIMULATE_MS), to watch a tabular search like a real one. */
  simulateMs?: number;
  /** Evaluators to serve, by name (EVAL_EVALUATORS); default: every registered one that can run here. */
  serve?: readonly string[];
  /** Check at start-up that evaluators can run here (missing data). Default true. */
  checkEvaluators?: boolean;
}

/** The eval worker polls the eval queue; run one per GPU machine. */
export async function createEvalWorker(options: EvalWorkerOptions): Promise<Worker> {
  const devices = options.devices ?? parseDevices(undefined, 2);
  const { served: evaluators, skipped } = createEvaluators(options.evaluators, options.serve, options.checkEvaluators ?? true);
  for (const reason of skipped) console.warn(`eval worker: not serving ${reason}`);
  return Worker.create({
    connection: options.connection,
    namespace: options.namespace ?? 'default',
    taskQueue: options.taskQueue ?? EVAL_TASK_QUEUE,
    activities: createEvalActivities({
      evaluators,
      devices,
      metrics: evalMetrics(processMeter(), devices),
      ...(options.simulateMs ? { simulateMs: options.simulateMs } : {}),
    }),
    maxConcurrentActivityTaskExecutions: devices.length,
    // On SIGTERM, let evaluations in flight finish before exiting.
    shutdownGraceTime: '30s',
  });
}

/** EVAL_DEVICES (default: two CPU slots), checked against the machine before anything connects. */
export function evalDevicesFromEnv(): string[] {
  return checkedDevices(process.env.EVAL_DEVICES, 2);
}

/**
 * The eval worker `npm run worker:eval` and `collm-nas worker eval` run on
 * `devices` (evalDevicesFromEnv), set up from the environment:
 * NAS_EVAL_TASK_QUEUE, EVAL_EVALUATORS, EVAL_SIMULATE_MS.
 */
export async function evalWorkerFromEnv(connection: NativeConnection, target: TemporalTarget, devices: readonly string[]): Promise<ReadyWorker> {
  const simulateMs = Number(process.env.EVAL_SIMULATE_MS ?? 0);
  const taskQueue = process.env.NAS_EVAL_TASK_QUEUE ?? EVAL_TASK_QUEUE;
  const serve = envList(process.env.EVAL_EVALUATORS);
  const worker = await createEvalWorker({
    ...(serve ? { serve } : {}),
    connection,
    namespace: target.namespace,
    taskQueue,
    devices,
    simulateMs,
  });
  return { worker, banner: `eval worker: polling ${taskQueue} with devices ${devices.join(', ')}` };
}

if (require.main === module) {
  // A device the machine lacks stops the worker before it connects.
  let devices: string[];
  try {
    devices = evalDevicesFromEnv();
  } catch (err) {
    console.error((err as Error).message);
    process.exit(1);
  }
  runWorkerProcess((connection, target) => evalWorkerFromEnv(connection, target, devices));
}
