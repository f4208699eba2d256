import { readdirSync, readFileSync } from 'node:fs';

/**
 * The user's program runs as the leader of its own process group (spawned
 * detached), so one signal to `-pgid` reaches it and everything it started
 * in the group: DataLoader workers, a shell's children, a stray `sleep`.
 * Killing only the leader would leave those holding the GPU.
 */

const hasProc = (() => {
  try {
    readdirSync('/proc/self');
    return true;
  } catch {
    return false;
  }
})();

/** pid, state and pgid from /proc/<pid>/stat; the command name may contain spaces and parentheses. */
function procStat(pid: string): { state: string; pgid: number } | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return { state: fields[0]!, pgid: Number(fields[2]) };
  } catch {
    return undefined; // exited meanwhile
  }
}

/**
 * Whether a process still runs. A zombie (exited, not yet reaped: an orphan
 * waits for init to reap it, and some container inits are slow) counts as
 * gone; it holds no memory and no GPU.
 */
export function isAlive(pid: number): boolean {
  if (hasProc) {
    const stat = procStat(String(pid));
    return stat !== undefined && stat.state !== 'Z' && stat.state !== 'X';
  }
  return signalOk(pid, 0);
}

/** Whether any process of the group still runs (zombies excepted where /proc tells). */
export function groupAlive(pgid: number): boolean {
  if (!signalOk(-pgid, 0)) return false;
  if (!hasProc) return true;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = procStat(entry);
    if (stat && stat.pgid === pgid && stat.state !== 'Z' && stat.state !== 'X') return true;
  }
  return false;
}

/** Sends a signal; false when no such process or group (ESRCH) or not ours (EPERM). */
export function signalOk(target: number, signal: NodeJS.Signals | 0): boolean {
  try {
    process.kill(target, signal);
    return true;
  } catch {
    return false;
  }
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Ends a process group: SIGTERM, then SIGKILL if anything is left after
 * `graceMs`, then waits until nothing is left (bounded: a process stuck in
 * the kernel, e.g. on a hung GPU driver, cannot be waited for forever).
 * Returns whether the group is gone. Signals go out only while the group is
 * seen alive, so a group id reused after it emptied is never hit.
 */
export async function killGroup(pgid: number, graceMs: number, waitMs = 5000): Promise<boolean> {
  if (!groupAlive(pgid)) return true;
  signalOk(-pgid, 'SIGTERM');
  const termDeadline = Date.now() + graceMs;
  while (Date.now() < termDeadline) {
    if (!groupAlive(pgid)) return true;
    await sleep(Math.min(50, Math.max(1, termDeadline - Date.now())));
  }
  if (!groupAlive(pgid)) return true;
  signalOk(-pgid, 'SIGKILL');
  const killDeadline = Date.now() + waitMs;
  while (Date.now() < killDeadline) {
    if (!groupAlive(pgid)) return true;
    await sleep(20);
  }
  return !groupAlive(pgid);
}

/**
 * Groups started by this worker process that may still run. A detached group
 * outlives its parent, so if the worker exits (a crash, process.exit) while
 * one runs, the 'exit' handler kills it rather than leave it on the GPU. A
 * SIGKILLed worker runs no handler: its groups run on until they finish, and
 * Temporal's heartbeat timeout reschedules the evaluation meanwhile.
 */
const live = new Set<number>();
let exitHookInstalled = false;

export function trackGroup(pgid: number): void {
  live.add(pgid);
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    process.on('exit', () => {
      for (const g of live) signalOk(-g, 'SIGKILL');
    });
  }
}

export function untrackGroup(pgid: number): void {
  live.delete(pgid);
}
