/**
 * How long `collm-nas` takes to answer, as a person types it: `--help`, and
 * `progress <id>` against a local server with a search that a worker
 * answers for. Each command is a fresh process (bin/collm-nas, running the
 * build in dist/); the figures are the median and the fastest of --runs.
 *
 *   npm run bench:cli
 *   npm run bench:cli -- --runs 15 --port 7335
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { startSearch } from '../src/client/search';
import { connectClient, temporalTarget } from '../src/temporal/connection';
import { ensureDevServer } from '../src/temporal/dev-server';
import { withLocalWorkers } from '../src/workers/local';
import { pauseSignal, progressQuery } from '../src/workflows/api';
import { arg } from './args';
import { buildCli } from './build-cli';

const BIN = resolve(__dirname, '..', 'bin', 'collm-nas');

/**
 * Wall seconds of each of `runs` fresh `collm-nas args` processes, one after
 * another; any failure stops the benchmark. Spawned without blocking: the
 * worker that answers `progress` runs in this process.
 */
async function timeCommand(args: string[], env: NodeJS.ProcessEnv, runs: number): Promise<number[]> {
  const seconds: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t = process.hrtime.bigint();
    const { code, stderr } = await new Promise<{ code: number | null; stderr: string }>((done) => {
      const child = spawn(process.execPath, [BIN, ...args], { env, stdio: ['ignore', 'ignore', 'pipe'] });
      let err = '';
      child.stderr.on('data', (d: Buffer) => (err += d.toString()));
      child.on('close', (c) => done({ code: c, stderr: err }));
    });
    seconds.push(Number(process.hrtime.bigint() - t) / 1e9);
    if (code !== 0) throw new Error(`collm-nas ${args.join(' ')} exited ${code}: ${stderr}`);
  }
  return seconds;
}

function describe(name: string, seconds: number[], target: number): string {
  const sorted = [...seconds].sort((a, b) => a - b);
  const median = sorted[Math.floor(sorted.length / 2)]!;
  return `${name.padEnd(28)} median ${median.toFixed(3)} s, fastest ${sorted[0]!.toFixed(3)} s (target ≤ ${target} s: ${median <= target ? 'reached' : 'not reached'})`;
}

async function main(): Promise<void> {
  const runs = Number(arg('runs', '9'));
  const port = Number(arg('port', '7335'));
  const built = buildCli();
  console.log(`CLI built: ${built.files} files in ${built.ms} ms`);
  const dir = mkdtempSync(join(tmpdir(), 'collm-bench-cli-'));
  const server = await ensureDevServer({ port, dbFile: join(dir, 'temporal.sqlite'), headless: true });
  const target = temporalTarget({ TEMPORAL_ADDRESS: server.address });
  const env = { ...process.env, TEMPORAL_ADDRESS: server.address, TEMPORAL_NAMESPACE: 'default' };
  try {
    const queues = { controlQueue: `bench-cli-control-${port}`, evalQueue: `bench-cli-eval-${port}` };
    await withLocalWorkers({ target, ...queues, devices: ['cpu'], simulateMs: 50 }, async () => {
      const client = await connectClient(target);
      const handle = await startSearch(client, { strategy: 'evolution', budget: 1000, batchSize: 5, evaluation: { taskQueue: queues.evalQueue } }, { taskQueue: queues.controlQueue });
      // A paused search with some history: what a person looks at, with the worker idle while the CLI is timed.
      for (;;) {
        const p = await handle.query(progressQuery);
        if (p.evaluated >= 20) break;
        await new Promise((r) => setTimeout(r, 200));
      }
      await handle.signal(pauseSignal);
      console.log(describe('collm-nas --help', await timeCommand(['--help'], env, runs), 0.3));
      console.log(describe('collm-nas progress <id>', await timeCommand(['progress', handle.workflowId], env, runs), 0.5));
      await handle.terminate('benchmark done');
      await client.connection.close();
    });
  } finally {
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

main().then(
  () => process.exit(0),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
