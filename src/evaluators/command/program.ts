import { accessSync, constants, realpathSync, statSync } from 'node:fs';
import { delimiter, isAbsolute, join, resolve } from 'node:path';
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

/** The resolved path of every allowed program, by its real path, for the comparison. */
export function resolveAllowed(allowed: readonly string[]): Map<string, string> {
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
export function checkAllowed(program: string, cwd: string, allowed: Map<string, string>, env: Record<string, string> | undefined): string {
  const found = resolveProgram(program, cwd);
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

/** The program's environment: the worker's (secrets included), the search's extras, then the device. */
export function programEnv(options: Pick<CommandOptions, 'env'>, device: string, base: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...base, ...options.env, COLLM_DEVICE: device };
  const cuda = visibleDevices(device, base.CUDA_VISIBLE_DEVICES);
  if (cuda === undefined) delete env.CUDA_VISIBLE_DEVICES;
  else env.CUDA_VISIBLE_DEVICES = cuda;
  return env;
}
