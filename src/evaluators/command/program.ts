import { accessSync, constants, realpathSync, statSync } from 'node:fs';
import { delimiter, isAbsolute, join, resolve } from 'node:path';
import { nameMatches } from '../../lib/env-lists';
import { EvaluationError } from '../types';
import type { CommandOptions } from './options';

/**
 * What runs and with which environment: argv[0] checked against the worker's
 * allowed programs, the working directory checked, and the environment built
 * from the worker's own, the search's `env` and the assigned device. None of
 * it depends on the candidate.
 */

/** An executable file at `path`, or undefined. */
function executable(path: string): string | undefined {
  try {
    if (!statSync(path).isFile()) return undefined;
    accessSync(path, constants.X_OK);
    return path;
  } catch {
    return undefined;
  }
}

/**
 * The file `program` names, as execvp would find it: a path (anything with a
 * '/') relative to `cwd`, a bare name on PATH. Undefined if there is none.
 */
export function resolveProgram(program: string, cwd: string, path = process.env.PATH ?? ''): string | undefined {
  if (program.includes('/')) return executable(isAbsolute(program) ? program : resolve(cwd, program));
  for (const dir of path.split(delimiter)) {
    const found = executable(join(resolve(cwd, dir || '.'), program));
    if (found) return found;
  }
  return undefined;
}

function realpath(path: string): string {
  try {
    return realpathSync(path);
  } catch {
    return path;
  }
}

/**
 * Variables that make an allowed program load other code; with an allowlist
 * the search may not set them, or the allowlist would allow anything.
 */
const CODE_LOADING_ENV = /^(LD_.*|DYLD_.*|PATH|PYTHONPATH|PYTHONHOME|PYTHONSTARTUP|PYTHONUSERBASE|PYTHONINSPECT|PYTHONEXECUTABLE|NODE_OPTIONS|NODE_PATH|BASH_ENV|ENV|PERL5LIB|PERL5OPT|PERLLIB|RUBYOPT|RUBYLIB|JAVA_TOOL_OPTIONS|_JAVA_OPTIONS|IFS|SHELLOPTS|BASHOPTS|PS4)$/;

/** The programs a worker allows: each by its real path (for the comparison), or 'any' for ["*"]. */
export type AllowedPrograms = Map<string, string> | 'any';

/** The resolved path of every allowed program, by its real path, for the comparison. */
export function resolveAllowed(allowed: readonly string[]): AllowedPrograms {
  if (allowed.includes('*')) return 'any';
  const byReal = new Map<string, string>();
  for (const entry of allowed) {
    const found = resolveProgram(entry, process.cwd());
    if (!found) {
      throw new Error(`command evaluator: allowedPrograms: '${entry}' is not an executable file on this worker (PATH=${process.env.PATH ?? ''})`);
    }
    byReal.set(realpath(found), entry);
  }
  return byReal;
}

/**
 * Checks argv[0] against the worker's allowed programs and returns the path
 * to start. The resolved path is what runs, so PATH cannot change between
 * the check and the start; symlinks are compared resolved (python3 ->
 * python3.11) but not followed for the start (a venv's python is a symlink
 * whose location matters).
 */
export function checkAllowed(program: string, cwd: string, allowed: AllowedPrograms, env: Record<string, string> | undefined, path?: string): string {
  const found = resolveProgram(program, cwd, path);
  if (allowed === 'any') {
    // Anything may run, but it must be there: said here, not as the wrapper's exit status.
    if (!found) {
      throw new EvaluationError(
        `no program '${program}' on this eval worker (cwd ${cwd}, PATH=${path ?? ''}); install it, or give argv[0] as an absolute path`,
        false,
        'CommandNotFound',
      );
    }
    return found;
  }
  const list = [...allowed.values()].join(', ');
  if (!found || !allowed.has(realpath(found))) {
    throw new EvaluationError(
      `evaluation.options.argv[0]: '${program}' is not one of the programs this eval worker allows (${list}); ` +
        `use one of them, or ask the worker's owner to add it to the command evaluator's allowedPrograms`,
      false,
      'CommandNotAllowed',
    );
  }
  const loading = Object.keys(env ?? {}).filter((name) => CODE_LOADING_ENV.test(name));
  if (loading.length > 0) {
    throw new EvaluationError(
      `evaluation.options.env: ${loading.join(', ')} would load other code into the allowed program; this eval worker limits ` +
        `which programs run (allowedPrograms), so these variables must come from the worker's own environment`,
      false,
      'CommandNotAllowed',
    );
  }
  return found;
}

