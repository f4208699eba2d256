import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ApplicationFailure, WorkflowFailedError } from '@temporalio/client';
import { defaultPayloadConverter } from '@temporalio/common';
import { createEvalWorker } from '../src/workers/eval';
import { formatResult, startSearch } from '../src/client/search';
import { fetchRuns, readRuns } from '../src/client/history';
import { ConfigError, resolveSearchConfig } from '../src/config/resolve';
import { naswotScore } from '../src/evaluators/naswot';
import { pickTop, poolSize, type ScorePort } from '../src/search/rank';
import { createEngine, runSearch } from '../src/search/search';
import type { SearchResult } from '../src/search/summary';
import type { Candidate, RankConfig, SearchConfig } from '../src/search/types';
import { getSpace } from '../src/spaces';
import { progressQuery } from '../src/workflows/api';
import { progressBar } from '../src/cli/progress';
import { gatherSearch, renderSearchPage } from '../src/report';
import { inProcessWorkers, nb201Table, queues, TABLE_PATH, uniqueId, useTemporal } from './helpers';

const env = useTemporal();

const lookup = (config: SearchConfig) => (c: Candidate) => nb201Table().lookup(c.arch, config.dataset);

/** The scores the naswot ranker computes, in this process: what the scoring activity runs on a worker. */
const naswotPort: ScorePort = (pool) =>
  Promise.all(pool.map(async (c) => ({ score: (await naswotScore('nb201', getSpace('nb201').parse(c.arch), 'cifar10', { input: 'images', seed: 0 })).score })));

test('a pool ranked by the cost model: the largest go to the evaluator, the rest are screened out with their scores', async () => {
  const config = resolveSearchConfig({ budget: 30, batchSize: 5, seed: 4, strategy: 'random', rank: { by: 'cost', pool: 40 } });
  const engine = createEngine(config);
  const { state, candidates } = await engine.propose(engine.init());
  assert.equal(candidates.length, 5);
  const flops = (c: Candidate) => engine.space.cost(engine.space.parse(c.arch), config.dataset).flopsM;
  const lowestChosen = Math.min(...candidates.map(flops));
  assert.equal(state.screened?.length, 35);
  for (const s of state.screened!) {
    assert.ok(flops(s) <= lowestChosen, 'nothing screened out is larger than what was chosen');
    assert.equal(s.score, flops(s), 'kept with its score');
  }
  assert.deepEqual(state.ranking, { pools: 1, scored: 40, screened: 35, ms: 0, fallbacks: 0 });

  // The budget counts the evaluator's evaluations only; the ranker's are counted apart.
  const r = await runSearch(config, lookup(config));
  assert.equal(r.evaluated, 30);
  assert.equal(r.ranking?.pools, 6);
  assert.equal(r.ranking?.scored, 240);
  assert.equal(r.ranking?.screened, 210);
  assert.deepEqual(await runSearch(config, lookup(config)), r, 'same seed, same search');
  assert.match(formatResult(r), /ranking: 240 candidates scored in 6 pools, 210 screened out \(not evaluated\), ranker device time 0\.0 s/);
});

test('every strategy runs with a ranking stage, and ranking changes what is evaluated', async () => {
  for (const strategy of ['random', 'evolution', 'reinforce', { name: 'collm', llms: 'off' }]) {
    const base = { budget: 20, batchSize: 5, seed: 1, strategy };
    const ranked = resolveSearchConfig({ ...base, rank: { by: 'cost', pool: 25 } });
    const plain = resolveSearchConfig(base);
    const r = await runSearch(ranked, lookup(ranked));
    const p = await runSearch(plain, lookup(plain));
    const name = JSON.stringify(strategy);
    assert.equal(r.evaluated, 20, name);
    assert.equal(r.ranking?.scored, 100, name);
    assert.equal(p.ranking, undefined, name);
    assert.notDeepEqual(r.history.map((e) => e.key), p.history.map((e) => e.key), name);
    const meanFlops = (x: SearchResult) => x.history.reduce((n, e) => n + e.cost.flopsM, 0) / x.history.length;
    assert.ok(meanFlops(r) > meanFlops(p), `${name}: ranked by size, larger cells are evaluated`);
  }
});

