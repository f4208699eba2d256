import { spawnSync } from 'node:child_process';
import { constants } from 'node:os';

/**
 * What a program run by the command evaluator cannot escape. Each runs as
 * the leader of its own process group, and one signal to the group reaches
 * everything it starts; but a process that calls setsid() (a daemonizing
 * helper, a stray `setsid sleep`) leaves the group and would outlive the
 * evaluation, holding the GPU. So, where Linux allows it, the program also
 * runs in a PID namespace of its own (util-linux `unshare --pid --fork
 * --kill-child`): when it exits or is killed, the kernel kills every process
 * left in the namespace, setsid or not.
 *
 * Process 1 of a namespace ignores every signal it has no handler for, so
 * the program is not process 1: a shell is (INIT), with handlers that keep it
 * alive through the group's SIGTERM while the program, its child, gets that
 * SIGTERM as it would outside. The shell exits with the program's status,
 * 128 + n for a program killed by signal n (`signalOfStatus` reads it back).
 */
export type Containment = 'auto' | 'pid-namespace' | 'process-group';

export interface ContainmentPlan {
  /** What each program runs in. */
  mode: 'pid-namespace' | 'process-group';
  /** Put before the program's argv; empty for the process group alone. */
  wrapper: readonly string[];
  /** Why the PID namespace is not used, where it is not. */
  why?: string;
}

/**
 * Process 1 in the namespace: starts the program on the same stdin (an
 * asynchronous command would get /dev/null), waits through the signals it
 * traps, and exits with the program's status.
 */
const INIT = [
  'trap : TERM INT HUP',
  'exec 3<&0',
  '"$@" <&3 3<&- &',
  'child=$!',
  'exec 3<&-',
  'while :; do',
  '  wait "$child"; status=$?',
  '  if [ "$status" -gt 128 ] && kill -0 "$child" 2>/dev/null; then continue; fi',
  '  exit "$status"',
  'done',
].join('\n');
const IN_INIT = ['/bin/sh', '-c', INIT, 'collm-init'];

const PID_NAMESPACE = ['unshare', '--pid', '--fork', '--kill-child', '--', ...IN_INIT];
// Without root, a user namespace lets an unprivileged worker make the PID namespace (where the kernel allows it).
const USER_PID_NAMESPACE = ['unshare', '--user', '--map-current-user', '--pid', '--fork', '--kill-child', '--', ...IN_INIT];

/** The signal that killed a program run under INIT, from the shell's exit status; null for a plain exit. */
export function signalOfStatus(code: number | null): NodeJS.Signals | null {
  if (code === null || code <= 128) return null;
  const found = Object.entries(constants.signals).find(([, n]) => n === code - 128);
  return found ? (found[0] as NodeJS.Signals) : null;
}

/** Whether `wrapper` can start a program here: tried once with `true`. */
function works(wrapper: readonly string[]): string | undefined {
  const r = spawnSync(wrapper[0]!, [...wrapper.slice(1), 'true'], { encoding: 'utf8', timeout: 10_000 });
  if (r.error) return (r.error as NodeJS.ErrnoException).code === 'ENOENT' ? `no ${wrapper[0]} on PATH (util-linux)` : r.error.message;
  if (r.status !== 0) return (r.stderr || `exit ${r.status}`).trim().split('\n')[0];
  return undefined;
}

let probed: ContainmentPlan | undefined;

/** The containment this worker gives programs, probed once per process. */
export function containmentPlan(wanted: Containment): ContainmentPlan {
  if (wanted === 'process-group') return { mode: 'process-group', wrapper: [] };
  if (!probed) {
    const linux = process.platform === 'linux';
    const why = linux ? works(PID_NAMESPACE) : `not Linux (${process.platform})`;
    if (why === undefined) probed = { mode: 'pid-namespace', wrapper: PID_NAMESPACE };
    else if (linux && process.getuid?.() !== 0 && works(USER_PID_NAMESPACE) === undefined) probed = { mode: 'pid-namespace', wrapper: USER_PID_NAMESPACE };
    else probed = { mode: 'process-group', wrapper: [], why: `unshare --pid is not available here: ${why}` };
  }
  return probed;
}
