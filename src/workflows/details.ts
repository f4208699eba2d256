import { llmFailureText } from '../search/describe';
import type { SearchProgress, SearchStatus } from './api';

/**
 * The search as the Temporal Web UI shows it under "Current details" (the
 * workflow's `setCurrentDetails`, read by the UI's metadata query): where it
 * stands, its best so far and what went wrong, without anyone running the
 * `progress` query by hand. Temporal markdown, a fact a line.
 */

const STATUS: Record<SearchStatus, string> = {
  starting: 'Starting',
  running: 'Running',
  ranking: 'Running: ranking a pool',
  evaluating: 'Running: evaluating a batch',
  'asking the LLM': 'Running: waiting for the LLM',
  paused: 'Paused',
  stopping: 'Stopping',
  completed: 'Completed',
};

/** Text of somebody else's (an architecture, a server's message) as a code span: markdown and HTML in it stay text. */
export function codeSpan(text: string, max = 160): string {
  const flat = text.replace(/[\r\n`]+/g, ' ').trim();
  return `\`${flat.length > max ? `${flat.slice(0, max - 1)}…` : flat}\``;
}

/**
 * `summary` (src/search/describe.ts) comes first: a run after continue-as-new,
 * or one started with `temporal workflow start`, has no static summary.
 */
export function currentDetails(p: SearchProgress, summary: string, workflowId: string): string {
  const lines = [summary, `**${STATUS[p.status]}** · ${p.evaluated} / ${p.budget} evaluated · iteration ${p.iteration}${p.failed > 0 ? ` · ${p.failed} failed` : ''}`];
  if (p.status === 'paused') lines.push(`Nothing new is evaluated until \`collm-nas resume ${workflowId}\` (or the \`resume\` signal); Temporal still lists it as Running (\`NasPaused = true\` finds the paused ones).`);
  if (p.best) {
    const { cost } = p.best;
    const costs = [`${cost.flopsM.toFixed(1)} MFLOPs`, `${cost.paramsM.toFixed(2)} M params`, ...(cost.latencyMs !== undefined ? [`${cost.latencyMs.toFixed(2)} ms`] : [])];
    lines.push(`**Best so far** ${p.best.valAcc.toFixed(2)} by ${p.evaluator} · ${costs.join(' · ')}`, codeSpan(p.best.arch, 400));
  } else {
    lines.push('**Best so far** none yet');
  }
  if (p.ranking) {
    const r = p.ranking;
    lines.push(`**Ranking** ${r.scored} scored in ${r.pools} pools, ${r.screened} screened out${r.fallbacks > 0 ? `, ${r.fallbacks} fell back` : ''}`);
    if (r.lastFailure) lines.push(`Last ranking failure: ${codeSpan(r.lastFailure)}`);
  }
  const llm = llmFailureText(p.stats, codeSpan);
  if (llm.failures) lines.push(`**LLM failures** ${llm.failures}`);
  if (llm.contribution) lines.push(`**${llm.contribution}**`);
  if (p.stopReason) lines.push(`**Ended** ${p.stopReason}`);
  return lines.join('\n');
}
