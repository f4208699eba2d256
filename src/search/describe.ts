import type { Constraint, SearchConfig } from './types';

/**
 * A search described for people who meet it outside the CLI: the Temporal
 * Web UI's summary and details of a workflow, a schedule's action. Pure, so
 * the client (at start) and the workflow (for `temporal workflow start`) say
 * the same thing.
 */

const UNITS: Record<Constraint['metric'], string> = { flops: 'MFLOPs', params: 'M params', latency: 'ms' };

/** "FLOPs ≤ 300 MFLOPs", "latency ≤ 25 ms on note10". */
export function describeConstraint(c: Constraint): string {
  const metric = c.metric === 'flops' ? 'FLOPs' : c.metric;
  return `${metric} ≤ ${c.max} ${UNITS[c.metric]}${c.device ? ` on ${c.device}` : ''}`;
}

/** One line: "NAS nb201/cifar10 · collm · 100 evaluations · FLOPs ≤ 300 MFLOPs". */
export function searchSummary(config: SearchConfig): string {
  return [
    `NAS ${config.space}/${config.dataset}`,
    config.strategy.name,
    `${config.budget} evaluations`,
    ...(config.constraint ? [describeConstraint(config.constraint)] : []),
    ...(config.rank ? [`ranked by ${config.rank.by} from pools of ${config.rank.pool}`] : []),
  ].join(' · ');
}

/** The static details: what the search runs, in Temporal's markdown, one fact a line. */
export function searchDetails(config: SearchConfig): string {
  const llms = Object.entries(config.llm).map(([role, llm]) => `${role}: ${llm.provider} ${llm.model}`);
  return [
    `**Space** ${config.space} · **dataset** ${config.dataset} · **seed** ${config.seed}`,
    `**Strategy** ${config.strategy.name} · **batch** ${config.batchSize} · **budget** ${config.budget} evaluations`,
    `**Evaluator** ${config.evaluation.evaluator} on task queue \`${config.evaluation.taskQueue}\``,
    ...(config.constraint ? [`**Constraint** ${describeConstraint(config.constraint)}`] : []),
    ...(config.rank ? [`**Ranking** ${config.rank.by}, pools of ${config.rank.pool}`] : []),
    ...(config.targetAccuracy !== undefined ? [`**Target** stop at ${config.targetAccuracy}`] : []),
    ...(llms.length > 0 ? [`**LLM** ${llms.join('; ')}`] : []),
    ...(config.name ? [`**Name** ${config.name}`] : []),
  ].join('\n');
}

/**
 * How a search's LLM fared, in words, from its strategy's figures (`stats`):
 * the failures by kind with the last message ("5 (2 transient, 3 refused);
 * last: …", for a caller to label "LLM failures"), and, when the LLM
 * proposed nothing the search used, the line that says so. One wording for the CLI,
 * the result and the Web UI; `quote` sets the message apart (a code span in
 * the Web UI's markdown, where it must stay inert).
 */
export function llmFailureText(
  stats: Record<string, number | string> | undefined,
  quote: (text: string) => string = (text) => text,
): { failures?: string; contribution?: string } {
  const out: { failures?: string; contribution?: string } = {};
  const total = stats?.llmFailures;
  if (typeof total === 'number' && total > 0) {
    const kinds: string[] = [];
    for (const [kind, field] of [['transient', 'llmFailuresTransient'], ['refused', 'llmFailuresRefused']] as const) {
      const n = stats?.[field];
      if (typeof n === 'number' && n > 0) kinds.push(`${n} ${kind}`);
    }
    const last = stats?.lastLlmFailure;
    out.failures = `${total}${kinds.length > 0 ? ` (${kinds.join(', ')})` : ''}${typeof last === 'string' ? `; last: ${quote(last)}` : ''}`;
  }
  const contribution = stats?.llmContribution;
  if (typeof contribution === 'string') out.contribution = contribution;
  return out;
}
