import { z } from 'zod';
import { durationProblem, durationSchema, parseDuration } from '../../lib/duration';

/**
 * The command evaluator's options (`evaluation.options` of a search config)
 * and its worker settings. The options are checked when the search starts,
 * so a mistake in them is reported before any GPU time is spent.
 */

/** Environment variable names a POSIX shell accepts; anything else is almost certainly a typo. */
export const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * Set by the eval worker from the device it assigned the evaluation; a
 * search that set them could put two evaluations on one GPU.
 */
export const RESERVED_ENV = ['COLLM_DEVICE', 'CUDA_VISIBLE_DEVICES'] as const;

// spawn refuses NUL bytes with a Node-internal message; refuse them here, by field.
const noNul = (what: string) => z.string().refine((s) => !s.includes('\0'), `${what} must not contain a NUL character`);

const argvSchema = z
  .array(noNul('each argv element'), {
    error: (issue) =>
      typeof issue.input === 'string'
        ? // The program runs without a shell, so a command line has to be split by the user, who knows its quoting.
          `must be an array of strings, not one string: the program runs without a shell, so split the command into its words, ` +
          `e.g. ${JSON.stringify(issue.input.trim().split(/\s+/))} (check any quoted arguments)`
        : 'must be an array of strings: the program and its arguments, e.g. ["python3", "eval_subnet.py", "--data", "/data/imagenet"]',
  })
  .min(1, 'must name the program to run, e.g. ["python3", "eval_subnet.py"]')
  // An empty argument is legitimate (--prefix ""), an empty program name is not.
  .refine((argv) => argv.length === 0 || argv[0] !== '', { message: 'argv[0] must name the program to run', path: [0] });

const envSchema = z.record(z.string(), noNul('environment values'), {
  error: 'must be an object of variable names to string values, e.g. {"OMP_NUM_THREADS": "8"}',
}).superRefine((env, ctx) => {
  for (const name of Object.keys(env)) {
    if (!ENV_NAME.test(name)) {
      ctx.addIssue({ code: 'custom', path: [name], message: `'${name}' is not a variable name (letters, digits and _, not starting with a digit)` });
    } else if ((RESERVED_ENV as readonly string[]).includes(name)) {
      ctx.addIssue({ code: 'custom', path: [name], message: `${name} is set by the eval worker from the device it assigns each evaluation; remove it` });
    }
  }
});

/**
 * Per-search options.
 *
 * `env` is part of the search config, which is stored in workflow history and
 * shown by `temporal workflow show`: secrets (API keys, tokens) belong in the
 * eval worker's own environment, which the program inherits, never here.
 */
export const commandOptionsSchema = z
  .object({
    /** The program and its arguments; run directly (no shell), so nothing in it is interpreted. */
    argv: argvSchema,
    /** Working directory on the eval worker; default: the worker's. */
    cwd: noNul('cwd').min(1).optional(),
    /** Extra environment variables, on top of the worker's own. */
    env: envSchema.optional(),
    /** Kill the program after this long; default: none, the activity's startToCloseTimeout applies. */
    timeout: durationSchema.refine((d) => durationProblem(d) !== undefined || parseDuration(d) > 0, 'must be longer than 0').optional(),
    /** Between SIGTERM and SIGKILL, for the program to save what it must and exit. */
    killGrace: durationSchema.default('10s'),
  })
  .strict();

export type CommandOptions = z.output<typeof commandOptionsSchema>;

/**
 * The eval worker's settings: the worker decides what runs on its machine,
 * never the search. Whoever can start a search picks argv, so:
 *
 * - `allowedPrograms` limits argv[0] to programs the machine's owner chose;
 *   without it the evaluator is not served. It guards which program starts,
 *   not what it does: allow a wrapper script, not an interpreter (`python3 -c
 *   ...` runs anything). ["*"] allows any program, for a machine where
 *   everyone who may start a search may run anything as this worker. Options
 *   may not set variables that load other code into an allowed program
 *   (LD_PRELOAD, PYTHONPATH, PATH...).
 * - Programs get a minimal environment (PROGRAM_ENV in program.ts): none of
 *   the worker's secrets unless `passEnv` names them.
 * - `contain`: see containment.ts.
 */
export const commandSettingsSchema = z
  .object({
    /** Paths or names looked up on the worker's PATH, compared after resolving symlinks; or ["*"]. */
    allowedPrograms: z.array(z.string().min(1)).min(1, 'list at least one program, or leave allowedPrograms out').optional(),
    /** Worker variables passed to programs beyond the minimal set: names, or "PREFIX_*". */
    passEnv: z.array(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*\*?$/, 'a variable name, or a prefix ending in *')).optional(),
    contain: z.enum(['auto', 'pid-namespace', 'process-group']).default('auto'),
  })
  .strict();

/** As a worker gives them (contain defaults to "auto"). */
export type CommandSettings = z.input<typeof commandSettingsSchema>;
