import { z } from 'zod';
import type { EvalResult } from '../../search/types';
import { SPACES } from '../../spaces';
import { EvaluationError, type EvalContext, type EvalRequest } from '../types';
import { MAX_METRICS } from '../contract';
import { deviceError, deviceFailureLine } from '../device-errors';
import { OUTPUT_FORMAT, OutputProblem, parseProgramOutput } from './metrics';
import { parseDuration } from '../../lib/duration';
import { commandOptionsSchema } from './options';
import { signalOfStatus } from './containment';
import { checkAllowed, checkCwd, programEnv, type AllowedPrograms } from './program';
import { runCommand, SpawnError, type RunOutcome } from './run';
import { displayLines, formatLog, LOG_MAX } from './tail';

/**
 * One candidate through the user's program: the request becomes one JSON
 * line on stdin, the program's last stdout line becomes the result, and
 * every way that can go wrong becomes an EvaluationError that says whether
 * a retry can help (a non-retryable one ends the whole search).
 */

/** What the program reads on stdin: one line of JSON, then end of file. */
export interface CommandInput {
  space: string;
  dataset: string;
  /** The architecture in the space's text format. */
  arch: string;
  /** The same architecture in the space's JSON form (`space.parse(arch)`). */
  archJson: unknown;
  /** The device the eval worker assigned, e.g. "cuda:1" (also in COLLM_DEVICE). */
  device: string;
  /** The device a latency constraint names; the program must then report latencyMs for it. */
  latencyDevice?: string;
}

/** How much of a failing program's output an error message quotes; failures are kept in the search state. */
const ERROR_TAIL = 2000;

const show = (argv: readonly string[]): string => {
  const text = JSON.stringify(argv);
  return text.length > 200 ? `${text.slice(0, 200)}…` : text;
};

function tail(run: RunOutcome): string {
  const log = formatLog(displayLines(run.stdout), run.stderr, ERROR_TAIL);
  const leftovers = run.groupGone ? '' : `\n(some of its processes, process group ${run.pid}, survived SIGKILL)`;
  return (log ? `; its output ends with:\n${log}` : '; it printed nothing') + leftovers;
}

/** What the worker decided: which programs may run, which of its variables they get, what wraps them. */
export interface CommandPolicy {
  allowed: AllowedPrograms;
  passEnv: readonly string[];
  /** Put before argv (the PID namespace), or empty. */
  wrapper: readonly string[];
}

