/**
 * What the benchmark prints: a line per trial as it ends, and at the end a
 * markdown table per trial kind and in all.
 */
import type { Outcome } from './outcome';
import { FAILING_ATTEMPTS, KINDS, type Plan } from './plan';

/** The trial's line: its search, whether it held, what was done to it, and up to 12 of its problems. */
export function trialLine(o: Outcome, plan: Plan): string {
  const c = plan.config;
  return (
    `trial ${o.index} ${plan.kind} (${c.strategy}, ${c.dataset}, budget ${c.budget}, batch ${c.batchSize}, seed ${c.seed}${c.rank ? `, ranked by ${(c.rank as { by: string }).by}` : ''}): ` +
    `${o.finished ? 'finished' : 'NOT finished'}, ${o.equal ? 'equal' : 'NOT equal'}, ${o.runs} runs, ` +
    `${o.kills} kills, ${o.restarts} restarts, ${o.hangs} hangs, ${(o.wallMs / 1000).toFixed(1)} s` +
    (o.problems.length ? `\n  ${o.problems.slice(0, 12).join('\n  ')}${o.problems.length > 12 ? `\n  ... and ${o.problems.length - 12} more` : ''}` : '')
  );
}

export function table(outcomes: Outcome[]): string {
  const rows = [
    '| trial kind | trials | kills | restarts | searches finished | results equal to the reference | duplicate evaluations | missing evaluations | mean wall time | notes |',
    '|---|---:|---:|---:|---:|---:|---:|---:|---:|---|',
  ];
  const line = (label: string, os: Outcome[]): string => {
    const sum = (f: (o: Outcome) => number) => os.reduce((a, o) => a + f(o), 0);
    const wall = os.length ? sum((o) => o.wallMs) / os.length / 1000 : 0;
    const notes: string[] = [];
    const kills = sum((o) => o.kills);
    if (kills) notes.push(`${sum((o) => o.killEvents)} kill moments: ${sum((o) => o.midEval)} with evaluations running on a killed worker, ${sum((o) => o.midLlm)} with an LLM call out on one`);
    if (os.some((o) => o.kind === 'server-restart')) notes.push(`${sum((o) => o.midEvalStops)} server stops with evaluations running`);
    if (sum((o) => o.hangs)) notes.push(`${sum((o) => o.hangs)} hangs (SIGSTOP); ${sum((o) => o.frozen)} evaluations frozen, ${sum((o) => o.caught)} retried after a heartbeat timeout, ${sum((o) => o.movedElsewhere)} completed on the other worker`);
    if (sum((o) => o.failed)) notes.push(`${sum((o) => o.failed)} candidates failed for good, ${sum((o) => o.failedAtLimit)} after exactly ${FAILING_ATTEMPTS} attempts; every search reached its budget`);
    if (kills || sum((o) => o.hangs)) notes.push(`redone after a heartbeat timeout: ${sum((o) => o.evalsRetried)} evaluations, ${sum((o) => o.llmRetried)} LLM calls`);
    if (os.length) notes.push(`${(sum((o) => o.runs) / os.length).toFixed(1)} runs (continue-as-new) per search`);
    return `| ${label} | ${os.length} | ${kills} | ${sum((o) => o.restarts)} | ${sum((o) => (o.finished ? 1 : 0))} | ${sum((o) => (o.equal ? 1 : 0))} | ${sum((o) => o.duplicates)} | ${sum((o) => o.missing)} | ${wall.toFixed(1)} s | ${notes.join('; ')} |`;
  };
  for (const kind of KINDS) {
    const os = outcomes.filter((o) => o.kind === kind);
    if (os.length) rows.push(line(kind, os));
  }
  rows.push(line('all', outcomes));
  return rows.join('\n');
}
