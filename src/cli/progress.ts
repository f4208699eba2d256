import { formatScore } from '../client/search';
import { formatDuration as formatMs } from '../lib/duration';
import type { SearchResult } from '../search/summary';
import type { SearchProgress } from '../workflows/api';

/**
 * The live view of a running search: a bar with evaluated/budget, the best
 * accuracy so far and an ETA, redrawn in place on a terminal; one plain line
 * per change when stdout is a file or a pipe (logs, CI), without the ETA's
 * second-by-second churn.
 */
export interface ProgressView {
  update(p: SearchProgress): void;
  /** Ends the line being redrawn, before anything else is printed. */
  finish(): void;
}

/** Time left from the pace of the evaluations seen so far (the last few minutes of them). */
export function createEta(windowMs = 5 * 60_000): (p: SearchProgress, now: number) => string {
  let samples: { t: number; evaluated: number }[] = [];
  return (p, now) => {
    if (p.status === 'paused') {
      samples = []; // time spent paused says nothing about the pace
      return 'paused';
    }
    if (p.status === 'starting' || p.status === 'completed') return ''; // the budget is not known yet, or nothing is left
    if (p.evaluated >= p.budget) return 'finishing';
    const last = samples[samples.length - 1];
    if (!last || last.evaluated !== p.evaluated) samples.push({ t: now, evaluated: p.evaluated });
    while (samples.length > 2 && now - samples[0]!.t > windowMs) samples.shift();
    const first = samples[0]!;
    const newest = samples[samples.length - 1]!;
    if (newest.evaluated <= first.evaluated || newest.t <= first.t) return 'ETA -';
    const msPerEval = (newest.t - first.t) / (newest.evaluated - first.evaluated);
    const left = Math.max(0, (p.budget - p.evaluated) * msPerEval - (now - newest.t));
    return `ETA ${formatDuration(left)}`;
  };
}

/** How the ETA reads: two units, to the second ("45s", "1m 05s", "2h 03m"). */
function formatDuration(ms: number): string {
  return formatMs(ms, { units: 2, smallest: 's' });
}

export function progressBar(p: SearchProgress, eta: string, width = 30): string {
  const frac = p.budget > 0 ? Math.min(1, p.evaluated / p.budget) : 0;
  const filled = Math.round(frac * width);
  const bar = '#'.repeat(filled) + '-'.repeat(width - filled);
  const best = p.best ? `best ${formatScore(p.evaluator, p.best.valAcc)}` : 'best -';
  const failed = p.failed > 0 ? `, ${p.failed} failed` : '';
  const screened = p.ranking ? `, ${p.ranking.screened} screened out` : '';
  const llmFailures = typeof p.stats?.llmFailures === 'number' && p.stats.llmFailures > 0 ? `, ${p.stats.llmFailures} LLM failures` : '';
  return `[${bar}] ${p.evaluated}/${p.budget} evaluated  ${best}  ${eta ? `${eta}  ` : ''}(iteration ${p.iteration}, ${p.status}${failed}${screened}${llmFailures})`;
}

/** The progress a search ended with, from its result: what the view draws last, so it never ends short of the result. */
export function finalProgress(last: SearchProgress, result: SearchResult): SearchProgress {
  const { ranking, best } = result;
  return {
    ...last,
    status: 'completed',
    evaluated: result.evaluated,
    budget: result.budget,
    iteration: result.iterations,
    inFlight: 0,
    failed: result.failedTotal ?? result.failed.length,
    stopReason: result.stopReason,
    ...(best ? { best } : {}),
    ...(ranking ? { ranking } : {}),
  };
}

export function createProgressView(out: NodeJS.WriteStream = process.stdout, now: () => number = Date.now): ProgressView {
  const eta = createEta();
  const tty = Boolean(out.isTTY);
  let drawn = false;
  let lastKey = '';
  return {
    update(p) {
      const line = progressBar(p, eta(p, now()));
      if (tty) {
        // Clear the whole line (a shorter status must not leave the end of a longer one)
        // and stay within one row, since \r cannot climb back over a wrapped line.
        const columns = out.columns ?? 0;
        out.write(`\r\x1b[2K${columns > 1 ? line.slice(0, columns - 1) : line}`);
        drawn = true;
        return;
      }
      const key = `${p.evaluated}|${p.budget}|${p.status}|${p.iteration}|${p.best?.valAcc ?? ''}|${p.failed}`;
      if (key === lastKey) return;
      lastKey = key;
      out.write(`${line}\n`);
    },
    finish() {
      if (drawn) out.write('\n');
      drawn = false;
    },
  };
}
