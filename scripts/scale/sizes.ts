/**
 * Part 1, payload sizes in process (no server): a long search's result and
 * the state it carries across continue-as-new, with every evaluation in them
 * (as before they were bounded) and as they are now, for NAS-Bench-201 and,
 * when its predictor loads, OFA.
 */
import { resolveSearchConfig } from '../../src/config/resolve';
import { Nb201Table, resolveNb201Table } from '../../src/evaluators/nb201/table';
import { packState, unpackState } from '../../src/search/pack';
import { createEngine } from '../../src/search/search';
import type { Candidate, EvalResult, SearchConfig, SearchState } from '../../src/search/types';
import { inProcessEvaluator } from '../in-process';
import { json, kb, table } from './format';

/** Runs a search in this process and returns its final state (what the workflow holds at its end). */
async function finalState(config: SearchConfig, evaluate: (c: Candidate) => EvalResult | Promise<EvalResult>): Promise<SearchState> {
  const engine = createEngine(config);
  let state = engine.init();
  while (!engine.stopReason(state)) {
    const proposed = await engine.propose(state);
    state = proposed.state;
    if (proposed.candidates.length === 0) continue;
    const before = state.evaluated.length;
    state = engine.record(state, proposed.candidates, await Promise.all(proposed.candidates.map(evaluate)));
    if (!engine.stopReason(state)) state = await engine.observe(state, state.evaluated.slice(before));
  }
  return state;
}

function sizeRow(name: string, config: SearchConfig, state: SearchState): string[] {
  const unbounded = createEngine({ ...config, resultHistory: Number.MAX_SAFE_INTEGER }).summarize(state, 'budget');
  const bounded = createEngine(config).summarize(state, 'budget');
  const carriedBefore = { config, state, paused: false, stopRequested: false, runs: 1, hints: [] };
  const t0 = performance.now();
  const packed = packState(state);
  const t1 = performance.now();
  const back = unpackState(JSON.parse(JSON.stringify(packed)));
  const t2 = performance.now();
  if (JSON.stringify(back) !== JSON.stringify(state)) throw new Error(`${name}: the packed state does not come back exactly`);
  const carriedNow = { config, ...packed, paused: false, stopRequested: false, runs: 1, hints: [] };
  const fixed = json({ ...carriedNow, packed: undefined });
  const perEval = (json(carriedNow) - fixed) / state.evaluated.length;
  return [
    name,
    String(state.evaluated.length),
    kb(json(unbounded)),
    `${kb(json(bounded))} (${bounded.history.length} listed)`,
    kb(json(carriedBefore)),
    kb(json(carriedNow)),
    ((json(carriedBefore) - fixed) / state.evaluated.length).toFixed(0),
    perEval.toFixed(0),
    `${(t1 - t0).toFixed(0)} / ${(t2 - t1).toFixed(0)}`,
    Math.floor((1024 * 1024 - fixed) / perEval).toLocaleString('en-US'),
  ];
}

export async function payloadSizes(budget: number, ofaBudget: number): Promise<string> {
  const rows: string[][] = [];
  const nb201 = Nb201Table.load(resolveNb201Table());
  for (const strategy of ['evolution', 'random']) {
    const config = resolveSearchConfig({ budget, strategy, dataset: 'cifar10', seed: 1 });
    rows.push(sizeRow(`NB201 ${strategy}`, config, await finalState(config, (c) => nb201.lookup(c.arch, config.dataset))));
  }
  let note = '';
  try {
    const predictor = inProcessEvaluator({ space: 'ofa-mbv3-w12', dataset: 'imagenet', evaluation: { evaluator: 'ofa-predictor', options: {} } });
    for (const [strategy, constraint] of [['evolution', { metric: 'flops', max: 400 }], ['random', undefined]] as const) {
      const config = resolveSearchConfig({ space: 'ofa-mbv3-w12', budget: ofaBudget, strategy, seed: 1, ...(constraint ? { constraint } : {}) });
      const state = await finalState(config, predictor);
      rows.push(sizeRow(`OFA w1.2 ${strategy}${constraint ? ' ≤400 MFLOPs' : ''}`, config, state));
    }
  } catch (err) {
    note = `\nOFA rows left out: ${(err as Error).message.split('\n')[0]}`;
  }
  return (
    '### Payload sizes (in process)\n\n' +
    table(
      ['search', 'evaluations', 'result with every evaluation KB', 'result now KB', 'carried state before KB', 'carried state now KB', 'carried bytes/eval before', 'carried bytes/eval now', 'pack+check / unpack ms', 'evaluations until 1 MB carried'],
      rows,
    ) +
    note
  );
}
