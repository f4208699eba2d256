import { randomUUID } from 'node:crypto';
import { after, before } from 'node:test';
import { Client, Connection } from '@temporalio/client';
import { DefaultLogger, NativeConnection, Runtime, Worker } from '@temporalio/worker';
import { Nb201Table, resolveNb201Table } from '../src/evaluators/nb201/table';
import { resolveSearchConfig } from '../src/config/resolve';
import type { SearchConfigInput } from '../src/search/config';
import { runSearch, type SearchIo } from '../src/search/search';
import type { SearchResult } from '../src/search/summary';
import { createControlWorker } from '../src/workers/control';
import type { CommandSettings } from '../src/evaluators/command';
import { createEvalWorker } from '../src/workers/eval';

/** The NAS-Bench-201 table the tests read (NB201_TABLE, else ../shared/data/nb201 beside the checkout). */
export const TABLE_PATH = resolveNb201Table();

let table: Nb201Table | undefined;
export function nb201Table(): Nb201Table {
  return (table ??= Nb201Table.load(TABLE_PATH));
}

/** The same search run in this process, without Temporal: the reference a durable run must equal. */
export function runInProcess(config: SearchConfigInput, ports: SearchIo = {}): Promise<SearchResult> {
  const parsed = resolveSearchConfig(config);
  const latency = parsed.constraint?.metric === 'latency' ? parsed.constraint.device : undefined;
  return runSearch(parsed, (c) => nb201Table().lookup(c.arch, parsed.dataset, latency), ports);
}

let runtimeInstalled = false;
function quietRuntime(): void {
  if (runtimeInstalled) return;
  runtimeInstalled = true;
  Runtime.install({ logger: new DefaultLogger('WARN') });
}

export const ADDRESS = process.env.TEMPORAL_ADDRESS ?? '127.0.0.1:7300';

export async function connect(address = ADDRESS): Promise<{ client: Client; native: NativeConnection; close(): Promise<void> }> {
  quietRuntime();
  const connection = await Connection.connect({ address });
  const native = await NativeConnection.connect({ address });
  return {
    client: new Client({ connection }),
    native,
    close: async () => {
      await connection.close();
      await native.close();
    },
  };
}

/** Fresh task queue names so that tests sharing one server never steal each other's tasks. */
export function queues(prefix = 'test'): { control: string; eval: string } {
  const id = randomUUID().slice(0, 8);
  return { control: `${prefix}-control-${id}`, eval: `${prefix}-eval-${id}` };
}

export interface InProcessWorkers {
  control: Worker;
  evaluation: Worker;
  /** Runs `fn` with both workers polling, then shuts them down. */
  run<T>(fn: () => Promise<T>): Promise<T>;
}

export async function inProcessWorkers(
  native: NativeConnection,
  q: { control: string; eval: string },
  options: { simulateMs?: number; devices?: string[]; table?: string; checkEvaluators?: boolean; command?: CommandSettings; namespace?: string } = {},
): Promise<InProcessWorkers> {
  const namespace = options.namespace ?? 'default';
  const control = await createControlWorker({ connection: native, namespace, taskQueue: q.control });
  const evaluation = await createEvalWorker({
    connection: native,
    namespace,
    taskQueue: q.eval,
    devices: options.devices ?? Array.from({ length: 10 }, (_, i) => `slot:${i}`),
    evaluators: { 'nb201-table': { table: options.table ?? TABLE_PATH }, ...(options.command ? { command: options.command } : {}) },
    simulateMs: options.simulateMs ?? 0,
    checkEvaluators: options.checkEvaluators ?? true,
  });
  return {
    control,
    evaluation,
    async run(fn) {
      const evalRun = evaluation.run();
      try {
        return await control.runUntil(fn);
      } finally {
        evaluation.shutdown();
        await evalRun;
      }
    },
  };
}

export function uniqueId(prefix: string): string {
  return `${prefix}-${randomUUID().slice(0, 8)}`;
}

export interface ChildWorker {
  child: import('node:child_process').ChildProcess;
  output(): string;
  kill9(): Promise<void>;
}

/**
 * Starts `src/workers/<kind>.ts` as its own process, as a user would run it,
 * and resolves once it polls. Used by the crash tests, which kill -9 it.
 */
export async function spawnWorker(kind: 'control' | 'eval', env: Record<string, string>): Promise<ChildWorker> {
  const { spawn } = await import('node:child_process');
  const child = spawn(process.execPath, ['--import', 'tsx', `src/workers/${kind}.ts`], {
    env: { ...process.env, TEMPORAL_ADDRESS: ADDRESS, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${kind} worker did not start in 60 s:\n${out}`)), 60_000);
    const check = (): void => {
      if (out.includes('polling')) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout!.on('data', check);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${kind} worker exited with ${code}:\n${out}`));
    });
  });
  return {
    child,
    output: () => out,
    kill9: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGKILL');
      }),
  };
}

export async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch {
      // not yet
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Connects once for a test file (before/after hooks); use in place of repeating the hooks. */
export function useTemporal(): { readonly client: Client; readonly native: NativeConnection } {
  let env: Awaited<ReturnType<typeof connect>> | undefined;
  before(async () => {
    env = await connect();
  });
  after(async () => {
    await env?.close();
  });
  const get = () => {
    if (!env) throw new Error('useTemporal: not connected yet (use it inside tests)');
    return env;
  };
  return {
    get client() {
      return get().client;
    },
    get native() {
      return get().native;
    },
  };
}

/** The error `fn` throws; fails the test when it throws none. */
export function thrown(fn: () => unknown): Error {
  try {
    fn();
  } catch (err) {
    return err as Error;
  }
  throw new Error('expected an error');
}