test('picking from a pool: ties keep the strategy\'s order, unscored candidates come last, no scores keep the pool\'s order', () => {
  const c = (n: number): Candidate => ({ arch: `a${n}`, key: `a${n}`, origin: 'random' });
  const pool = [c(0), c(1), c(2), c(3), c(4)];
  const top = pickTop(pool, [{ score: 1 }, { error: 'boom' }, { score: 3 }, { score: 1 }, { score: Number.NaN }], 3);
  assert.deepEqual(top.chosen.map((x) => x.arch), ['a2', 'a0', 'a3']);
  assert.deepEqual(top.screened, [{ candidate: c(1) }, { candidate: c(4) }]);
  assert.deepEqual(pickTop(pool, undefined, 2).chosen.map((x) => x.arch), ['a0', 'a1']);
  const rank = { by: 'cost', pool: 50 } as RankConfig;
  assert.equal(poolSize(rank, 10, 10), 50);
  assert.equal(poolSize(rank, 3, 10), 15, 'a short last batch gets a pool in proportion');
  assert.equal(poolSize(undefined, 10, 10), 10);
  assert.equal(poolSize({ ...rank, by: 'llm' }, 10, 10), 10, 'the LLM ranker is the strategy\'s own');
});

test('a bad ranking stage is refused naming the field and the fix', () => {
  const refused = (rank: unknown, more: Record<string, unknown> = {}): string => {
    try {
      resolveSearchConfig({ budget: 10, rank, ...more });
    } catch (err) {
      assert.ok(err instanceof ConfigError);
      return err.message;
    }
    return assert.fail('accepted');
  };
  assert.match(refused({ by: 'cost', pool: 5 }), /rank\.pool: 5 is smaller than batchSize \(10\).*at least 10/);
  assert.match(refused({ by: 'psychic', pool: 50 }), /rank\.by: unknown ranker 'psychic'; rank by "cost", "llm" or an evaluator that scores nb201 \(nb201-table, command, naswot\)/);
  assert.match(refused({ by: 'llm', pool: 50 }), /rank\.by: "llm" ranks with the strategy's own LLM, and strategy evolution has none/);
  assert.match(refused({ by: 'cost', pool: 50, options: { metric: 'volume' } }), /rank\.options\.metric:/);
  assert.match(refused({ by: 'onnx-cost', pool: 50 }), /rank\.by: onnx-cost measures costs only/);
  assert.match(refused({ by: 'naswot', pool: 50, options: { input: 'dreams' } }), /rank\.options\.input:/);
  assert.match(refused({ by: 'cost', pool: 50, onFailure: 'pray' }), /rank\.onFailure: must be "fallback"/);
  // The LLM ranker is CoLLM-NAS's own ranking of a pool of that size.
  const llm = resolveSearchConfig({ budget: 10, strategy: 'collm', llm: { provider: 'openai', baseUrl: 'http://127.0.0.1:9/v1', model: 'm' }, rank: { by: 'llm', pool: 30 } });
  assert.equal(llm.strategy['rankPool'], 30);
  assert.match(refused({ by: 'llm', pool: 300 }, { strategy: 'collm', llm: { provider: 'openai', baseUrl: 'http://127.0.0.1:9/v1', model: 'm' } }), /rank\.pool: must be at most 200/);
  const naswot = resolveSearchConfig({ budget: 10, evaluation: { taskQueue: 'gpu' }, rank: { by: 'naswot', pool: 30 } });
  assert.deepEqual(naswot.rank?.options, { input: 'images', seed: 0 }, 'the evaluator\'s options, defaults applied');
  assert.equal(naswot.rank?.taskQueue, 'gpu', 'scored where the evaluation runs, unless told otherwise');
});

test('a search ranked by NASWOT on the eval workers: one activity per pool, the result of the same search in process', { timeout: 240_000 }, async () => {
  const q = queues('rank');
  const input = { budget: 8, batchSize: 4, seed: 3, evaluation: { taskQueue: q.eval }, rank: { by: 'naswot', pool: 12 } };
  const config = resolveSearchConfig(input);
  const expected = await runSearch(config, lookup(config), { score: naswotPort });
  const workers = await inProcessWorkers(env.native, q);
  const id = uniqueId('rank');
  const result = await workers.run(async () => {
    const handle = await startSearch(env.client, input, { taskQueue: q.control, workflowId: id });
    const r = await handle.result();
    const progress = await handle.query(progressQuery);
    assert.deepEqual(progress.ranking, r.ranking);
    assert.match(progressBar(progress, ''), /8\/8 evaluated .*16 screened out\)/);
    return r;
  });
  assert.ok(result.ranking && result.ranking.ms > 0, 'the ranker\'s time, as the worker measured it');
  const { ms: _a, ...ranking } = result.ranking;
  const { ms: _b, ...expectedRanking } = expected.ranking!;
  assert.deepEqual({ ...result, ranking }, { ...expected, ranking: expectedRanking });
  assert.deepEqual(ranking, { pools: 2, scored: 24, screened: 16, fallbacks: 0 });
  const records = readRuns(await fetchRuns(env.client, id));
  assert.equal(records.filter((r) => r.kind === 'evaluation').length, 8, 'the evaluator\'s evaluations, as before');
  const page = renderSearchPage(await gatherSearch(env.client, id), { accuracyLabel: 'accuracy', generatedAt: new Date(0).toISOString(), files: { csv: 'c.csv', json: 'c.json' } });
  assert.match(page, /<th>ranking<\/th><td>ranking: 24 candidates scored in 2 pools, 16 screened out/);
  const described = await env.client.workflow.getHandle(id).describe();
  assert.equal(described.typedSearchAttributes.get({ name: 'NasScreened', type: 'INT' } as never), 16);
  const purposes = (await env.client.workflow.getHandle(id).fetchHistory()).events!.flatMap((e) => {
    const s = e.activityTaskScheduledEventAttributes;
    return s?.activityType?.name === 'evaluateBatch' ? [defaultPayloadConverter.fromPayload<{ purpose?: string }>(s.input!.payloads![0]!).purpose ?? 'evaluate'] : [];
  });
  assert.deepEqual(purposes, ['rank', 'evaluate', 'rank', 'evaluate'], 'one scoring activity per pool, one evaluation activity per batch');
});

