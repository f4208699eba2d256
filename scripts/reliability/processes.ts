/**
 * Worker processes for the reliability benchmark: started the way
 * `npm run worker:control` / `worker:eval` start them (src/workers/<kind>.ts
 * under tsx), then killed with SIGKILL, frozen with SIGSTOP (a hung
 * process: alive, connected, silent) and thawed with SIGCONT.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { ROOT } from '../../src/temporal/paths';

export type WorkerKind = 'control' | 'eval';

export interface WorkerProcess {
  kind: WorkerKind;
  pid: number;
  /** The identity Temporal records for this worker's tasks: the SDK's default, `<pid>@<hostname>`. */
  identity: string;
  /** The last part of what the worker printed, for a report when something goes wrong. */
  output(): string;
  /** Exited without being killed by us (a crash, or giving up on the server). */
  exitedByItself(): boolean;
  kill9(): Promise<void>;
  freeze(): void;
  thaw(): void;
}

const KEEP_OUTPUT = 20_000;
const live = new Set<ChildProcess>();

/**
 * `node --import tsx` rather than the `tsx` command: the command runs the
 * worker in a child of its own, which a SIGKILL of the command would leave
 * running.
 */
export async function spawnWorker(kind: WorkerKind, env: Record<string, string>, startTimeoutMs = 120_000): Promise<WorkerProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', join('src/workers', `${kind}.ts`)], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  live.add(child);
  let out = '';
  let killed = false;
  let exitedByItself = false;
  const append = (d: Buffer): void => {
    out = (out + d.toString()).slice(-KEEP_OUTPUT);
  };
  child.stdout!.on('data', append);
  child.stderr!.on('data', append);
  const exited = new Promise<void>((resolve) =>
    child.once('exit', () => {
      live.delete(child);
      if (!killed) exitedByItself = true;
      resolve();
    }),
  );
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${kind} worker did not start in ${startTimeoutMs / 1000} s:\n${out}`)), startTimeoutMs);
    const check = (): void => {
      if (out.includes('polling')) {
        clearTimeout(timer);
        child.stdout!.off('data', check);
        resolve();
      }
    };
    child.stdout!.on('data', check);
    void exited.then(() => {
      clearTimeout(timer);
      reject(new Error(`${kind} worker exited at start-up:\n${out}`));
    });
  });
  const signal = (s: NodeJS.Signals): void => {
    if (child.exitCode === null && child.signalCode === null) child.kill(s);
  };
  return {
    kind,
    pid: child.pid!,
    identity: `${child.pid}@${hostname()}`,
    output: () => out,
    exitedByItself: () => exitedByItself,
    kill9: async () => {
      killed = true;
      signal('SIGKILL');
      await exited;
    },
    freeze: () => signal('SIGSTOP'),
    thaw: () => signal('SIGCONT'),
  };
}

/** Every worker this process started and has not seen exit: killed on the way out, whatever happened. */
export function killAllWorkers(): void {
  for (const child of live) {
    try {
      child.kill('SIGKILL');
    } catch {
      // already gone
    }
  }
}
