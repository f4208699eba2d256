/**
 * A GBNF grammar for a markdown answer made of given sections, in order, for
 * the embedded provider. Pure code, like json-grammar.ts.
 *
 * The Navigator must answer with its sections (# SUMMARY, # KEY PATTERNS,
 * # NAVIGATION DIRECTIONS). A 135M model left free dropped one in nearly every
 * answer, and each was asked for again: one more call per iteration, about a
 * fifth of a search's LLM time. Under this grammar the headings are written
 * for it, each body is bounded, and the answer always ends complete.
 */
import { gbnfString } from './json-grammar';

export interface SectionsGrammar {
  grammar: string;
  /** The longest answer the grammar admits, in characters (exact): a maxTokens this large never cuts it off. */
  maxChars: number;
}

/**
 * The request's side: headings in order, and the most characters each body
 * may take. A body cannot hold "#" (so no ## subsections): the bound is then
 * exact, and the answer fits the tokens its caller planned for.
 */
export interface SectionsSpec {
  headings: string[];
  maxCharsPerSection: number;
}

export function sectionsGrammar(spec: SectionsSpec): SectionsGrammar {
  if (spec.headings.length === 0) throw new Error('sections grammar: no headings');
  if (!Number.isInteger(spec.maxCharsPerSection) || spec.maxCharsPerSection < 1) throw new Error('sections grammar: maxCharsPerSection must be a positive integer');
  const n = spec.maxCharsPerSection;
  const headings = spec.headings.map((h, i) => `${i === 0 ? '' : '\n'}${h}\n`);
  // A body holds no "#": it can neither start a heading of its own nor drop one of the required.
  const lines = [`root ::= ${headings.map((h) => `${gbnfString(h)} body`).join(' ')}`, `body ::= [^#\\x00]{1,${n}}`];
  return { grammar: lines.join('\n') + '\n', maxChars: headings.reduce((sum, h) => sum + h.length + n, 0) };
}
