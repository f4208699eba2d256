import { spawn } from 'node:child_process';
import { killGroup, trackGroup, untrackGroup } from './process-group';
import { TailBuffer } from './tail';

/**
 * Runs one program to its end: argv without a shell, `input` on stdin, its
 * output read to the end, and its whole process group killed on timeout, on
 * abort, and (for leftovers) after it exits. This is the only place that
 * starts a process; what the program is given is argv and env from the
 * search config and the worker, and `input`, the only channel that carries a
 * candidate. No string is ever interpreted by a shell.
 */

export interface RunOptions {
  cwd?: string;
  /** The program's whole environment; default: this process's. */
  env?: NodeJS.ProcessEnv;
  /** The program's own argv[0], when `argv[0]` is a path resolved from it. */
  argv0?: string;
  /** Kill the group after this long; default: never. */
  timeoutMs?: number;
  /** Between SIGTERM and SIGKILL. */
  killGraceMs: number;
  /** Aborting kills the group (the activity was cancelled or timed out). */
  signal?: AbortSignal;
  /** Called every `heartbeatMs` while the program runs, and while it is being killed. */
  onHeartbeat?: (beat: { pid: number; elapsedMs: number }) => void;
  heartbeatMs?: number;
}

export interface RunOutcome {
  pid: number;
  /** 'exit': it ended by itself; 'timeout' / 'aborted': its group was killed for that reason. */
  ended: 'exit' | 'timeout' | 'aborted';
  exitCode: number | null;
  exitSignal: NodeJS.Signals | null;
  /** The end of stdout (the metrics line is its last line). */
  stdout: string;
  stdoutTruncated: boolean;
  /** The end of stderr. */
  stderr: string;
  elapsedMs: number;
  /** False when part of the group survived SIGKILL (stuck in the kernel); the worker's exit hook tries again. */
  groupGone: boolean;
}

/** The program could not be started: `code` is the errno name (ENOENT, EACCES...). */
export class SpawnError extends Error {
  constructor(
    message: string,
    readonly code: string,
  ) {
    super(message);
    this.name = 'SpawnError';
  }
}

/** Enough for any metrics line and the lines before it; the log keeps far less. */
const STDOUT_KEEP = 1 << 20;
const STDERR_KEEP = 64 * 1024;
/** After the group is gone, how long its pipes may stay open (held by a process that left the group). */
const PIPE_CLOSE_MS = 2000;

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms).unref());

export async function runCommand(argv: readonly string[], input: string, opts: RunOptions): Promise<RunOutcome> {
  const [program, ...args] = argv;
  if (program === undefined || program === '') throw new SpawnError('argv is empty: name the program to run', 'EINVAL');
  opts.signal?.throwIfAborted();

  const child = spawn(program, args, {
    cwd: opts.cwd,
    env: opts.env ?? process.env,
    ...(opts.argv0 !== undefined ? { argv0: opts.argv0 } : {}),
    // Never a shell: argv elements reach the program as they are.
    shell: false,
    // Its own process group (and session), so that one signal reaches everything it starts.
    detached: true,
    stdio: ['pipe', 'pipe', 'pipe'],
    windowsHide: true,
  });
  const stdout = new TailBuffer(STDOUT_KEEP);
  const stderr = new TailBuffer(STDERR_KEEP);
  // Listeners go on before the first await, so no early output is lost.
  child.stdout.setEncoding('utf8').on('data', (s: string) => stdout.write(s));
  child.stderr.setEncoding('utf8').on('data', (s: string) => stderr.write(s));
  const pipesClosed = Promise.all([child.stdout, child.stderr].map((s) => new Promise<void>((resolve) => s.once('close', () => resolve()))));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );

  await new Promise<void>((resolve, reject) => {
    child.once('spawn', resolve);
    child.once('error', (err: NodeJS.ErrnoException) => reject(new SpawnError(err.message, err.code ?? 'UNKNOWN')));
  });
  // Later 'error' events (a failed kill) are handled by process.kill's own checks.
  child.on('error', () => {});
  const pid = child.pid!;
  trackGroup(pid);
  const started = Date.now();

  // A program that never reads stdin makes this EPIPE; that is its business, not a failure.
  child.stdin.on('error', () => {});
  child.stdin.end(input);

  let ended: RunOutcome['ended'] = 'exit';
  let leaderExited = false;
  let killing: Promise<boolean> | undefined;
  const terminate = (why: 'timeout' | 'aborted'): void => {
    if (leaderExited || killing) return;
    ended = why;
    killing = killGroup(pid, opts.killGraceMs);
  };
  const onAbort = (): void => terminate('aborted');
  opts.signal?.addEventListener('abort', onAbort, { once: true });
  if (opts.signal?.aborted) onAbort();
  const timer = opts.timeoutMs !== undefined ? setTimeout(() => terminate('timeout'), opts.timeoutMs) : undefined;
  const beat = setInterval(() => {
    try {
      opts.onHeartbeat?.({ pid, elapsedMs: Date.now() - started });
    } catch {
      // A heartbeat that cannot be sent must not stop the program's supervision.
    }
  }, opts.heartbeatMs ?? 1000);

  try {
    const exit = await exited;
    leaderExited = true;
    clearTimeout(timer);
    // The leader is gone; anything left in its group is an orphan that would hold the GPU.
    const groupGone = await (killing ?? killGroup(pid, opts.killGraceMs));
    if (groupGone) untrackGroup(pid);
    await Promise.race([pipesClosed, sleep(PIPE_CLOSE_MS)]);
    child.stdout.destroy();
    child.stderr.destroy();
    return {
      pid,
      ended,
      exitCode: exit.code,
      exitSignal: exit.signal,
      stdout: stdout.toString(),
      stdoutTruncated: stdout.truncated,
      stderr: stderr.toString(),
      elapsedMs: Date.now() - started,
      groupGone,
    };
  } finally {
    clearTimeout(timer);
    clearInterval(beat);
    opts.signal?.removeEventListener('abort', onAbort);
  }
}
