import { SPACES } from '../spaces';
import type { ReportEvaluation } from './types';

/**
 * Which of an architecture's choices the accuracy depends on most, for
 * spaces made of independent categorical decisions (NAS-Bench-201's six
 * edges, SPOS's twenty blocks): each decision's main effect, the share of
 * the accuracy's variance that the decision's choice explains (η², the
 * correlation ratio). The sample is what the search evaluated, and a search
 * gathers around good choices, so this describes that sample, not the space.
 */

export interface ChoiceEffect {
  /** The option as the space's JSON writes it, e.g. "nor_conv_3x3". */
  choice: string;
  meanAcc: number;
  evaluations: number;
}

export interface DecisionEffect {
  /** The decision, as the space names it (e.g. "Edge 0->3 (output from the input)"). */
  decision: string;
  /** Share of the accuracy's variance that this decision's choice explains, 0 to 1. */
  importance: number;
  /** The options seen, the best mean accuracy first. */
  choices: ChoiceEffect[];
}

/** Evaluations it takes before the effects say anything. */
export const MIN_EVALUATIONS = 10;

const mean = (xs: readonly number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;

/** The choice indices of each evaluation the space can read; evaluations it cannot (or with no accuracy) are left out. */
function encoded(evaluations: readonly ReportEvaluation[], space: string): { indices: number[]; valAcc: number }[] | undefined {
  const plugin = SPACES.has(space) ? SPACES.get(space) : undefined;
  const decisions = plugin?.decisions;
  if (!plugin || !decisions) return undefined;
  return evaluations.flatMap((e) => {
    if (!Number.isFinite(e.valAcc)) return [];
    try {
      return [{ indices: decisions.encode(plugin.parse(e.arch)), valAcc: e.valAcc }];
    } catch {
      return [];
    }
  });
}

/** Each decision's effect, the largest first; undefined for a space without categorical decisions, or too few evaluations. */
export function decisionEffects(evaluations: readonly ReportEvaluation[], space: string | undefined): DecisionEffect[] | undefined {
  if (!space) return undefined;
  const rows = encoded(evaluations, space);
  if (!rows || rows.length < MIN_EVALUATIONS) return undefined;
  const plugin = SPACES.get(space);
  const choices = plugin.decisions!.choices;
  const overall = mean(rows.map((r) => r.valAcc));
  const total = rows.reduce((n, r) => n + (r.valAcc - overall) ** 2, 0);
  if (total === 0) return undefined;
  // Named by the space's dimensions where there is one per decision (SPOS names stages, not blocks).
  const name = (d: number): string => (plugin.dimensions.length === choices.length ? plugin.dimensions[d]! : `decision ${d + 1}`);
  return choices
    .map((options, d): DecisionEffect => {
      const groups = options.map((option, c) => ({ choice: typeof option === 'string' ? option : JSON.stringify(option), accs: rows.filter((r) => r.indices[d] === c).map((r) => r.valAcc) }));
      const seen = groups.filter((g) => g.accs.length > 0);
      const between = seen.reduce((n, g) => n + g.accs.length * (mean(g.accs) - overall) ** 2, 0);
      return {
        decision: name(d),
        importance: between / total,
        choices: seen.map((g) => ({ choice: g.choice, meanAcc: mean(g.accs), evaluations: g.accs.length })).sort((a, b) => b.meanAcc - a.meanAcc),
      };
    })
    .sort((a, b) => b.importance - a.importance);
}
