import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ConfigError, resolveSearchConfig } from '../src/config/resolve';
import { Rng } from '../src/lib/rng';
import { createEngine } from '../src/search/search';
import type { SearchResult } from '../src/search/summary';
import type { SearchState } from '../src/search/types';
import { costNb201, parseNb201 } from '../src/spaces/nb201';
import { nb201Table, runInProcess } from './helpers';

const uniqueKeys = (r: SearchResult) => new Set(r.history.map((e) => e.key)).size;

for (const strategy of ['random', 'evolution'] as const) {
  test(`${strategy}: never proposes an architecture twice and spends exactly the budget`, async () => {
    for (const budget of [1, 37, 600]) {
      // resultHistory: every evaluation in the result, not the last 500.
      const r = await runInProcess({ budget, strategy, seed: 11, batchSize: 7, resultHistory: 2000 });
      assert.equal(r.evaluated, budget);
      assert.equal(uniqueKeys(r), budget);
      assert.equal(r.stopReason, 'budget');
    }
  });

  test(`${strategy}: the same seed gives the same search, another seed another`, async () => {
    const a = await runInProcess({ budget: 60, strategy, seed: 5 });
    const b = await runInProcess({ budget: 60, strategy, seed: 5 });
    const c = await runInProcess({ budget: 60, strategy, seed: 6 });
    assert.deepEqual(a, b);
    assert.notDeepEqual(a.history.map((e) => e.arch), c.history.map((e) => e.arch));
  });

  test(`${strategy}: a FLOPs constraint is never violated and the best is feasible`, async () => {
    const r = await runInProcess({ budget: 80, strategy, seed: 2, constraint: { metric: 'flops', max: 40 } });
    assert.equal(r.evaluated, 80);
    for (const e of r.history) assert.ok(e.cost.flopsM <= 40, `${e.arch} has ${e.cost.flopsM} MFLOPs`);
    assert.ok(r.best && r.best.cost.flopsM <= 40);
  });
}

test('evolution beats random search on average (sanity check of the strategy)', async () => {
  let evo = 0;
  let rnd = 0;
  for (let seed = 0; seed < 10; seed++) {
    evo += (await runInProcess({ budget: 150, strategy: 'evolution', seed, dataset: 'cifar100' })).best!.valAcc;
    rnd += (await runInProcess({ budget: 150, strategy: 'random', seed, dataset: 'cifar100' })).best!.valAcc;
  }
  assert.ok(evo > rnd, `evolution mean ${evo / 10} vs random ${rnd / 10}`);
});

test('evolution mutates tournament winners once the population is full', async () => {
  const r = await runInProcess({ budget: 50, strategy: { name: 'evolution', populationSize: 10, sampleSize: 3 }, seed: 4, batchSize: 5 });
  const origins = r.history.map((e) => e.origin);
  assert.ok(origins.slice(0, 10).every((o) => o === 'random'));
  assert.ok(origins.slice(10).every((o) => o === 'mutation'), origins.join(','));
});

test('a target accuracy stops the search early', async () => {
  const r = await runInProcess({ budget: 1000, strategy: 'evolution', seed: 1, targetAccuracy: 91 });
  assert.equal(r.stopReason, 'target');
  assert.ok(r.best!.valAcc >= 91);
  assert.ok(r.evaluated < 1000);
});

test('a latency constraint filters the best after evaluation', async () => {
  const r = await runInProcess({
    budget: 60,
    strategy: 'random',
    seed: 3,
    dataset: 'imagenet16',
    constraint: { metric: 'latency', max: 10, device: 'hwnb_pixel3' },
  });
  assert.ok(r.history.some((e) => !e.feasible), 'some candidates exceed 10 ms');
  assert.ok(r.best && r.best.cost.latencyMs! <= 10);
  for (const e of r.topK) assert.ok(e.feasible);
});

test('seed architectures are evaluated first and duplicates among them are skipped', async () => {
  const seeds = [
    '|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|skip_connect~0|nor_conv_3x3~1|nor_conv_3x3~2|',
    '|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|skip_connect~0|nor_conv_3x3~1|nor_conv_3x3~2|',
    '|none~0|+|none~0|none~1|+|skip_connect~0|none~1|none~2|',
  ];
  const r = await runInProcess({ budget: 10, strategy: 'random', seedArchitectures: seeds });
  assert.deepEqual(r.history.slice(0, 2).map((e) => e.arch), [seeds[0], seeds[2]]);
  assert.deepEqual(r.history.slice(0, 2).map((e) => e.origin), ['seed', 'seed']);
  assert.equal(uniqueKeys(r), 10);
});

test('strategies never see test accuracy', async () => {
  const engine = createEngine(resolveSearchConfig({ budget: 20, strategy: 'evolution', seed: 1 }));
  let state = engine.init();
  const table = nb201Table();
  while (state.evaluated.length < 20) {
    const p = await engine.propose(state);
    state = engine.record(p.state, p.candidates, p.candidates.map((c) => table.lookup(c.arch, 'cifar10')));
    state = await engine.observe(state, state.evaluated.slice(-p.candidates.length));
  }
  assert.ok(state.evaluated.every((e) => e.testAcc !== undefined), 'the search log keeps test accuracy for the report');
  assert.doesNotMatch(JSON.stringify(state.strategy), /testAcc/);
});

