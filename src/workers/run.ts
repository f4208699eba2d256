import type { NativeConnection, Worker } from '@temporalio/worker';
import { installWorkerRuntime } from '../metrics/runtime';
import { connectWorker, temporalTarget, type TemporalTarget } from '../temporal/connection';

/** A worker made ready to poll, and the line that says so ("control worker: polling nas-control"). */
export interface ReadyWorker {
  worker: Worker;
  banner: string;
}

export type WorkerFactory = (connection: NativeConnection, target: TemporalTarget) => Promise<ReadyWorker>;

/**
 * Runs workers on one connection (TEMPORAL_ADDRESS & co.) until SIGINT or
 * SIGTERM starts their graceful shutdown (evaluations in flight finish
 * first), or one of them fails, which stops the others. Each says it polls
 * once every one is ready. Start-up errors (missing data, bad settings) are
 * thrown with the worker's own message. With COLLM_METRICS_ADDRESS they
 * share one Prometheus endpoint (docs/metrics.md).
 */
export async function runWorkers(factories: readonly WorkerFactory[], target: TemporalTarget = temporalTarget()): Promise<void> {
  const metrics = installWorkerRuntime();
  const connection = await connectWorker(target);
  const ready: ReadyWorker[] = [];
  try {
    for (const create of factories) ready.push(await create(connection, target));
  } catch (err) {
    // The error is what to report; a worker made before it may still hold the connection.
    await connection.close().catch(() => undefined);
    throw err;
  }
  try {
    for (const { banner } of ready) console.log(`${banner} on ${target.address}`);
    if (metrics) console.log(`metrics: http://${metrics}/metrics (COLLM_METRICS_ADDRESS)`);
    const workers = ready.map((r) => r.worker);
    const runs = workers.map((w) => w.run());
    try {
      await Promise.all(runs);
    } catch (err) {
      for (const w of workers) if (w.getState() === 'RUNNING') w.shutdown();
      await Promise.allSettled(runs);
      throw err;
    }
  } finally {
    await connection.close();
  }
}

/**
 * Runs a worker as a process of its own (`npm run worker:*`): runWorkers,
 * then exits; a start-up error prints its message and exits 1.
 */
export function runWorkerProcess(create: WorkerFactory): void {
  runWorkers([create]).catch((err) => {
    console.error(err instanceof Error ? err.message : err);
    process.exit(1);
  });
}
