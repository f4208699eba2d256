/**
 * How a search scales with its length and with many at once.
 *   npm run bench:scale [-- --budget 5000 --ofa 5000 --searches 20 --search-budget 500 --port 7345]
 *
 * 1. Payload sizes, in process (no server): the result and the state carried
 *    across continue-as-new of a `--budget`-evaluation NAS-Bench-201 search
 *    and an `--ofa`-evaluation OFA (ofa-mbv3-w12, predictor) search, with
 *    every evaluation in them (as before they were bounded) and now.
 * 2. One `--budget`-evaluation NAS-Bench-201 search through Temporal, over
 *    several continue-as-new runs (`--can-events`, default the server's
 *    suggestion): per run its history events and bytes, per evaluation, the
 *    largest payload, the carried input, and the time to replay it.
 * 3. `--searches` searches of `--search-budget` evaluations at once on one
 *    dev server, one control worker and two eval workers, each a process of
 *    its own: evaluations per second, and each worker's memory sampled over
 *    time (RSS, and the main thread's heap after a full GC).
 * Prints markdown tables. The workers and the dev server are stopped at the end.
 *
 * This file parses the flags and runs the parts in order; they are in
 * scripts/scale/: sizes.ts (1), long-search.ts (2), many-searches.ts (3),
 * workers.ts (the worker processes, which are this script run again with
 * `--role`), format.ts (numbers and tables).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import { ensureDevServer } from '../src/temporal/dev-server';
import { buildWorkflowBundle } from './build-workflows';
import { longSearch } from './scale/long-search';
import { manySearches } from './scale/many-searches';
import { payloadSizes } from './scale/sizes';
import { runWorkerRole, spawnWorker, type WorkerProcess } from './scale/workers';
import { arg } from './args';

async function main(): Promise<void> {
  const budget = Number(arg('budget', '5000'));
  const ofaBudget = Number(arg('ofa', '5000'));
  const searches = Number(arg('searches', '20'));
  const searchBudget = Number(arg('search-budget', '500'));
  const canEvents = arg('can-events', '') ? Number(arg('can-events', '')) : undefined;
  const manyCanEvents = Number(arg('many-can-events', '600'));
  const port = Number(arg('port', '7345'));
  const only = arg('only', 'sizes,long,many').split(',');

  const out: string[] = [];
  if (only.includes('sizes')) {
    out.push(await payloadSizes(budget, ofaBudget));
    console.log(out.at(-1) + '\n');
  }
  if (!only.includes('long') && !only.includes('many')) return;

  Runtime.install({ logger: new DefaultLogger('ERROR') });
  await buildWorkflowBundle();
  const dir = mkdtempSync(join(tmpdir(), 'collm-scale-'));
  const server = await ensureDevServer({ port, dbFile: join(dir, 'db.sqlite'), headless: true });
  const connection = await Connection.connect({ address: server.address });
  const client = new Client({ connection });
  const queues = { control: 'scale-control', eval: 'scale-eval' };
  const workers: WorkerProcess[] = [];
  try {
    workers.push(await spawnWorker('control', 'control', server.address, queues.control));
    workers.push(await spawnWorker('eval 1', 'eval', server.address, queues.eval));
    workers.push(await spawnWorker('eval 2', 'eval', server.address, queues.eval));
    if (only.includes('long')) {
      out.push(await longSearch(client, queues, budget, canEvents));
      console.log(out.at(-1) + '\n');
    }
    if (only.includes('many')) {
      out.push(await manySearches(client, queues, workers, searches, searchBudget, manyCanEvents));
      console.log(out.at(-1) + '\n');
    }
  } finally {
    await Promise.all(workers.map((w) => w.stop()));
    await connection.close();
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  }
  console.log('\n' + out.join('\n\n'));
}

const role = arg('role', '');
(role ? runWorkerRole(role, arg('address', ''), arg('queue', '')) : main()).catch((err) => {
  console.error(err);
  process.exit(1);
});
