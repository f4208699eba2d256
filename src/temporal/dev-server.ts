import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createConnection } from 'node:net';
import { dirname, join } from 'node:path';
import { Connection } from '@temporalio/client';
import { NAS_SEARCH_ATTRIBUTES } from '../workflows/search-attributes';
import { ensureSearchAttributes } from './search-attributes';
import { findTemporalCli } from './temporal-cli';
import { DATA_DIR } from './paths';

/**
 * Starts (or reuses) `temporal server start-dev`: the real Temporal server
 * with SQLite persistence and the Web UI, bound to 127.0.0.1.
 */
export interface DevServerOptions {
  port?: number;
  uiPort?: number;
  /** SQLite file; the server's state survives restarts with the same file. */
  dbFile?: string;
  logFile?: string;
  /** Keep running after this process exits (npm start leaves it up for the Web UI). */
  detached?: boolean;
  headless?: boolean;
  namespace?: string;
}

export interface DevServer {
  address: string;
  uiUrl?: string;
  /** False when an already-listening server was reused. */
  started: boolean;
  pid?: number;
  stop(): Promise<void>;
}

export function isListening(port: number, host = '127.0.0.1', timeoutMs = 500): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ port, host });
    const done = (ok: boolean): void => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

async function waitReady(address: string, child: ChildProcess | undefined, logFile: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  while (Date.now() < deadline) {
    if (child && child.exitCode !== null) {
      throw new Error(`temporal server start-dev exited with code ${child.exitCode}; see ${logFile}:\n${tail(logFile)}`);
    }
    try {
      const connection = await Connection.connect({ address, connectTimeout: 1000 });
      try {
        await connection.workflowService.getSystemInfo({});
        return;
      } finally {
        await connection.close();
      }
    } catch (err) {
      lastError = err;
      await new Promise((r) => setTimeout(r, 250));
    }
  }
  throw new Error(`Temporal dev server at ${address} not ready after ${timeoutMs} ms: ${String(lastError)}\n${tail(logFile)}`);
}

function tail(file: string): string {
  try {
    return readFileSync(file, 'utf8').split('\n').slice(-20).join('\n');
  } catch {
    return '';
  }
}

function pidFile(port: number): string {
  return join(DATA_DIR, `temporal-${port}.pid`);
}

export async function ensureDevServer(options: DevServerOptions = {}): Promise<DevServer> {
  const port = options.port ?? 7233;
  const uiPort = options.uiPort ?? port + 1000;
  const namespace = options.namespace ?? 'default';
  const address = `127.0.0.1:${port}`;
  const uiUrl = options.headless ? undefined : `http://127.0.0.1:${uiPort}`;
  if ((await isListening(port)) && (await stopLeftBehind(port))) {
    console.log(`stopped a Temporal dev server on port ${port} left behind by an earlier run that was killed`);
  }
  if (await isListening(port)) {
    const connection = await Connection.connect({ address });
    try {
      await ensureSearchAttributes(connection, namespace);
    } finally {
      await connection.close();
    }
    return { address, ...(uiUrl ? { uiUrl } : {}), started: false, stop: async () => {} };
  }

  const dbFile = options.dbFile ?? join(DATA_DIR, 'temporal.sqlite');
  const logFile = options.logFile ?? join(dirname(dbFile), `temporal-${port}.log`);
  mkdirSync(dirname(dbFile), { recursive: true });
  mkdirSync(dirname(logFile), { recursive: true });
  const args = [
    'server', 'start-dev',
    '--ip', '127.0.0.1',
    '--port', String(port),
    '--db-filename', dbFile,
    '--log-level', 'warn',
    ...(options.headless ? ['--headless'] : ['--ui-port', String(uiPort)]),
    ...(namespace !== 'default' ? ['--namespace', namespace] : []),
    ...NAS_SEARCH_ATTRIBUTES.flatMap((a) => ['--search-attribute', `${a.name}=${a.cliType}`]),
  ];
  const log = openSync(logFile, 'a');
  const child = spawn(findTemporalCli(), args, {
    stdio: ['ignore', log, log],
    detached: options.detached ?? false,
  });
  closeSync(log);
  // The pid file says who owns the server: nobody (detached, it outlives us on purpose)
  // or this process, whose server must not outlive it (see stopLeftBehind).
  mkdirSync(DATA_DIR, { recursive: true });
  const record: PidRecord = { pid: child.pid!, ...(options.detached ? {} : { owner: process.pid }) };
  writeFileSync(pidFile(port), JSON.stringify(record));
  if (options.detached) child.unref();
  try {
    await waitReady(address, child, logFile, 60_000);
  } catch (err) {
    child.kill('SIGKILL');
    throw err;
  }
  return {
    address,
    ...(uiUrl ? { uiUrl } : {}),
    started: true,
    ...(child.pid !== undefined ? { pid: child.pid } : {}),
    stop: async () => {
      await stopChild(child);
      removePidFile(port, child.pid);
    },
  };
}

interface PidRecord {
  pid: number;
  /** The process the server belongs to; absent for a detached server. */
  owner?: number;
}

function readPidRecord(port: number): PidRecord | undefined {
  try {
    const text = readFileSync(pidFile(port), 'utf8').trim();
    // Older detached servers wrote the bare pid.
    const record = (/^\d+$/.test(text) ? { pid: Number(text) } : JSON.parse(text)) as PidRecord;
    return Number.isInteger(record.pid) ? record : undefined;
  } catch {
    return undefined;
  }
}

function removePidFile(port: number, pid: number | undefined): void {
  if (readPidRecord(port)?.pid === pid) rmSync(pidFile(port), { force: true });
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * A test run or benchmark killed with SIGKILL cannot stop its server, which
 * then lingers with a deleted temporary database and would be silently reused
 * by the next run. Such a server (its owner is gone) is stopped here.
 */
async function stopLeftBehind(port: number): Promise<boolean> {
  const record = readPidRecord(port);
  if (!record?.owner || alive(record.owner) || !alive(record.pid)) return false;
  const gone = async (ms: number): Promise<boolean> => {
    const deadline = Date.now() + ms;
    while (alive(record.pid) || (await isListening(port))) {
      if (Date.now() > deadline) return false;
      await new Promise((r) => setTimeout(r, 100));
    }
    return true;
  };
  try {
    process.kill(record.pid, 'SIGTERM');
    if (!(await gone(10_000))) {
      process.kill(record.pid, 'SIGKILL');
      await gone(5_000);
    }
  } catch {
    // It exited by itself meanwhile.
  }
  rmSync(pidFile(port), { force: true });
  return true;
}

function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

/** Stops a detached dev server that `ensureDevServer({detached: true})` started. */
export function stopDetachedDevServer(port = 7233): boolean {
  const record = readPidRecord(port);
  if (!record || record.owner !== undefined) return false;
  rmSync(pidFile(port), { force: true });
  try {
    process.kill(record.pid, 'SIGTERM');
    return true;
  } catch {
    return false;
  }
}
