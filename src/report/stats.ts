import { count, duration, words } from './units';

/**
 * A strategy's own figures (`stats` of the result, e.g. CoLLM-NAS's
 * `llmMs`) as rows people read: a label, the value in its unit, and the
 * field's name for those who look it up in the result's JSON.
 */

type Format = (value: number) => string;

const LABELS: Record<string, string | [string, Format]> = {
  promptVersion: 'prompt version',
  llms: 'LLMs in use',
  llmCalls: 'LLM calls',
  navigatorCalls: 'Navigator calls',
  generatorCalls: 'Generator calls',
  summaries: 'Navigator summaries (its conversation condensed)',
  tokensIn: 'tokens in (prompts)',
  tokensOut: 'tokens out (answers)',
  llmMs: ['LLM time', duration],
  generated: 'architectures the Generator wrote',
  invalidJson: 'answers that were not the JSON asked for',
  illegal: 'architectures outside the search space',
  duplicate: 'duplicates (evaluated before or repeated in an answer)',
  infeasible: 'architectures over the cost constraint',
  retries: 'Generator calls repeated with the errors',
  mutationFilled: 'candidates filled in by mutation',
  accepted: 'Generator candidates evaluated',
  llmFailures: 'LLM calls that failed and were ridden out',
  navigatorFixes: 'Navigator answers asked for again (sections missing)',
  repaired: 'duplicates mutated into new architectures',
  rankCalls: 'LLM ranking calls',
  rankKeptOrder: 'rankings that kept the pool\'s order',
  lastLlmFailure: 'last LLM failure',
  llmFailuresTransient: 'of which retries spent on failures that may pass',
  llmFailuresRefused: 'of which requests the server refused',
  llmContribution: 'what the LLM contributed',
};

/** Fields no label names are shown in words; those in milliseconds (`...Ms`) as durations. */
function fallback(field: string): [string, Format] {
  if (/Ms$/.test(field)) return [words(field.slice(0, -2)) + ' time', duration];
  return [words(field), count];
}

export interface StatRow {
  label: string;
  value: string;
  field: string;
}

export function statRows(stats: Readonly<Record<string, number | string>>): StatRow[] {
  return Object.entries(stats).map(([field, value]) => {
    const known = LABELS[field];
    const [label, format] = typeof known === 'string' ? [known, count] : (known ?? fallback(field));
    return { label, value: typeof value === 'number' ? format(value) : value, field };
  });
}
