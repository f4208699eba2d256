import { EVALUATORS } from '../evaluators/registry';
import { clip, EXPLAINED } from '../lib/zod-messages';
import { resolveLlms } from '../llm/config';
import type { EvaluatorPlugin } from '../evaluators/types';
import { ConfigError, parseCoreConfig, problemsOf, type CoreConfig } from '../search/config';
import { STRATEGIES } from '../search/strategies';
import type { EvaluationConfig, SearchConfig } from '../search/types';
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
  // The plug-in checks run on whichever fields are valid on their own, so one report lists every bad field.
  const { config: core, fields, problems } = parseCoreConfig(input);
  const space = fields.space !== undefined && SPACES.has(fields.space) ? SPACES.get(fields.space) : undefined;

  const evaluation = space && fields.evaluation ? resolveEvaluation({ ...fields, space: space.name, evaluation: fields.evaluation }, space.defaultEvaluator) : undefined;
  problems.push(...(evaluation?.problems ?? []));

  let llm: ReturnType<typeof resolveLlms> | undefined;
  if (fields.strategy) {
    const strategy = STRATEGIES.get(fields.strategy.name);
    const { name: _name, ...strategyOptions } = fields.strategy;
    const unsupported = space && strategy.unsupported?.(space, strategyOptions);
    if (unsupported) problems.push(`strategy.name: ${unsupported}`);
    llm = resolveLlms(fields.llm, strategy.llmRoles ?? [], strategy.name);
    problems.push(...llm.problems);
  }
  // Roles that share `llm` report its problems once each.
  if (!core || !space || !evaluation || !llm || problems.length > 0) throw new ConfigError([...new Set(problems)]);

  const { llm: _raw, dataset, ...rest } = core;
  return {
    ...rest,
    dataset: dataset ?? space.datasets[0]!,
    evaluation: { ...core.evaluation, ...evaluation.value },
    llm: llm.llm,
  };
}

export { ConfigError };

/** Whether evaluator `e` can evaluate architectures of `space` (its `spaces` lists it, or is 'any'). */
const evaluatesSpace = (e: EvaluatorPlugin, space: string): boolean => e.spaces === 'any' || e.spaces.includes(space);

/**
 * The evaluator named in `evaluation.<field>`, checked: it exists, it
 * evaluates `space`, its options parse. Returns it with its parsed options
 * and the problems found, each naming the config field, so that one report
 * lists every bad field.
 */
function checkedEvaluator(name: string, field: string, rawOptions: unknown, optionsField: string[], space: string) {
  const problems: string[] = [];
  if (!EVALUATORS.has(name)) return { problems: [`evaluation.${field}: unknown evaluator '${clip(name)}'; ${EVALUATORS.hint}`] };
  const p = EVALUATORS.get(name);
  if (!evaluatesSpace(p, space)) {
    const fit = EVALUATORS.list().filter((e) => evaluatesSpace(e, space) && !e.measuresOnly === (field === 'evaluator')).map((e) => e.name);
    problems.push(`evaluation.${field}: ${name} does not evaluate space ${space}; use one of ${fit.join(', ') || '(none registered)'}`);
  }
  const options = p.options.safeParse(rawOptions ?? {}, EXPLAINED);
  if (!options.success) problems.push(...problemsOf(options.error, optionsField));
  return { plugin: p, options: options.success ? (options.data as Record<string, unknown>) : {}, problems };
}

/**
 * The evaluator (the config's, else the space's natural one) and, where
 * needed, a cost evaluator beside it: the config's `costEvaluator`, else,
 * for a latency device the evaluator does not measure, one that does (e.g.
 * onnx-cost for "onnx:cpu").
 */
function resolveEvaluation(core: Pick<CoreConfig, 'evaluation' | 'constraint' | 'space'>, defaultEvaluator: string): { value: Pick<EvaluationConfig, 'evaluator' | 'options' | 'costEvaluator' | 'costOptions' | 'latencyFrom'>; problems: string[] } {
  const { evaluation, constraint, space } = core;
  const evaluatorName = evaluation.evaluator ?? defaultEvaluator;
  const main = checkedEvaluator(evaluatorName, 'evaluator', evaluation.options, ['evaluation', 'options'], space);
  const problems = [...main.problems];
  if (main.plugin?.measuresOnly) problems.push(`evaluation.evaluator: ${evaluatorName} measures costs only; name it as evaluation.costEvaluator beside an evaluator that scores accuracy`);
  const device = constraint?.metric === 'latency' ? constraint.device : undefined;
  const mainMeasures = device !== undefined && main.plugin?.latency?.(device) === true;
  let costName = evaluation.costEvaluator;
  if (costName === undefined && device !== undefined && !mainMeasures) {
    costName = EVALUATORS.list().find((e) => e.measuresOnly && e.latency?.(device) && evaluatesSpace(e, space))?.name;
    if (costName === undefined && main.plugin) {
      problems.push(`constraint.device: evaluator ${evaluatorName} reports no latency for '${device}', nor does any cost evaluator; use a flops or params constraint, or a device one measures (e.g. "onnx:cpu")`);
    }
  }
  let cost: ReturnType<typeof checkedEvaluator> | undefined;
  if (costName !== undefined) {
    cost = checkedEvaluator(costName, 'costEvaluator', evaluation.costOptions, ['evaluation', 'costOptions'], space);
    problems.push(...cost.problems);
    if (cost.plugin && !cost.plugin.measuresOnly) problems.push(`evaluation.costEvaluator: ${costName} scores accuracy; name a cost evaluator such as onnx-cost`);
    if (cost.plugin && device !== undefined && !mainMeasures && !cost.plugin.latency?.(device)) {
      problems.push(`constraint.device: neither ${evaluatorName} nor ${costName} measures latency on '${device}'`);
    }
  }
  return {
    value: {
      evaluator: evaluatorName,
      options: main.options ?? {},
      ...(cost?.plugin ? { costEvaluator: cost.plugin.name, costOptions: cost.options ?? {} } : {}),
      ...(cost?.plugin && device !== undefined && !mainMeasures ? { latencyFrom: 'cost' as const } : {}),
    },
    problems,
  };
}
