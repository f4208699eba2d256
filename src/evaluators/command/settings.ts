import { envList } from '../../lib/env-lists';

/**
 * The command evaluator's settings from the eval worker's environment, in
 * the style of the LLM allow-list (src/llm/allow-list.ts), for workers
 * started as processes (`npm run worker:eval`, docker-compose, npm start):
 *
 *   COLLM_COMMAND_ALLOWED_PROGRAMS  comma-separated paths, or names looked up
 *                                   on the worker's PATH; "*" allows any
 *                                   program. Unset: the evaluator is not served.
 *   COLLM_COMMAND_PASS_ENV          comma-separated variables of the worker
 *                                   that programs get besides the minimal
 *                                   set; "PREFIX_*" for a family
 *   COLLM_COMMAND_CONTAIN           auto (default), pid-namespace or process-group
 *
 * Code that builds a worker (createEvalWorker) may pass the same settings as
 * `evaluators: {command: {...}}`; then the environment is not read.
 */
export const COMMAND_ENV = {
  allowedPrograms: 'COLLM_COMMAND_ALLOWED_PROGRAMS',
  passEnv: 'COLLM_COMMAND_PASS_ENV',
  contain: 'COLLM_COMMAND_CONTAIN',
} as const;

/** Raw settings (checked by commandSettingsSchema) from `env`. */
export function commandSettingsFromEnv(env: NodeJS.ProcessEnv = process.env): Record<string, unknown> {
  const allowedPrograms = envList(env[COMMAND_ENV.allowedPrograms]);
  const passEnv = envList(env[COMMAND_ENV.passEnv]);
  const contain = env[COMMAND_ENV.contain]?.trim();
  return { ...(allowedPrograms ? { allowedPrograms } : {}), ...(passEnv ? { passEnv } : {}), ...(contain ? { contain } : {}) };
}

/** Why nothing may run, and how the worker's owner changes that. */
export const NOT_ALLOWED_HELP =
  `no program is allowed on this eval worker: its owner lists the programs searches may run in ${COMMAND_ENV.allowedPrograms} ` +
  `(comma-separated paths, e.g. /opt/eval/eval_subnet.py; "*" allows any program, only where everyone who may start a search may run anything as this worker)`;
