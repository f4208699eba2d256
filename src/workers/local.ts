import { DefaultLogger } from '@temporalio/worker';
import { processMeter } from '../metrics/meter';
import { installWorkerRuntime } from '../metrics/runtime';
import { searchCountIntervalMs, watchSearchCounts } from '../metrics/searches';
import { connectWorker, type TemporalTarget } from '../temporal/connection';
import { createControlWorker } from './control';
import { createEvalWorker } from './eval';

/**
 * A control and an eval worker in this process for as long as one job runs:
 * how `npm start` and `collm-nas start --workers` run a one-off search without
 * workers of their own. SIGINT or SIGTERM shuts both down gracefully; the job
 * sees its own interruption.
 */
export interface LocalWorkersOptions {
  target: TemporalTarget;
  /** The search's control queue (default: the control workers' default). */
  controlQueue?: string;
  /** Its evaluations' queue (default: the eval workers' default). */
  evalQueue?: string;
  /** One evaluation slot per device (checkedDevices). */
  devices: readonly string[];
  /** Pretend each evaluation takes this long (EVAL_SIMULATE_MS). */
  simulateMs?: number;
}

export async function withLocalWorkers<T>(options: LocalWorkersOptions, job: () => Promise<T>): Promise<T> {
  const metrics = quietWorkerLogs();
  const { target } = options;
  const connection = await connectWorker(target);
  const stopCounting = metrics ? watchSearchCounts(connection, target.namespace, processMeter(), searchCountIntervalMs()) : undefined;
  try {
    const control = await createControlWorker({
      connection,
      namespace: target.namespace,
      ...(options.controlQueue ? { taskQueue: options.controlQueue } : {}),
    });
    const evaluation = await createEvalWorker({
      connection,
      namespace: target.namespace,
      ...(options.evalQueue ? { taskQueue: options.evalQueue } : {}),
      devices: options.devices,
      simulateMs: options.simulateMs ?? 0,
    });
    const evalRun = evaluation.run();
    try {
      return await control.runUntil(job);
    } finally {
      // Already shutting down after a signal.
      if (evaluation.getState() === 'RUNNING') evaluation.shutdown();
      await evalRun;
    }
  } finally {
    stopCounting?.();
    await connection.close();
  }
}

/**
 * Warnings matter beside a progress bar (failed evaluations); the two about
 * each worker serving one kind of task do not. Installed once, before the
 * first connection, as the SDK requires (a runtime this process already made
 * keeps its logger), with the Prometheus endpoint COLLM_METRICS_ADDRESS asks
 * for; returns where it listens, if it does.
 */
function quietWorkerLogs(): string | undefined {
  return installWorkerRuntime({
    logger: new DefaultLogger('WARN', (entry) => {
      if (/^No (workflows|activities) registered/.test(entry.message)) return;
      console.error(`[${entry.level}] ${entry.message}`, entry.meta ?? '');
    }),
  });
}
