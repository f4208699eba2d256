import type { Rng } from '../../../lib/rng';
import type { ChatResponse } from '../../../llm/types';
import { meetsConstraint } from '../../constraint';
import type { Candidate } from '../../types';
import { costBudget, costText } from './describe';
import { readArchitecture, type ItemReader } from './generator';
import { tally, type Collm, type CollmStats } from './state';

const REPAIR_TRIES = 20;

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
  collmSetup: Collm,
  response: ChatResponse,
  taken: ReadonlySet<string>,
  want: number,
  stats: CollmStats,
  origin: Candidate['origin'],
  read: ItemReader = readArchitecture(collmSetup.space),
  /**
   * Given, a duplicate is mutated (up to REPAIR_TRIES times) into a new,
   * feasible neighbour of itself; with `only`, just a duplicate whose key is in it.
   */
  repair?: { rng: Rng; only?: ReadonlySet<string> },
): Checked {
  const { config, space } = collmSetup;
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
  let { illegal, duplicate, infeasible, repaired } = stats;
  const feasible = (a: unknown): boolean => meetsConstraint(space.cost(a, config.dataset), config.constraint);
  list.forEach((item, i) => {
    const where = `candidates[${i}]`;
    const parsed = read(item);
    if ('error' in parsed) {
      illegal++;
      errors.push(`${where} ${JSON.stringify(item)} is not valid: ${parsed.error}`);
      return;
    }
    const arch = parsed.arch;
    const key = space.key(arch);
    if (seen.has(key)) {
      duplicate++;
      errors.push(`${where} ${JSON.stringify(item)} was already evaluated or repeats another candidate`);
      if (repair && accepted.length < want && (!repair.only || repair.only.has(key))) {
        // A near miss of the Generator's, not of the global best: its own neighbour.
        for (let t = 0; t < REPAIR_TRIES; t++) {
          const child = space.mutate(arch, repair.rng);
          const childKey = space.key(child);
          if (seen.has(childKey) || !feasible(child)) continue;
          seen.add(childKey);
          repaired++;
          accepted.push({ arch: space.format(child), key: childKey, origin: 'llm-repair' });
          break;
        }
      }
      return;
    }
    const cost = space.cost(arch, config.dataset);
    if (!meetsConstraint(cost, config.constraint)) {
      infeasible++;
      errors.push(`${where} ${JSON.stringify(item)} exceeds the cost budget: ${costText({ cost }, config)}, the budget is ${costBudget(config)}`);
      return;
    }
    seen.add(key);
    if (accepted.length < want) accepted.push({ arch: space.format(arch), key, origin });
  });
  return {
    accepted,
    errors,
    stats: { ...stats, generated: stats.generated + list.length, illegal, duplicate, infeasible, repaired, accepted: stats.accepted + accepted.length },
  };
}
