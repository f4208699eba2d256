import assert from 'node:assert/strict';
import { test } from 'node:test';
import { resolveSearchConfig } from '../src/config/resolve';
import { Rng } from '../src/lib/rng';
import { createClaims } from '../src/search/claims';
import { createEngine } from '../src/search/search';
import { reinforceStrategy, softmax, type ReinforceState } from '../src/search/strategies/reinforce';
import type { ProposeContext } from '../src/search/strategies/types';
import type { SearchResult } from '../src/search/summary';
import type { Observation, SearchConfig, SearchState } from '../src/search/types';
import { OPS, nb201Space } from '../src/spaces/nb201';
import { sposSpace } from '../src/spaces/spos';
import { ArchitectureError, type SearchSpace } from '../src/spaces/types';
import { nb201Table, runInProcess } from './helpers';

const uniqueKeys = (r: SearchResult) => new Set(r.history.map((e) => e.key)).size;

/** A whole search through the engine on the NAS-Bench-201 table, optionally carrying the state as JSON between batches. */
async function searchState(input: Record<string, unknown>, carryAsJson = false): Promise<SearchState> {
  const config = resolveSearchConfig(input);
  const engine = createEngine(config);
  const table = nb201Table();
  let state = engine.init();
  while (engine.stopReason(state) === undefined) {
    if (carryAsJson) state = JSON.parse(JSON.stringify(state)) as SearchState;
    const p = await engine.propose(state);
    state = engine.record(p.state, p.candidates, p.candidates.map((c) => table.lookup(c.arch, config.dataset)));
    if (engine.stopReason(state) === undefined) state = await engine.observe(state, state.evaluated.slice(-p.candidates.length));
  }
  return state;
}

test('reinforce: never proposes an architecture twice and spends exactly the budget', async () => {
  for (const budget of [1, 37, 600]) {
    // resultHistory: every evaluation in the result, not the last 500.
    const r = await runInProcess({ budget, strategy: 'reinforce', seed: 11, batchSize: 7, resultHistory: 2000 });
    assert.equal(r.evaluated, budget);
    assert.equal(uniqueKeys(r), budget);
    assert.equal(r.stopReason, 'budget');
  }
});

test('reinforce: the same seed gives the same search, another seed another', async () => {
  const a = await runInProcess({ budget: 60, strategy: 'reinforce', seed: 5 });
  const b = await runInProcess({ budget: 60, strategy: 'reinforce', seed: 5 });
  const c = await runInProcess({ budget: 60, strategy: 'reinforce', seed: 6 });
  assert.deepEqual(a, b);
  assert.notDeepEqual(a.history.map((e) => e.arch), c.history.map((e) => e.arch));
});

test('reinforce: the state is plain JSON and survives a round trip between batches (continue-as-new)', async () => {
  const input = { budget: 80, strategy: 'reinforce', seed: 9, batchSize: 6 };
  const direct = await searchState(input);
  const carried = await searchState(input, true);
  assert.deepEqual(carried, direct);
  const s = direct.strategy as ReinforceState;
  assert.equal(s.logits.length, 6);
  assert.ok(s.logits.every((row) => row.length === 5 && row.every(Number.isFinite)));
  assert.equal(typeof s.baseline, 'number');
  assert.ok(s.logits.some((row) => row.some((l) => l !== 0)), 'the policy moved');
});

test('reinforce: the policy learns to favour nor_conv_3x3 on the edges into node 3 (cifar10, 300 evaluations)', async () => {
  const conv = OPS.indexOf('nor_conv_3x3');
  for (const seed of [0, 1, 2]) {
    const s = (await searchState({ budget: 300, strategy: 'reinforce', seed, dataset: 'cifar10' })).strategy as ReinforceState;
    // Decisions 3, 4, 5 are the edges 0->3, 1->3, 2->3; uniform is 1/5.
    const p = [3, 4, 5].map((d) => softmax(s.logits[d]!)[conv]!);
    const mean = p.reduce((a, b) => a + b, 0) / p.length;
    assert.ok(mean > 0.25, `seed ${seed}: P(nor_conv_3x3) on edges into node 3 = ${p.map((x) => x.toFixed(3)).join(', ')}`);
    assert.ok(p.every((x) => x > 0.2), `seed ${seed}: ${p.join(', ')}`);
  }
});

test('reinforce beats random search on average (budget 150, cifar100, 10 seeds)', async () => {
  let rf = 0;
  let rnd = 0;
  for (let seed = 0; seed < 10; seed++) {
    rf += (await runInProcess({ budget: 150, strategy: 'reinforce', seed, dataset: 'cifar100' })).best!.valAcc;
    rnd += (await runInProcess({ budget: 150, strategy: 'random', seed, dataset: 'cifar100' })).best!.valAcc;
  }
  assert.ok(rf > rnd, `reinforce mean ${rf / 10} vs random ${rnd / 10}`);
});

test('reinforce: a FLOPs constraint is never violated and the best is feasible', async () => {
  const r = await runInProcess({ budget: 80, strategy: 'reinforce', seed: 2, constraint: { metric: 'flops', max: 40 } });
  assert.equal(r.evaluated, 80);
  for (const e of r.history) assert.ok(e.cost.flopsM <= 40, `${e.arch} has ${e.cost.flopsM} MFLOPs`);
  assert.ok(r.best && r.best.cost.flopsM <= 40);
});