/** The working directory, checked: spawn reports a missing one as the program's ENOENT. */
export function checkCwd(cwd: string | undefined): string {
  const dir = resolve(cwd ?? process.cwd());
  let ok = false;
  try {
    ok = statSync(dir).isDirectory();
  } catch {
    ok = false;
  }
  if (!ok) {
    throw new EvaluationError(
      `evaluation.options.cwd: '${dir}' is not a directory on this eval worker; create it or fix the path`,
      false,
      'CommandNotFound',
    );
  }
  return dir;
}

/**
 * The GPU the program may see. "cuda:N" is the worker's numbering: when the
 * worker itself was limited with CUDA_VISIBLE_DEVICES="2,3", cuda:1 is GPU 3.
 * The program then sees only its GPU, as cuda:0, so a script that says
 * `.cuda()` cannot land on another evaluation's GPU. "cpu" hides every GPU.
 * Other devices leave the worker's setting as it is.
 */
export function visibleDevices(device: string, inherited: string | undefined): string | undefined {
  if (device === 'cpu') return '';
  const m = /^cuda:(\d+)$/.exec(device);
  if (!m) return inherited;
  const index = Number(m[1]);
  const list = inherited?.split(',').map((s) => s.trim()).filter(Boolean);
  if (!list || list.length === 0) return String(index);
  const gpu = list[index];
  if (gpu === undefined) {
    throw new EvaluationError(
      `eval worker device ${device}: the worker's CUDA_VISIBLE_DEVICES="${inherited}" has no GPU ${index}; fix EVAL_DEVICES`,
      false,
      'CommandDevice',
    );
  }
  return gpu;
}

/**
 * What a program gets of the worker's environment: where things are (PATH,
 * HOME, locale, temp dir), how to reach the GPU and its libraries (CUDA,
 * NVIDIA, LD_LIBRARY_PATH), which Python (a venv or conda), thread counts,
 * and data and cache folders. Nothing else: a worker's secrets (cloud keys,
 * TEMPORAL_API_KEY, LLM keys) reach a program only when its owner names them
 * in passEnv. Entries ending in * are prefixes.
 */
export const PROGRAM_ENV: readonly string[] = [
  'PATH', 'HOME', 'USER', 'LOGNAME', 'SHELL', 'LANG', 'LANGUAGE', 'LC_*', 'TZ', 'TMPDIR', 'TERM',
  'CUDA_HOME', 'CUDA_PATH', 'CUDA_DEVICE_ORDER', 'CUDA_MODULE_LOADING', 'NVIDIA_*', 'LD_LIBRARY_PATH',
  'VIRTUAL_ENV', 'CONDA_PREFIX', 'CONDA_DEFAULT_ENV', 'PYTHONPATH',
  'OMP_NUM_THREADS', 'MKL_NUM_THREADS', 'OPENBLAS_*', 'NUMEXPR_MAX_THREADS',
  'IMAGENET_DIR', 'TORCH_HOME', 'XDG_CACHE_HOME',
];

const matches = (name: string, entries: readonly string[]): boolean => entries.some((e) => nameMatches(e, name));

/** The program's environment: the worker's minimal set and what it passes on, the search's extras, then the device. */
export function programEnv(
  options: Pick<CommandOptions, 'env'>,
  device: string,
  base: NodeJS.ProcessEnv = process.env,
  passEnv: readonly string[] = [],
): NodeJS.ProcessEnv {
  const kept = Object.entries(base).filter(([name]) => matches(name, PROGRAM_ENV) || matches(name, passEnv));
  const env: NodeJS.ProcessEnv = { ...Object.fromEntries(kept), ...options.env, COLLM_DEVICE: device };
  const cuda = visibleDevices(device, base.CUDA_VISIBLE_DEVICES);
  if (cuda === undefined) delete env.CUDA_VISIBLE_DEVICES;
  else env.CUDA_VISIBLE_DEVICES = cuda;
  return env;
}
