import { render, type PromptSet } from '../../prompts/collm-v1';
import { best } from '../summary';
import type { Observation, SearchConfig, SearchState } from '../types';

/** How the search and its results read in the prompts. */

export const fmtAcc = (x: number): string => `${x.toFixed(2)}%`;

export function describeConstraint(config: SearchConfig): string {
  const c = config.constraint;
  if (!c) return '';
  const unit = c.metric === 'flops' ? 'MFLOPs' : c.metric === 'params' ? 'M parameters' : `ms latency on ${c.device}`;
  return ` with at most ${c.max} ${unit}`;
}

export function describeEval(e: Observation, config: SearchConfig): string {
  const cost = config.constraint?.metric === 'latency' ? `${e.cost.latencyMs?.toFixed(2)} ms` : `${e.cost.flopsM.toFixed(1)} MFLOPs`;
  return `- ${e.arch}  accuracy ${fmtAcc(e.valAcc)}, ${cost}${e.feasible ? '' : ' (over the cost budget)'}`;
}

export function hintsText(p: PromptSet, hints: readonly string[]): string {
  return hints.map((hint) => render(p.hint, { hint })).join('');
}

/** Placeholders every Navigator prompt shares. */
export function common(config: SearchConfig, search: SearchState): Record<string, string | number> {
  const top = best(search);
  return {
    target: config.targetAccuracy !== undefined ? fmtAcc(config.targetAccuracy) : 'none set (as high as possible)',
    budget: search.budget,
    used: search.evaluated.length,
    best: top ? `${top.arch} with accuracy ${fmtAcc(top.valAcc)}` : 'none yet',
  };
}
