/**
 * What every trial of a run shares: one dev server on its own SQLite file
 * (stopped and started again by server-restart trials, hence `port` and
 * `dbFile` kept here), one workflow bundle, one scripted LLM endpoint and the
 * NAS-Bench-201 table the reference runs look up.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { bundleWorkflowCode } from '@temporalio/worker';
import { Nb201Table, resolveNb201Table } from '../../src/evaluators/nb201/table';
import { ensureDevServer, type DevServer } from '../../src/temporal/dev-server';
import { cells, requestedCount, startFakeLlm, STRATEGY_TEXT, type FakeLlm } from '../../test/fake-llm';
import { fnv, Rng } from './plan';
import { killAllWorkers } from './processes';

export interface Env {
  address: string;
  port: number;
  dbFile: string;
  bundle: string;
  server: DevServer;
  connection: Connection;
  client: Client;
  fake: FakeLlm;
  llmBusy(): boolean;
  table: Nb201Table;
}

/** (Re)connects the client: after a server restart the old connection is closed and `env.client` replaced. */
export async function connect(env: Env): Promise<void> {
  env.connection = await Connection.connect({ address: env.address });
  env.client = new Client({ connection: env.connection });
}

/**
 * Sets everything up in a temporary folder and returns it with `stopAll`,
 * which takes it all down again. The client is not connected yet: the caller
 * first checks that the server is ours (`server.started`), inside the
 * try/finally that calls stopAll.
 */
export async function openEnv(seed: number, port: number): Promise<{ env: Env; stopAll: () => Promise<void> }> {
  const dir = mkdtempSync(join(tmpdir(), 'collm-reliability-'));
  // One bundle for every control worker of the run: byte-identical workflow code, and a restart that does not wait for webpack.
  const bundle = join(dir, 'workflow-bundle.js');
  const { code } = await bundleWorkflowCode({
    workflowsPath: require.resolve('../../src/workflows'),
    logger: { info() {}, warn: console.warn, error: console.error, debug() {}, trace() {}, log() {} },
  });
  writeFileSync(bundle, code);

  const llmRng = new Rng(seed ^ 0x5bd1e995);
  let busyUntil = 0;
  const fake = await startFakeLlm((req) => {
    // Answers depend on the request alone, so a call retried after a kill gets the answer the reference got.
    const delayMs = 200 + Math.floor(llmRng.next() * 800);
    busyUntil = Math.max(busyUntil, Date.now() + delayMs);
    if (req.role !== 'generator') return { content: STRATEGY_TEXT, delayMs };
    return { content: JSON.stringify({ candidates: cells(requestedCount(req), fnv(JSON.stringify(req.body.messages))) }), delayMs };
  }, port + 1);

  const dbFile = join(dir, 'temporal.sqlite');
  const server = await ensureDevServer({ port, dbFile, headless: true });
  const env = { address: server.address, port, dbFile, bundle, server, fake, llmBusy: () => Date.now() < busyUntil, table: Nb201Table.load(resolveNb201Table()) } as Env;
  const stopAll = async (): Promise<void> => {
    killAllWorkers();
    await env.connection?.close().catch(() => {});
    await env.server.stop();
    await fake.close();
    rmSync(dir, { recursive: true, force: true });
  };
  return { env, stopAll };
}
