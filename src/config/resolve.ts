import { EVALUATORS } from '../evaluators/registry';
import { clip, EXPLAINED } from '../lib/zod-messages';
import { resolveLlms } from '../llm/config';
import type { EvaluatorPlugin } from '../evaluators/types';
import { ConfigError, parseCoreConfig, problemsOf, type CoreConfig } from '../search/config';
import { LLM_RANKER, RANKERS } from '../search/rankers';
import { STRATEGIES } from '../search/strategies';
import type { SearchSpace } from '../spaces/types';
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
  const rank = space && fields.rank ? resolveRank(fields.rank, space, fields.strategy?.name) : undefined;
  problems.push(...(rank?.problems ?? []));
  const strategyConfig = fields.strategy && rank?.value?.by === LLM_RANKER ? withLlmRankPool(fields.strategy, rank.value.pool, problems) : fields.strategy;

  let llm: ReturnType<typeof resolveLlms> | undefined;
  if (strategyConfig) {
    const strategy = STRATEGIES.get(strategyConfig.name);
    const { name: _name, ...strategyOptions } = strategyConfig;
    const unsupported = space && strategy.unsupported?.(space, strategyOptions);
    if (unsupported) problems.push(`strategy.name: ${unsupported}`);
    llm = resolveLlms(fields.llm, strategy.llmRoles ?? [], strategy.name);
    problems.push(...llm.problems);
  }
  // Roles that share `llm` report its problems once each.
  if (!core || !space || !evaluation || !llm || problems.length > 0 || !strategyConfig) throw new ConfigError([...new Set(problems)]);

  const { llm: _raw, dataset, rank: _rank, ...rest } = core;
  const { batched, ...evaluationFields } = core.evaluation;
  // Written only when on: a config resolved without it reads as before (one activity per candidate).
  const batchedOn = batched ?? EVALUATORS.get(evaluation.value.evaluator).batch === true;
  const evaluationConfig = { ...evaluationFields, ...evaluation.value, ...(batchedOn ? { batched: true } : {}) };
  return {
    ...rest,
    strategy: strategyConfig,
    dataset: dataset ?? space.datasets[0]!,
    evaluation: evaluationConfig,
    ...(rank?.value ? { rank: { ...rank.value, taskQueue: rank.value.taskQueue ?? evaluationConfig.taskQueue } } : {}),
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
  if (!EVALUATORS.has(name)) return { problems: [`${field}: unknown evaluator '${clip(name)}'; ${EVALUATORS.hint}`] };
  const p = EVALUATORS.get(name);
  if (!evaluatesSpace(p, space)) {
    const fit = EVALUATORS.list().filter((e) => evaluatesSpace(e, space) && !e.measuresOnly === (field !== 'evaluation.costEvaluator')).map((e) => e.name);
    problems.push(`${field}: ${name} does not evaluate space ${space}; use one of ${fit.join(', ') || '(none registered)'}`);
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
  const main = checkedEvaluator(evaluatorName, 'evaluation.evaluator', evaluation.options, ['evaluation', 'options'], space);
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
    cost = checkedEvaluator(costName, 'evaluation.costEvaluator', evaluation.costOptions, ['evaluation', 'costOptions'], space);
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

/**
 * The ranking stage's ranker, checked: the cost model (or another ranker of
 * the registry) with its options, the strategy's own LLM ranking, or an
 * evaluator that scores this space, with the evaluator's options.
 */
function resolveRank(rank: NonNullable<CoreConfig['rank']>, space: SearchSpace<unknown>, strategy: string | undefined): { value?: CoreConfig['rank'] & object; problems: string[] } {
  const known = `rank by ${[...RANKERS.names, LLM_RANKER].map((n) => `"${n}"`).join(', ')} or an evaluator that scores ${space.name} (${EVALUATORS.list().filter((e) => !e.measuresOnly && evaluatesSpace(e, space.name)).map((e) => e.name).join(', ')})`;
  if (RANKERS.has(rank.by)) {
    const ranker = RANKERS.get(rank.by);
    const options = ranker.options.safeParse(rank.options, EXPLAINED);
    if (!options.success) return { problems: problemsOf(options.error, ['rank', 'options']) };
    const unsupported = ranker.unsupported?.(space, options.data);
    return unsupported ? { problems: [`rank.by: ${unsupported}`] } : { value: { ...rank, options: options.data as Record<string, unknown> }, problems: [] };
  }
  if (rank.by === LLM_RANKER) {
    const problems: string[] = [];
    if (strategy !== undefined && !STRATEGIES.get(strategy).llmRankPoolOption) {
      problems.push(`rank.by: "llm" ranks with the strategy's own LLM, and strategy ${strategy} has none; use strategy "collm", or ${known}`);
    }
    if (Object.keys(rank.options).length > 0) problems.push('rank.options: the LLM ranker takes no options; its LLM is the generator role\'s (llm)');
    return problems.length > 0 ? { problems } : { value: rank, problems };
  }
  if (!EVALUATORS.has(rank.by)) return { problems: [`rank.by: unknown ranker '${clip(rank.by)}'; ${known}`] };
  const checked = checkedEvaluator(rank.by, 'rank.by', rank.options, ['rank', 'options'], space.name);
  if (checked.plugin?.measuresOnly) checked.problems.push(`rank.by: ${rank.by} measures costs only and scores nothing; ${known}`);
  return checked.problems.length > 0 ? { problems: checked.problems } : { value: { ...rank, options: checked.options ?? {} }, problems: [] };
}

/**
 * The LLM ranker is the strategy's own ranking of a pool of this size: its
 * option (`llmRankPoolOption`) set to the pool and checked by its own schema,
 * a problem naming `rank.pool` when that refuses it.
 */
function withLlmRankPool(strategy: NonNullable<CoreConfig['strategy']>, pool: number, problems: string[]): CoreConfig['strategy'] {
  const plugin = STRATEGIES.get(strategy.name);
  const option = plugin.llmRankPoolOption;
  if (!option) return strategy; // refused by resolveRank, naming rank.by
  const { name, ...options } = strategy;
  const parsed = plugin.options.safeParse({ ...options, [option]: pool }, EXPLAINED);
  if (!parsed.success) {
    problems.push(...parsed.error.issues.filter((i) => i.path[0] === option).map((i) => `rank.pool: ${i.message}`));
    return strategy;
  }
  return { name, ...(parsed.data as object) };
}
