import { EVALUATORS } from '../evaluators/registry';
import { resolveLlms } from '../llm/config';
import { ConfigError, parseCoreConfig, problemsOf } from '../search/config';
import { STRATEGIES } from '../search/strategies';
import type { SearchConfig } from '../search/types';
import { SPACES } from '../spaces';

/**
 * Turns the raw JSON a user wrote into a `SearchConfig`: defaults applied and
 * every plug-in name and option checked against its registry (space,
 * strategy, evaluator, LLM providers). The client calls it before starting a
 * search, the workflow once at its first run (through a local activity, so
 * the result is in its history and a later change of a default never changes
 * a running search), benchmarks and tests before running in process.
 */
export function resolveSearchConfig(input: unknown): SearchConfig {
  const { config: core, problems } = parseCoreConfig(input);
  if (!core) throw new ConfigError(problems);
  const space = SPACES.get(core.space);

  // The evaluator: the config's, else the space's natural one; it must score this space.
  const evaluatorName = core.evaluation.evaluator ?? space.defaultEvaluator;
  let evaluatorOptions: Record<string, unknown> = {};
  if (!EVALUATORS.has(evaluatorName)) {
    problems.push(`evaluation.evaluator: unknown evaluator '${evaluatorName}'; ${EVALUATORS.hint}`);
  } else {
    const evaluator = EVALUATORS.get(evaluatorName);
    const scores = (e: { spaces: readonly string[] | 'any' }): boolean => e.spaces === 'any' || e.spaces.includes(core.space);
    if (!scores(evaluator)) {
      const fit = EVALUATORS.list().filter(scores).map((e) => e.name);
      problems.push(`evaluation.evaluator: ${evaluatorName} does not evaluate space ${core.space}; use one of ${fit.join(', ') || '(none registered)'}`);
    }
    const options = evaluator.options.safeParse(core.evaluation.options);
    if (options.success) evaluatorOptions = options.data as Record<string, unknown>;
    else problems.push(...problemsOf(options.error, ['evaluation', 'options']));
    const device = core.constraint?.metric === 'latency' ? core.constraint.device : undefined;
    if (device !== undefined && !evaluator.latency?.(device)) {
      problems.push(`constraint.device: evaluator ${evaluatorName} reports no latency for '${device}'; use a flops or params constraint, or a device it measures`);
    }
  }

  const strategy = STRATEGIES.get(core.strategy.name);
  const llm = resolveLlms(core.llm, strategy.llmRoles ?? [], strategy.name);
  problems.push(...llm.problems);
  if (problems.length > 0) throw new ConfigError(problems);

  const { llm: _raw, evaluation, dataset, ...rest } = core;
  return {
    ...rest,
    dataset: dataset ?? space.datasets[0]!,
    evaluation: { ...evaluation, evaluator: evaluatorName, options: evaluatorOptions },
    llm: llm.llm,
  };
}

export { ConfigError };
