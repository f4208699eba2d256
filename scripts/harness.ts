/**
 * A throwaway search environment for scripts (benchmarks, fixture recording):
 * a freshly bundled workflow, a dev server on its own port and SQLite file,
 * a control and an eval worker in this process. Everything is torn down after.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { DefaultLogger, NativeConnection, Runtime } from '@temporalio/worker';
import type { EvaluatorSettings } from '../src/evaluators';
import { ensureDevServer } from '../src/temporal/dev-server';
import { createControlWorker } from '../src/workers/control';
import { createEvalWorker } from '../src/workers/eval';
import { buildWorkflowBundle } from './build-workflows';

export interface HarnessOptions {
  port: number;
  /** Task-queue prefix: `<name>-control`, `<name>-eval`. */
  name: string;
  devices?: string[];
  evaluators?: EvaluatorSettings;
  simulateMs?: number;
  logLevel?: 'ERROR' | 'WARN';
}

export interface Harness {
  client: Client;
  controlQueue: string;
  evalQueue: string;
}

export async function withHarness<T>(options: HarnessOptions, fn: (h: Harness) => Promise<T>): Promise<T> {
  Runtime.install({ logger: new DefaultLogger(options.logLevel ?? 'ERROR') });
  await buildWorkflowBundle();
  const dir = mkdtempSync(join(tmpdir(), `collm-${options.name}-`));
  const server = await ensureDevServer({ port: options.port, dbFile: join(dir, 'db.sqlite'), headless: true });
  const native = await NativeConnection.connect({ address: server.address });
  const connection = await Connection.connect({ address: server.address });
  const h: Harness = { client: new Client({ connection }), controlQueue: `${options.name}-control`, evalQueue: `${options.name}-eval` };
  const control = await createControlWorker({ connection: native, taskQueue: h.controlQueue });
  const evaluation = await createEvalWorker({
    connection: native,
    taskQueue: h.evalQueue,
    devices: options.devices ?? Array.from({ length: 10 }, (_, i) => `slot${i}`),
    ...(options.evaluators ? { evaluators: options.evaluators } : {}),
    ...(options.simulateMs ? { simulateMs: options.simulateMs } : {}),
  });
  const evalRun = evaluation.run();
  try {
    return await control.runUntil(() => fn(h));
  } finally {
    evaluation.shutdown();
    await evalRun;
    await native.close();
    await connection.close();
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}
