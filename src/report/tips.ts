import { fixed } from './html';
import type { ReportEvaluation } from './types';

/**
 * What a chart point's tooltip says, as lines (a tooltip does not wrap text
 * itself): the whole architecture, wrapped, and its figures.
 */

/** Characters per tooltip line: a tooltip wider than its chart is cut off. */
export const TIP_WIDTH = 60;

/** Characters after which a line may break: the separators of architecture strings. */
const BREAK_AFTER = /[|,;:+~\]) ]/;

/**
 * `text` in lines of at most `width` characters, broken after a separator
 * where there is one; the lines joined give `text` back, character for character.
 */
export function wrap(text: string, width = TIP_WIDTH): string[] {
  const lines: string[] = [];
  let rest = text;
  while (rest.length > width) {
    let cut = width;
    for (let i = width - 1; i >= width / 2; i--) {
      if (BREAK_AFTER.test(rest[i]!)) {
        cut = i + 1;
        break;
      }
    }
    lines.push(rest.slice(0, cut));
    rest = rest.slice(cut);
  }
  if (rest.length > 0 || lines.length === 0) lines.push(rest);
  return lines;
}

/** At most `max` characters of `text` on one line, whitespace collapsed. */
export function gist(text: string, max: number): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}

/** An evaluation's tooltip: its architecture whole, then its accuracies, costs, iteration and origin. */
export function evaluationTip(e: ReportEvaluation, index: number, accuracyLabel: string): string[] {
  const costs = [`FLOPs: ${fixed(e.cost.flopsM)} M`, `params: ${fixed(e.cost.paramsM, 3)} M`];
  if (e.cost.latencyMs !== undefined) costs.push(`latency: ${fixed(e.cost.latencyMs)} ms`);
  const figures = [
    `${accuracyLabel}: ${fixed(e.valAcc)}` + (e.testAcc !== undefined ? `, test accuracy: ${fixed(e.testAcc)}` : ''),
    costs.join(', '),
    `evaluation #${index + 1}, iteration ${e.iteration}, origin ${e.origin}` + (e.feasible ? '' : ', over the constraint'),
  ];
  return [...wrap(e.arch), ...figures.flatMap((line) => wrap(line))];
}