export async function evaluateCommand(request: EvalRequest<unknown>, context: EvalContext, policy: CommandPolicy): Promise<EvalResult> {
  // Checked when the search started; checked again because this worker may run a different release.
  const parsed = commandOptionsSchema.safeParse(request.options);
  if (!parsed.success) {
    throw new EvaluationError(`evaluation.options: ${z.prettifyError(parsed.error)}`, false, 'CommandOptions');
  }
  const options = parsed.data;
  if (!SPACES.has(request.space)) {
    throw new EvaluationError(`this eval worker does not know space '${request.space}'; ${SPACES.hint}`, false, 'UnknownSpace');
  }
  const space = SPACES.get(request.space);
  // An illegal architecture throws ArchitectureError (not retryable) before any process starts.
  const archJson = space.parse(request.arch);

  const cwd = checkCwd(options.cwd);
  const [program, ...args] = options.argv as [string, ...string[]];
  const env = programEnv(options, context.device, process.env, policy.passEnv);
  // The path that was checked is the path that runs: PATH cannot change in between.
  const resolved = checkAllowed(program, cwd, policy.allowed, options.env, env.PATH);
  const argv = [...policy.wrapper, resolved, ...args];

  const input: CommandInput = {
    space: request.space,
    dataset: request.dataset,
    arch: request.arch,
    archJson,
    device: context.device,
    ...(request.latencyDevice !== undefined ? { latencyDevice: request.latencyDevice } : {}),
  };
  const command = show(options.argv);

  let run: RunOutcome;
  try {
    run = await runCommand(argv, `${JSON.stringify(input)}\n`, {
      cwd,
      env,
      // The program's own argv[0] (a venv's python is found through it); a wrapper execs the resolved path.
      ...(policy.wrapper.length === 0 ? { argv0: program } : {}),
      ...(options.timeout !== undefined ? { timeoutMs: parseDuration(options.timeout) } : {}),
      killGraceMs: parseDuration(options.killGrace),
      signal: context.signal,
      onHeartbeat: ({ pid, elapsedMs }) => context.heartbeat({ device: context.device, pid, elapsedMs }),
    });
  } catch (err) {
    if (!(err instanceof SpawnError)) throw err;
    // A missing or non-executable program is missing on every attempt; resource errors (EAGAIN, ENOMEM) may pass.
    const permanent = err.code === 'ENOENT' || err.code === 'EACCES' || err.code === 'ENOEXEC' || err.code === 'ENOTDIR';
    const fix =
      err.code === 'ENOENT'
        ? `no program '${program}' on this eval worker (cwd ${cwd}, PATH=${env.PATH ?? ''}); install it, or give argv[0] as an absolute path`
        : err.code === 'EACCES'
          ? `'${program}' is not executable; chmod +x it, or run it through its interpreter, e.g. ["python3", "${program}"]`
          : err.message;
    throw new EvaluationError(`command ${command} could not start (${err.code}): ${fix}`, !permanent, permanent ? 'CommandNotFound' : 'CommandFailed');
  }

  if (run.ended === 'aborted') {
    // Temporal's own CancelledFailure, so the cancellation is reported as one; the group is already gone.
    const reason: unknown = context.signal.reason;
    if (reason instanceof Error) throw reason;
    throw new EvaluationError(`command ${command} was cancelled (${String(reason)}); its process group was killed`, true, 'CommandCancelled');
  }
  if (run.ended === 'timeout') {
    // Retryable: a slow node or a busy GPU may pass, and a candidate that never fits its time is dropped after the retry limit.
    throw new EvaluationError(
      `command ${command} ran longer than evaluation.options.timeout (${options.timeout}); its process group was killed${tail(run)}`,
      true,
      'CommandTimeout',
    );
  }
  if (run.exitCode !== 0) {
    // Retryable: a crash can be a GPU hiccup (Xid error, OOM next to another job); the retry limit bounds it.
    // A missing or broken GPU fails every attempt on this worker: not retried, named.
    const broken = deviceFailureLine(run.stderr) ?? deviceFailureLine(run.stdout);
    if (broken) throw deviceError(context.device, `command ${command}: ${broken}`);
    // Under the namespace's init a program killed by signal n shows as status 128 + n.
    const signal = run.exitSignal ?? (policy.wrapper.length > 0 ? signalOfStatus(run.exitCode) : null);
    const how = signal ? `was killed by ${signal}${signal === 'SIGKILL' ? ' (out of memory?)' : ''}` : `exited with code ${run.exitCode}`;
    throw new EvaluationError(`command ${command} ${how} after ${(run.elapsedMs / 1000).toFixed(1)} s${tail(run)}`, true, 'CommandFailed');
  }

  let output: ReturnType<typeof parseProgramOutput>;
  try {
    output = parseProgramOutput(run.stdout, run.stdoutTruncated);
  } catch (err) {
    if (!(err instanceof OutputProblem)) throw err;
    throw new EvaluationError(`command ${command} exited 0 but ${err.message}${tail(run)}`, err.retryable, 'CommandOutput');
  }
  const m = output.metrics;
  if (request.latencyDevice !== undefined && m.latencyMs === undefined) {
    // The search ranks by this constraint; a result without it cannot be judged, and no candidate would have one.
    throw new EvaluationError(
      `command ${command}: the search has a latency constraint on '${request.latencyDevice}' (stdin's latencyDevice), ` +
        `so the program must report latencyMs for it; ${OUTPUT_FORMAT}`,
      false,
      'CommandOutput',
    );
  }

  let flopsM = m.flopsM;
  let paramsM = m.paramsM;
  if (flopsM === undefined || paramsM === undefined) {
    // The space's analytic cost fills what the program did not measure.
    try {
      const cost = space.cost(archJson, request.dataset);
      flopsM ??= cost.flopsM;
      paramsM ??= cost.paramsM;
    } catch (err) {
      throw new EvaluationError(
        `command ${command} reported no ${m.flopsM === undefined ? 'flopsM' : 'paramsM'} and space ${space.name} cannot compute it ` +
          `for dataset '${request.dataset}' (${(err as Error).message}); report flopsM and paramsM from the program`,
        false,
        'CommandOutput',
      );
    }
  }

  const dropped = m.nonFinite.join(', ');
  const notes = [
    dropped ? `[collm] left out non-finite metrics: ${dropped.length > 200 ? `${dropped.slice(0, 200)}…` : dropped}` : '',
    m.metricsLeftOut > 0 ? `[collm] left out ${m.metricsLeftOut} more metrics: at most ${MAX_METRICS} are kept per evaluation` : '',
  ];
  const note = notes.filter(Boolean).join('\n');
  const log = [formatLog(output.otherLines, run.stderr, LOG_MAX - note.length - 1), note].filter(Boolean).join('\n');
  return {
    valAcc: m.valAcc,
    ...(m.testAcc !== undefined ? { testAcc: m.testAcc } : {}),
    cost: { flopsM, paramsM, ...(m.latencyMs !== undefined ? { latencyMs: m.latencyMs } : {}) },
    ...(Object.keys(m.metrics).length > 0 ? { metrics: m.metrics } : {}),
    ...(log ? { log } : {}),
  };
}
