import { render, type PromptSet } from '../../../prompts';
import { best } from '../../summary';
import type { Constraint, Observation, SearchConfig, SearchState } from '../../types';

/** How the search and its results read in the prompts. */

export const fmtAcc = (x: number): string => `${x.toFixed(2)}%`;

/** The constraint's unit; a latency device is "the target device" (its name could name a benchmark). */
function unitOf(c: Constraint): string {
  return c.metric === 'flops' ? 'MFLOPs' : c.metric === 'params' ? 'M parameters' : 'ms latency on the target device';
}

/** The cost budget in numbers, for the Generator. */
export function costBudget(config: SearchConfig): string {
  return config.constraint ? `at most ${config.constraint.max} ${unitOf(config.constraint)}` : 'none';
}

/** An architecture's cost in the constraint's metric (MFLOPs when there is none). */
export function costText(e: Pick<Observation, 'cost'>, config: SearchConfig): string {
  const c = config.constraint;
  if (c?.metric === 'latency') return `${e.cost.latencyMs?.toFixed(2)} ms`;
  if (c?.metric === 'params') return `${e.cost.paramsM.toFixed(2)} M parameters`;
  return `${e.cost.flopsM.toFixed(1)} MFLOPs`;
}

export function describeConstraint(config: SearchConfig): string {
  const c = config.constraint;
  if (!c) return '';
  return ` with at most ${c.max} ${unitOf(c)}`;
}

export function describeEval(e: Observation, config: SearchConfig): string {
  const tag = e.origin === 'fill' ? ' (fill)' : '';
  return `- ${e.arch}  accuracy ${fmtAcc(e.valAcc)}, ${costText(e, config)}${e.feasible ? '' : ' (over the cost budget)'}${tag}`;
}

export function hintsText(p: PromptSet, hints: readonly string[]): string {
  return hints.map((hint) => render(p.hint, { hint })).join('');
}

/**
 * The search's progress as placeholder values (target, budget, used, best so
 * far): every Navigator prompt shows them, so each builds on these.
 */
export function progressPlaceholders(config: SearchConfig, search: SearchState): Record<string, string | number> {
  const top = best(search);
  return {
    target: config.targetAccuracy !== undefined ? fmtAcc(config.targetAccuracy) : 'none set (as high as possible)',
    budget: search.budget,
    used: search.evaluated.length,
    best: top ? `${top.arch} with accuracy ${fmtAcc(top.valAcc)}` : 'none yet',
  };
}
