/**
 * The fault-free reference runs: each trial's search run again in this
 * process, without Temporal, workers or faults. A faulty run must end with
 * exactly this result (less what cannot be the same: LLM wall time and the
 * wording of an error), which is what shows that no fault changed the search.
 */
import { isDeepStrictEqual } from 'node:util';
import { resolveSearchConfig } from '../../src/config/resolve';
import { providerFor } from '../../src/llm';
import { createEngine, runSearch } from '../../src/search/search';
import type { SearchResult } from '../../src/search/summary';
import type { SearchConfig } from '../../src/search/types';
import type { Env } from './env';
import type { Plan } from './plan';
import { inProcessEvaluator } from '../in-process';

/** The search without Temporal or faults: what every faulty run must equal. */
export async function reference(plan: Plan, raw: Record<string, unknown>, env: Env): Promise<SearchResult> {
  const config = resolveSearchConfig(raw);
  if (plan.kind === 'failing') return referenceWithFailures(config);
  return runSearch(
    config,
    (c) => env.table.lookup(c.arch, config.dataset),
    plan.kind === 'kill-collm' ? { llm: (call) => providerFor(call.llm).chat(call.request) } : {},
  );
}

/**
 * runSearch has no notion of a failed evaluation; this is its loop with the
 * workflow's handling of one (recorded as failed, the search goes on), and
 * the same evaluation program, run here.
 */
async function referenceWithFailures(config: SearchConfig): Promise<SearchResult> {
  // The worker's allow-list: node, which runs the flaky program.
  const evaluate = inProcessEvaluator(config, { command: { allowedPrograms: [process.execPath] } });
  const engine = createEngine(config);
  let state = engine.init();
  for (;;) {
    const reason = engine.stopReason(state);
    if (reason) return engine.summarize(state, reason);
    const proposed = await engine.propose(state, {});
    state = proposed.state;
    if (proposed.candidates.length === 0) continue;
    const outcomes = await Promise.all(proposed.candidates.map((c) => evaluate(c).then((r) => ({ c, r }), (e: unknown) => ({ c, e }))));
    const before = state.evaluated.length;
    state = engine.recordFailures(state, outcomes.flatMap((o) => ('e' in o ? [{ candidate: o.c, error: String(o.e) }] : [])));
    const ok = outcomes.flatMap((o) => ('r' in o ? [o] : []));
    state = engine.record(state, ok.map((o) => o.c), ok.map((o) => o.r));
    if (engine.stopReason(state) === undefined) state = await engine.observe(state, state.evaluated.slice(before), {});
  }
}

/** What must be equal: everything but the LLM's wall time and the wording of a failure. */
export function comparable(r: SearchResult): unknown {
  const { stats, failed, ...rest } = r;
  const { llmMs: _wallTime, ...sameStats } = stats ?? {};
  return { ...rest, stats: stats ? sameStats : undefined, failed: failed.map(({ error: _wording, ...f }) => f) };
}

export function firstDifference(a: unknown, b: unknown, path = ''): string {
  if (isDeepStrictEqual(a, b)) return '';
  if (a && b && typeof a === 'object' && typeof b === 'object') {
    for (const k of new Set([...Object.keys(a), ...Object.keys(b)])) {
      const d = firstDifference((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k], `${path}.${k}`);
      if (d) return d;
    }
  }
  return `${path || '(result)'}: ${JSON.stringify(a)?.slice(0, 200)} vs reference ${JSON.stringify(b)?.slice(0, 200)}`;
}
