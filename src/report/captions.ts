import { STRATEGIES } from '../search/strategies';
import type { Origin } from '../search/types';
import type { AxisFocus } from './axis';
import { fixed } from './html';

/**
 * Words that depend on the search: its strategy (only CoLLM-NAS has a
 * Navigator and a Generator), the origins its candidates have, what its
 * charts mark and leave out.
 */

/** The strategy's name and how it proposes architectures, as the strategy describes itself. */
export function strategyText(name: string | undefined): string {
  if (name === undefined) return '-';
  return STRATEGIES.has(name) ? `${name} (${STRATEGIES.get(name).description})` : name;
}

// Keyed by every origin, so a new one cannot go without its description.
const ORIGIN_TEXT: Record<Origin | 'unknown', string> = {
  seed: 'a warm-start seed (a best architecture of an earlier search)',
  random: 'sampled at random',
  mutation: 'a mutation of an earlier architecture',
  policy: 'sampled from the learned policy',
  llm: 'written by the Generator LLM',
  'llm-retry': 'written by the Generator when asked again with its errors',
  'llm-repair': 'a Generator duplicate, mutated into a new architecture',
  fill: 'a mutation of a best architecture, filling a batch the Generator left short',
  unknown: 'not known yet: only the workflow\'s state knows it until the run ends',
};

export function originText(origin: string): string {
  return ORIGIN_TEXT[origin as Origin] ?? origin;
}

/** What the best-so-far chart marks: a Navigator's turns only where there were some (collm), steering hints where sent. */
export function marksText(marks: { strategies: number; hints: number }): string {
  const parts = [
    ...(marks.strategies > 0 ? ['▲ each new strategy of the Navigator'] : []),
    ...(marks.hints > 0 ? ['◆ each steering hint'] : []),
  ];
  return parts.length > 0 ? `; markers: ${parts.join(', ')}` : '';
}

/** What an axis focused on the band that matters leaves out, said where the chart is. */
export function clippedText(focus: AxisFocus | undefined, below: readonly number[]): string {
  if (!focus || below.length === 0) return '';
  const lowest = Math.min(...below);
  return `; the axis starts at ${axisValue(focus.min)}: ${below.length} evaluation${below.length === 1 ? '' : 's'} below it (lowest ${fixed(lowest)}) ${below.length === 1 ? 'is' : 'are'} drawn on its floor as ▼`;
}

/** An axis's start as its ticks show it: 78, 0.35, 89.5. */
export function axisValue(v: number): string {
  return String(Number(v.toFixed(6)));
}