test('reinforce: an infeasible candidate (latency known after evaluation) gets a penalised reward', async () => {
  const r = await runInProcess({
    budget: 60,
    strategy: 'reinforce',
    seed: 3,
    dataset: 'imagenet16',
    constraint: { metric: 'latency', max: 10, device: 'hwnb_pixel3' },
  });
  assert.equal(r.evaluated, 60);
  assert.ok(r.history.some((e) => !e.feasible));
  assert.ok(r.best && r.best.cost.latencyMs! <= 10);

  // The most accurate architecture, once infeasible, pushes the policy away from its choices.
  const strategy = reinforceStrategy.create(reinforceStrategy.options.parse({}), { config: {} as SearchConfig, space: nb201Space as SearchSpace<unknown> });
  const obs = (arch: string, valAcc: number, feasible: boolean): Observation => ({ arch, key: arch, origin: 'random', valAcc, cost: { flopsM: 0, paramsM: 0 }, feasible, iteration: 1 });
  const weak = '|none~0|+|none~0|none~1|+|skip_connect~0|none~1|none~2|';
  const strong = '|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|skip_connect~0|nor_conv_3x3~1|nor_conv_3x3~2|';
  const after = async (feasible: boolean) =>
    (await strategy.observe(strategy.init(), [obs(weak, 30, true), obs(strong, 90, feasible)], {} as never)) as ReinforceState;
  const conv = OPS.indexOf('nor_conv_3x3');
  assert.ok((await after(true)).logits[5]![conv]! > 0);
  assert.ok((await after(false)).logits[5]![conv]! < 0);
});

test('reinforce refuses a space without decisions when the config is resolved, naming it', () => {
  assert.throws(
    () => resolveSearchConfig({ space: 'ofa-mbv3-w12', strategy: 'reinforce', budget: 5 }),
    /strategy\.name: strategy reinforce needs a space with a categorical encoding \(decisions\); space ofa-mbv3-w12 has none/,
  );
});

test('reinforce options are checked (strict, with defaults)', () => {
  assert.deepEqual(reinforceStrategy.options.parse({}), { learningRate: 0.01, momentum: 0.9, optimizer: 'adam' });
  assert.throws(() => resolveSearchConfig({ budget: 5, strategy: { name: 'reinforce', momentum: 1 } }), /strategy\.momentum/);
  assert.throws(() => resolveSearchConfig({ budget: 5, strategy: { name: 'reinforce', lr: 0.1 } }), /unknown field\(s\) 'lr'/);
});

test('decisions: NAS-Bench-201 and SPOS encode and decode every choice', () => {
  const rng = Rng.fromSeed(1);
  for (const space of [nb201Space, sposSpace] as SearchSpace<unknown>[]) {
    const d = space.decisions!;
    assert.ok(d.choices.every((c) => c.length >= 2));
    for (let i = 0; i < 50; i++) {
      const arch = space.sample(rng);
      const indices = d.encode(arch);
      assert.equal(indices.length, d.choices.length);
      assert.equal(space.format(d.decode(indices)), space.format(arch));
      assert.deepEqual(d.encode(d.decode(indices)), indices);
    }
    assert.throws(() => d.decode([0]), ArchitectureError);
    assert.throws(() => d.decode(d.choices.map((c) => c.length)), ArchitectureError);
  }
  assert.equal(nb201Space.decisions!.choices.length, 6);
  assert.deepEqual(nb201Space.decisions!.choices[0], OPS);
  assert.equal(sposSpace.decisions!.choices.length, 20);
  assert.deepEqual(sposSpace.decisions!.encode(sposSpace.parse('01230011223301230123')).slice(0, 4), [0, 1, 2, 3]);
});

test('reinforce is generic: on SPOS (20 decisions of 4 ops) it learns a synthetic reward', async () => {
  // Reward: the share of xception blocks. No evaluator needed: observations are made up.
  const strategy = reinforceStrategy.create(reinforceStrategy.options.parse({ learningRate: 0.05 }), {
    config: {} as SearchConfig,
    space: sposSpace as SearchSpace<unknown>,
  });
  const rng = Rng.fromSeed(3);
  const claims = createClaims(sposSpace as SearchSpace<unknown>, []);
  const proposed = new Set<string>();
  let state = strategy.init() as ReinforceState;
  assert.equal(state.logits.length, 20);
  for (let iteration = 1; iteration <= 30; iteration++) {
    const ctx = { space: sposSpace, rng, claims, isFeasible: () => true, pending: 0, history: [], takeHints: () => [] } as unknown as ProposeContext;
    const out = await strategy.propose(state, ctx, 10);
    assert.equal(out.proposals.length, 10);
    const batch: Observation[] = out.proposals.map((p) => {
      const arch = sposSpace.format(p.arch as never);
      proposed.add(arch);
      const share = [...arch].filter((c) => c === '3').length / arch.length;
      return { arch, key: arch, origin: p.origin, valAcc: 100 * share, cost: { flopsM: 0, paramsM: 0 }, feasible: true, iteration };
    });
    state = (await strategy.observe(out.state, batch, ctx)) as ReinforceState;
  }
  assert.equal(proposed.size, 300, 'every proposal new');
  const pXception = state.logits.map((row) => softmax(row)[3]!);
  assert.ok(pXception.every((p) => p > 0.25), pXception.map((p) => p.toFixed(2)).join(' '));
});
