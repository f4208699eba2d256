/**
 * The benchmark's worker processes, each its own process so that its memory
 * can be measured alone: the parent spawns them and collects the memory
 * samples they print; `runWorkerRole` is what runs in the child.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { DefaultLogger, NativeConnection, Runtime } from '@temporalio/worker';
import { resolveNb201Table } from '../../src/evaluators/nb201/table';
import { WORKFLOW_BUNDLE } from '../../src/temporal/paths';
import { createControlWorker } from '../../src/workers/control';
import { createEvalWorker } from '../../src/workers/eval';

export interface MemorySample {
  t: number;
  rss: number;
  heap: number;
}

export interface WorkerProcess {
  name: string;
  child: ChildProcess;
  samples: MemorySample[];
  stop(): Promise<void>;
}

/**
 * The child runs the benchmark's entry script with `--role`, as it did when
 * all of this was one file: its command line, and the flags it takes, stay
 * the same, and the entry remains the one place that parses flags.
 */
const ENTRY = join(__dirname, '..', 'bench-scale.ts');

/** The benchmark's script as a worker process (`--role control|eval`), which prints its memory every second after a full GC. */
export async function spawnWorker(name: string, role: 'control' | 'eval', address: string, queue: string): Promise<WorkerProcess> {
  const child = spawn(process.execPath, ['--expose-gc', '--import', 'tsx', ENTRY, '--role', role, '--address', address, '--queue', queue], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const samples: MemorySample[] = [];
  let out = '';
  let buffered = '';
  child.stdout!.on('data', (d: Buffer) => {
    buffered += d.toString();
    const lines = buffered.split('\n');
    buffered = lines.pop()!;
    for (const line of lines) {
      if (line.startsWith('{"mem"')) samples.push((JSON.parse(line) as { mem: MemorySample }).mem);
      else out += line + '\n';
    }
  });
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${name} did not start in 120 s:\n${out}`)), 120_000);
    const poll = setInterval(() => {
      if (out.includes('polling')) {
        clearTimeout(timer);
        clearInterval(poll);
        resolve();
      }
    }, 100);
    child.once('exit', (code) => {
      clearTimeout(timer);
      clearInterval(poll);
      reject(new Error(`${name} exited with ${code}:\n${out}`));
    });
  });
  return {
    name,
    child,
    samples,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        const kill = setTimeout(() => child.kill('SIGKILL'), 40_000);
        child.once('exit', () => {
          clearTimeout(kill);
          resolve();
        });
        child.kill('SIGTERM');
      }),
  };
}

/** In the child: a control or eval worker on `queue`, printing `{"mem": ...}` lines for the parent until it is stopped. */
export async function runWorkerRole(role: string, address: string, taskQueue: string): Promise<void> {
  Runtime.install({ logger: new DefaultLogger('ERROR') });
  const connection = await NativeConnection.connect({ address });
  const worker =
    role === 'control'
      ? await createControlWorker({ connection, taskQueue, workflowBundlePath: WORKFLOW_BUNDLE })
      : await createEvalWorker({
          connection,
          taskQueue,
          devices: Array.from({ length: 10 }, (_, i) => `slot${i}`),
          evaluators: { 'nb201-table': { table: resolveNb201Table() } },
          serve: ['nb201-table'],
        });
  const gc = (globalThis as { gc?: () => void }).gc;
  const timer = setInterval(() => {
    gc?.();
    const m = process.memoryUsage();
    process.stdout.write(JSON.stringify({ mem: { t: Date.now(), rss: m.rss, heap: m.heapUsed } }) + '\n');
  }, 1000);
  for (const signal of ['SIGTERM', 'SIGINT'] as const) process.on(signal, () => worker.shutdown());
  console.log(`${role} worker polling ${taskQueue}`);
  await worker.run();
  clearInterval(timer);
  await connection.close();
}
