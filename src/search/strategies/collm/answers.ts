import type { Rng } from '../../../lib/rng';
import type { ChatResponse } from '../../../llm/types';
import type { Claims } from '../../claims';
import { meetsConstraint } from '../../constraint';
import type { Proposal } from '../types';
import { costBudget, costText } from './describe';
import { readArchitecture, type ItemReader } from './generator';
import { tally, type Collm, type CollmStats } from './state';

const REPAIR_TRIES = 20;

export interface Checked {
  /** Claimed in the claims given. */
  accepted: Proposal[];
  errors: string[];
  stats: CollmStats;
}

/**
 * The list of an answer in the shape the Generator and the ranking are asked
 * for (`generatorSchema`), `{"candidates": [...]}`, or undefined when the
 * answer has another: the one reading of that shape. Only that shape counts,
 * since a cut-off answer can still hold an inner list that parses. Each item
 * is then checked by its own reader (an architecture, an edit, a pool
 * number), so that one bad item costs itself, not the answer.
 */
export function candidatesOf(response: ChatResponse | undefined): unknown[] | undefined {
  const json: unknown = response?.json;
  if (typeof json !== 'object' || json === null || Array.isArray(json) || !('candidates' in json)) return undefined;
  return Array.isArray(json.candidates) ? (json.candidates as unknown[]) : undefined;
}

/**
 * Checks a Generator answer: JSON shape, legality, duplicates (against
 * everything visited and within the answer), cost. Only legal, new, feasible
 * candidates are accepted, at most `want`, each claimed in `claims`.
 */
export function checkGenerated(
  collmSetup: Collm,
  response: ChatResponse,
  claims: Claims,
  want: number,
  stats: CollmStats,
  origin: Proposal['origin'],
  read: ItemReader = readArchitecture(collmSetup.space),
  /**
   * Given, a duplicate is mutated (up to REPAIR_TRIES times) into a new,
   * feasible neighbour of itself; with `only`, just a duplicate of one of those.
   */
  repair?: { rng: Rng; only?: readonly { key: string }[] },
): Checked {
  const { config, space } = collmSetup;
  stats = tally(stats, response, 'generatorCalls');
  const errors: string[] = [];
  const list = candidatesOf(response);
  if (!list) {
    return { accepted: [], errors: ['the answer was not a JSON object {"candidates": [...]}'], stats: { ...stats, invalidJson: stats.invalidJson + 1 } };
  }
  const accepted: Proposal[] = [];
  // Legal, new, feasible ones past `want` are held while the answer is read, so a repeat of one counts as such.
  const extra: unknown[] = [];
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
    if (claims.has(arch)) {
      duplicate++;
      errors.push(`${where} ${JSON.stringify(item)} was already evaluated or repeats another candidate`);
      if (repair && accepted.length < want && (!repair.only || claims.isOneOf(arch, repair.only))) {
        // A near miss of the Generator's, not of the global best: its own neighbour.
        for (let t = 0; t < REPAIR_TRIES; t++) {
          const child = space.mutate(arch, repair.rng);
          if (claims.has(child) || !feasible(child)) continue;
          claims.claim(child);
          repaired++;
          accepted.push({ arch: child, origin: 'llm-repair' });
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
    claims.claim(arch);
    if (accepted.length < want) accepted.push({ arch, origin });
    else extra.push(arch);
  });
  for (const arch of extra) claims.release(arch);
  return {
    accepted,
    errors,
    stats: { ...stats, generated: stats.generated + list.length, illegal, duplicate, infeasible, repaired, accepted: stats.accepted + accepted.length },
  };
}
