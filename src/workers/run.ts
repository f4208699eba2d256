import type { NativeConnection, Worker } from '@temporalio/worker';
import { connectWorker, temporalTarget, type TemporalTarget } from '../temporal/connection';

/**
 * Runs a worker as a process of its own: connects (TEMPORAL_ADDRESS & co.),
 * polls until SIGINT/SIGTERM start a graceful shutdown, then exits. A start-up
 * error (missing data, bad settings) prints its message and exits 1.
 */
export function runWorkerProcess(
  create: (connection: NativeConnection, target: TemporalTarget) => Promise<{ worker: Worker; banner: string }>,
): void {
  (async () => {
    const target = temporalTarget();
    const connection = await connectWorker(target);
    const { worker, banner } = await create(connection, target);
    console.log(`${banner} on ${target.address}`);
    await worker.run();
    await connection.close();
  })().catch((err) => {
    console.error(err instanceof Error ? err.message : err);
    process.exit(1);
  });
}
