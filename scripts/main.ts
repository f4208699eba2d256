/**
 * The main job (`npm start`): a local Temporal server (kept running for the
 * Web UI), a control worker and an eval worker in this process, one search
 * from config/default.json (CoLLM-NAS on NAS-Bench-201 CIFAR-10, budget 100;
 * or the file given), its progress, its result. The LLM is the endpoint in
 * COLLM_LLM_BASE_URL/COLLM_LLM_MODEL when set, else the embedded model.
 *
 *   npm start
 *   npm start -- config/nb201-random.json --set seed=3
 */
import type { Connection } from '@temporalio/client';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import { describeLlm, withDefaultLlm } from '../src/config/llm-defaults';
import { loadConfig } from '../src/config/load';
import { PreparedConfig } from '../src/config/prepared';
import { formatResult, startSearch, watchSearch } from '../src/client/search';
import { createProgressView } from '../src/cli/progress';
import { ConfigError } from '../src/search/config';
import { connectClient, connectWorker, temporalTarget, webUiLink } from '../src/temporal/connection';
import { ensureDevServer, ensureSearchAttributes } from '../src/temporal/dev-server';
import { createControlWorker } from '../src/workers/control';
import { checkedDevices, createEvalWorker } from '../src/workers/eval';

async function main(argv: string[]): Promise<void> {
  // Warnings matter (failed evaluations); the two about each worker serving one kind of task do not.
  Runtime.install({
    logger: new DefaultLogger('WARN', (entry) => {
      if (/^No (workflows|activities) registered/.test(entry.message)) return;
      console.error(`[${entry.level}] ${entry.message}`, entry.meta ?? '');
    }),
  });
  const sets: string[] = [];
  const rest: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--set') sets.push(argv[++i] ?? '');
    else rest.push(argv[i]!);
  }
  const file = rest[0] ?? 'config/default.json';
  // Checked and resolved once, before anything starts; the workflow resolves the raw JSON again at its first run.
  const prepared = PreparedConfig.of(withDefaultLlm(loadConfig(file, sets)));
  // Before anything starts: a CUDA device this machine lacks is refused here, naming it.
  const devices = checkedDevices(process.env.EVAL_DEVICES, 10);

  const target = temporalTarget();
  if (!target.external) {
    const server = await ensureDevServer({ port: Number(target.address.split(':')[1]), detached: true });
    console.log(
      server.started
        ? `Temporal dev server started on ${server.address} (state in .data/; stop it with npx collm-nas server stop)`
        : `using the Temporal server already on ${server.address}`,
    );
  }
  const connection = await connectWorker(target);
  const client = await connectClient(target);
  if (target.external) {
    // Someone else's server may lack our search attributes; registering needs operator rights.
    await ensureSearchAttributes(client.connection as Connection, target.namespace).catch((err: Error) =>
      console.warn(`could not register the Nas* search attributes (${err.message}); ask an operator to add them`),
    );
  }
  const control = await createControlWorker({ connection, namespace: target.namespace });
  const evaluation = await createEvalWorker({
    connection,
    namespace: target.namespace,
    devices,
    simulateMs: Number(process.env.EVAL_SIMULATE_MS ?? 0),
  });

  const search = async (): Promise<void> => {
    const handle = await startSearch(client, prepared);
    console.log(`search ${handle.workflowId} started from ${file}`);
    const llm = describeLlm(prepared.resolved);
    if (llm) console.log(llm);
    const link = webUiLink(target, handle.workflowId);
    if (link) console.log(`Web UI: ${link}`);
    const view = createProgressView();
    const result = await watchSearch(handle, (p) => view.update(p), 200);
    view.finish();
    console.log(formatResult(result));
  };
  // The eval worker runs until the search is done; a failed search fails the job.
  const evalRun = evaluation.run();
  try {
    await control.runUntil(search);
  } finally {
    evaluation.shutdown();
    await evalRun;
    await connection.close();
    await client.connection.close();
  }
}

main(process.argv.slice(2)).catch((err) => {
  console.error(err instanceof ConfigError ? err.message : `error: ${(err as Error).message}`);
  process.exit(1);
});
