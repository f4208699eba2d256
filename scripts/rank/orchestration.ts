/**
 * What Temporal costs a cheap evaluation, batched against unbatched:
 *   npx tsx scripts/rank/orchestration.ts [--budget 1000 --batch 10 --port 7347]
 *
 * For the OFA predictor (ofa-mbv3-w12, evolution) and the NAS-Bench-201
 * table, one `--budget`-evaluation search through a local dev server with
 * in-process workers, with `evaluation.batched` on and off, and the same
 * search in process: wall time, orchestration ms per evaluation (the
 * difference over the evaluations), history events per evaluation (every
 * run), whether the result equals the in-process one, and the time to replay
 * the histories. Then the same with a ranking stage by the predictor itself
 * (pool 5x): the scoring's activities per pool.
 */
import { performance } from 'node:perf_hooks';
import { Worker } from '@temporalio/worker';
import type { Client } from '@temporalio/client';
import { startSearch } from '../../src/client/search';
import { fetchRuns } from '../../src/client/history';
import { resolveSearchConfig } from '../../src/config/resolve';
import type { Candidate, SearchConfig } from '../../src/search/types';
import { runSearch } from '../../src/search/search';
import { WORKFLOW_BUNDLE } from '../../src/temporal/paths';
import { withHarness } from '../harness';
import { inProcessEvaluator } from '../in-process';
import { arg } from '../args';

async function measure(client: Client, queues: { control: string; eval: string }, raw: Record<string, unknown>, label: string): Promise<string> {
  const input = { ...raw, evaluation: { ...(raw['evaluation'] as object), taskQueue: queues.eval } };
  const config = resolveSearchConfig(input);
  const i0 = performance.now();
  const expected = await runSearch(config, inProcessEvaluator(config), config.rank?.by === 'ofa-predictor' ? { score: scorer(config) } : {});
  const inProcessS = (performance.now() - i0) / 1000;
  const t0 = performance.now();
  const handle = await startSearch(client, input, { taskQueue: queues.control, workflowId: `orch-${label.replace(/\W+/g, '-')}-${Date.now()}` });
  const result = await handle.result();
  const wallS = (performance.now() - t0) / 1000;
  const runs = await fetchRuns(client, handle.workflowId);
  const events = runs.reduce((n, r) => n + r.events.length, 0);
  const r0 = performance.now();
  for (const r of runs) await Worker.runReplayHistory({ workflowBundle: { codePath: WORKFLOW_BUNDLE }, replayName: 'orchestration' }, { events: r.events as never });
  const replayS = (performance.now() - r0) / 1000;
  const { ranking: a, ...rest } = result;
  const { ranking: b, ...restExpected } = expected;
  const same = JSON.stringify(rest) === JSON.stringify(restExpected) && a?.scored === b?.scored;
  const n = result.evaluated;
  return `| ${label} | ${n} | ${wallS.toFixed(2)} | ${inProcessS.toFixed(2)} | ${(((wallS - inProcessS) * 1000) / n).toFixed(2)} | ${(events / n).toFixed(2)} | ${runs.length} | ${replayS.toFixed(2)} | ${same ? 'yes' : 'NO'} |`;
}

/** The predictor as a ranker, in process: what the scoring activity computes on a worker. */
function scorer(config: SearchConfig) {
  const evaluate = inProcessEvaluator({ ...config, evaluation: { evaluator: 'ofa-predictor', options: {} } });
  return (pool: readonly Candidate[]) => Promise.all(pool.map(async (c) => ({ score: (await evaluate(c)).valAcc })));
}

async function main(): Promise<void> {
  const budget = Number(arg('budget', '1000'));
  const batch = Number(arg('batch', '10'));
  const port = Number(arg('port', '7347'));
  const rows: string[] = [];
  await withHarness({ port, name: 'orch', devices: ['cpu', 'cpu'] }, async ({ client, controlQueue, evalQueue }) => {
    const q = { control: controlQueue, eval: evalQueue };
    const ofa = { space: 'ofa-mbv3-w12', strategy: 'evolution', budget, batchSize: batch, seed: 0, evaluation: { evaluator: 'ofa-predictor' } };
    const nb201 = { space: 'nb201', strategy: 'evolution', budget, batchSize: batch, seed: 0, evaluation: { evaluator: 'nb201-table' } };
    for (const [name, raw] of [['OFA predictor', ofa], ['NB201 table', nb201]] as const) {
      for (const batched of [false, true]) {
        const label = `${name}, ${batched ? 'batched' : 'one activity per evaluation'}`;
        rows.push(await measure(client, q, { ...raw, evaluation: { ...raw.evaluation, batched } }, label));
        console.log(rows.at(-1));
      }
    }
    const ranked = { ...ofa, constraint: { metric: 'flops', max: 400 }, rank: { by: 'ofa-predictor', pool: 5 * batch } };
    rows.push(await measure(client, q, { ...ranked, evaluation: { ...ofa.evaluation, batched: true } }, 'OFA predictor, batched, ranked by the predictor (pool 5x)'));
    console.log(rows.at(-1));
  });
  console.log(`\n| search (${budget} evaluations, batch ${batch}, evolution) | evaluated | wall s | in-process s | orchestration ms/evaluation | history events/evaluation | runs | replay s | result = in-process |`);
  console.log('|---|---|---|---|---|---|---|---|---|');
  for (const r of rows) console.log(r);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
