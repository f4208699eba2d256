import { EVALUATORS } from './registry';
import type { Evaluator } from './types';

export type { EvalRequest, EvalContext, Evaluator, EvaluatorPlugin } from './types';
export { EvaluationError } from './types';
export { EVALUATORS } from './registry';

/**
 * Worker-side settings per evaluator, by evaluator name, e.g.
 * `{ "nb201-table": { table: "/data/nb201.csv" } }`; an evaluator without an
 * entry reads its defaults and the environment.
 */
export type EvaluatorSettings = Record<string, unknown>;

/**
 * The evaluators an eval worker serves, built with its settings and checked
 * (data present...). Those it was asked for by name or given settings for
 * must pass their check; others that cannot run here are left out, with the
 * reason, so a worker for one benchmark needs no other benchmark's data.
 */
export function createEvaluators(
  settings: EvaluatorSettings = {},
  serve?: readonly string[],
  check = true,
): { served: Map<string, Evaluator>; skipped: string[] } {
  // A misspelt name fails here, not at the first evaluation.
  const required = new Set([...(serve ?? []), ...Object.keys(settings)].map((name) => EVALUATORS.get(name).name));
  const served = new Map<string, Evaluator>();
  const skipped: string[] = [];
  // Evaluators another worker serves (the Python one) are left out unless asked for by name.
  for (const name of serve ?? EVALUATORS.list().filter((p) => !p.servedBy).map((p) => p.name)) {
    const evaluator = EVALUATORS.get(name).create(settings[name]);
    if (check) {
      try {
        evaluator.check();
      } catch (err) {
        if (required.has(name)) throw err;
        skipped.push(`${name}: ${(err as Error).message}`);
        continue;
      }
    }
    served.set(name, evaluator);
  }
  if (served.size === 0) throw new Error(`no evaluator can run on this worker:\n${skipped.map((s) => `  - ${s}`).join('\n')}`);
  return { served, skipped };
}