test('the state survives a JSON round trip mid-search (what continue-as-new carries)', async () => {
  const engine = createEngine(resolveSearchConfig({ budget: 40, strategy: 'evolution', seed: 9, batchSize: 6 }));
  const table = nb201Table();
  const step = async (s: SearchState) => {
    const p = await engine.propose(s);
    const recorded = engine.record(p.state, p.candidates, p.candidates.map((c) => table.lookup(c.arch, 'cifar10')));
    return engine.observe(recorded, recorded.evaluated.slice(-p.candidates.length));
  };
  let direct = engine.init();
  let carried = engine.init();
  for (let i = 0; i < 6; i++) {
    direct = await step(direct);
    carried = await step(JSON.parse(JSON.stringify(carried)) as SearchState);
  }
  assert.deepEqual(carried, direct);
});

test('the seeded generator is uniform enough and reproducible', async () => {
  const rng = Rng.fromSeed(42);
  const counts = [0, 0, 0, 0, 0];
  for (let i = 0; i < 50_000; i++) counts[rng.int(5)]!++;
  for (const c of counts) assert.ok(Math.abs(c - 10_000) < 400, String(counts));
  assert.deepEqual(Rng.fromSeed(42).state(), Rng.fromSeed(42).state());
  assert.notDeepEqual(Rng.fromSeed(42).state(), Rng.fromSeed(43).state());
});

test('config validation names every bad field with a fix', async () => {
  const problems = (input: unknown): string[] => {
    try {
      resolveSearchConfig(input);
    } catch (err) {
      assert.ok(err instanceof ConfigError);
      return err.problems;
    }
    assert.fail('expected a ConfigError');
  };
  assert.match(problems({ budget: 0 }).join(), /budget: must be at least 1/);
  assert.match(problems({ budget: 10, space: 'darts' }).join(), /space: unknown search space 'darts'; use one of nb201/);
  assert.match(problems({ budget: '100' }).join(), /budget: must be a whole number/);
  assert.match(problems({ budget: 10, dataset: 'imagenet' }).join(), /dataset: unknown dataset 'imagenet' for space nb201; use one of cifar10, cifar100, imagenet16/);
  assert.match(problems({ budget: 10, seedArchitectures: ['|conv~0|+|none~0|none~1|+|none~0|none~1|none~2|'] }).join(), /seedArchitectures\[0\]: node 1, input 0: unknown operation 'conv'/);
  assert.match(problems({ budget: 10, strategy: 'bayesian' }).join(), /strategy\.name: unknown strategy 'bayesian'; use one of random, evolution, collm/);
  assert.match(problems({ budget: 10, strategy: { name: 'evolution', populationSize: 1 } }).join(), /strategy\.populationSize: /);
  assert.match(problems({ budget: 10, strategy: { name: 'random', populationSize: 5 } }).join(), /strategy: unknown field\(s\) 'populationSize'/);
  assert.match(problems({ budget: 10, evaluation: { evaluator: 'oracle' } }).join(), /evaluation\.evaluator: unknown evaluator 'oracle'; use one of nb201-table/);
  assert.match(problems({ budget: 10, evaluation: { options: { fast: true } } }).join(), /evaluation\.options: unknown field\(s\) 'fast'/);
  assert.match(problems({ budget: 10, llm: { provider: 'local' } }).join(), /llm: strategy evolution talks to no LLM/);
  assert.match(problems({ budget: 10, budgt: 5 }).join(), /unknown field\(s\) 'budgt'/);
  assert.match(problems([1, 2]).join(), /must be a JSON object/);
  assert.equal(problems({ budget: -1, seed: 1.5, space: 7 }).length, 3);
  // A FLOPs cost can be checked before evaluating, so candidates are filtered early.
  assert.ok(costNb201(parseNb201('|none~0|+|none~0|none~1|+|none~0|none~1|none~2|'), 'cifar10').flopsM < 10);
});

test('the result keeps the Pareto front of accuracy against each known cost', async () => {
  const r = await runInProcess({ budget: 80, strategy: 'random', seed: 6, dataset: 'cifar100' });
  assert.deepEqual(Object.keys(r.pareto).sort(), ['flops', 'params'], 'no latency without a latency-constrained search');
  for (const [metric, front] of Object.entries(r.pareto)) {
    const cost = (e: (typeof r.history)[number]) => (metric === 'flops' ? e.cost.flopsM : e.cost.paramsM);
    assert.ok(front.length >= 2, metric);
    // Cheapest first, each point more accurate than the cheaper ones.
    for (let i = 1; i < front.length; i++) assert.ok(front[i]!.cost >= front[i - 1]!.cost && front[i]!.valAcc > front[i - 1]!.valAcc);
    // No evaluation beats a front point on both; every evaluation is matched or beaten by one.
    for (const p of front) assert.ok(!r.history.some((e) => cost(e) <= p.cost && e.valAcc > p.valAcc), `${metric}: ${p.arch} is dominated`);
    for (const e of r.history) assert.ok(front.some((p) => p.cost <= cost(e) && p.valAcc >= e.valAcc), `${metric}: ${e.arch} is not covered`);
  }
  assert.equal(r.pareto.flops!.at(-1)!.valAcc, Math.max(...r.history.map((e) => e.valAcc)), 'the most accurate closes the front');
});

test('a config resolved by an earlier release (without options added since) runs with their defaults', async () => {
  const config = resolveSearchConfig({ budget: 10, strategy: 'collm', seed: 1 });
  const { llms: _llms, onLlmFailure: _fail, ...earlier } = config.strategy;
  const engine = createEngine({ ...config, strategy: earlier as typeof config.strategy });
  let calls = 0;
  const llm = () => {
    calls++;
    return Promise.resolve({ text: '# SUMMARY\nx', json: { candidates: [] }, model: 'm', tokensIn: 1, tokensOut: 1, latencyMs: 1 });
  };
  await engine.propose(engine.init(), { llm });
  assert.ok(calls > 0, 'the LLMs are on, as they were before the llms option existed');
});
