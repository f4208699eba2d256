import type { ChatResponse } from '../../llm/types';
import { meetsConstraint } from '../constraint';
import type { Candidate } from '../types';
import { costBudget, costText } from './describe';
import { tally, type Collm, type CollmStats } from './state';

export interface Checked {
  accepted: Candidate[];
  errors: string[];
  stats: CollmStats;
}

/**
 * Checks a Generator answer: JSON shape, legality, duplicates (against
 * everything visited and within the answer), cost. Only legal, new, feasible
 * candidates are accepted, at most `want`.
 */
export function checkGenerated(
  k: Collm,
  response: ChatResponse,
  taken: ReadonlySet<string>,
  want: number,
  stats: CollmStats,
  origin: Candidate['origin'],
): Checked {
  const { config, space } = k;
  stats = tally(stats, response, 'generatorCalls');
  const errors: string[] = [];
  const json = response.json as { candidates?: unknown } | undefined;
  // Only the asked-for shape counts: a cut-off answer can still hold an inner list that parses.
  const list = json && !Array.isArray(json) && Array.isArray(json.candidates) ? json.candidates : undefined;
  if (!list) {
    return { accepted: [], errors: ['the answer was not a JSON object {"candidates": [...]}'], stats: { ...stats, invalidJson: stats.invalidJson + 1 } };
  }
  const accepted: Candidate[] = [];
  const seen = new Set(taken);
  let { illegal, duplicate, infeasible } = stats;
  list.forEach((item, i) => {
    const where = `candidates[${i}]`;
    const parsed = space.schema.safeParse(item);
    if (!parsed.success) {
      illegal++;
      errors.push(`${where} ${JSON.stringify(item)} is not valid: ${parsed.error.issues.map((x) => `${x.path.join('.') || 'value'}: ${x.message}`).join('; ')}`);
      return;
    }
    const key = space.key(parsed.data);
    if (seen.has(key)) {
      duplicate++;
      errors.push(`${where} ${JSON.stringify(item)} was already evaluated or repeats another candidate`);
      return;
    }
    const cost = space.cost(parsed.data, config.dataset);
    if (!meetsConstraint(cost, config.constraint)) {
      infeasible++;
      errors.push(`${where} ${JSON.stringify(item)} exceeds the cost budget: ${costText({ cost }, config)}, the budget is ${costBudget(config)}`);
      return;
    }
    seen.add(key);
    if (accepted.length < want) accepted.push({ arch: space.format(parsed.data), key, origin });
  });
  return {
    accepted,
    errors,
    stats: { ...stats, generated: stats.generated + list.length, illegal, duplicate, infeasible, accepted: stats.accepted + accepted.length },
  };
}