test('a ranking that fails falls back to the strategy\'s order (recorded), or ends the search when told to', { timeout: 120_000 }, async () => {
  const q = queues('rankfail');
  const rankQueue = `${q.eval}-rank`;
  // Scoring workers that do not serve the ranker: every scoring call fails for good.
  const scoring = await createEvalWorker({ connection: env.native, taskQueue: rankQueue, devices: ['cpu'], evaluators: { 'nb201-table': { table: TABLE_PATH } }, serve: ['nb201-table'] });
  const scoringRun = scoring.run();
  try {
    const base = { budget: 8, batchSize: 4, seed: 3, strategy: 'random', evaluation: { taskQueue: q.eval } };
    const rank = { by: 'naswot', pool: 12, taskQueue: rankQueue, maximumAttempts: 1 };
    const plainConfig = resolveSearchConfig(base);
    const plain = await runSearch(plainConfig, lookup(plainConfig));
    const workers = await inProcessWorkers(env.native, q);
    await workers.run(async () => {
      const fallback = await (await startSearch(env.client, { ...base, rank }, { taskQueue: q.control, workflowId: uniqueId('rankfb') })).result();
      // The strategy's own first choices: the first of its pool, as an unranked search takes them.
      assert.deepEqual(fallback.history.slice(0, 4).map((e) => e.key), plain.history.slice(0, 4).map((e) => e.key));
      assert.equal(fallback.evaluated, 8);
      assert.equal(fallback.ranking?.fallbacks, 2);
      assert.equal(fallback.ranking?.scored, 0);
      assert.match(fallback.ranking?.lastFailure ?? '', /ranking by naswot failed: rank\.by: this eval worker has no evaluator 'naswot'/);

      const handle = await startSearch(env.client, { ...base, rank: { ...rank, onFailure: 'fail' } }, { taskQueue: q.control, workflowId: uniqueId('rankfail') });
      const err = await handle.result().then(() => assert.fail('expected the search to fail'), (e: unknown) => e);
      assert.ok(err instanceof WorkflowFailedError);
      assert.ok(err.cause instanceof ApplicationFailure);
      assert.equal(err.cause.type, 'RankingFailed');
      assert.match(err.cause.message, /ranking by naswot failed: .*no evaluator 'naswot'.*rank\.onFailure is "fail"/);
    });
  } finally {
    scoring.shutdown();
    await scoringRun;
  }
});
