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
import { describeLlm, withDefaultLlm } from '../src/config/llm-defaults';
import { loadConfig } from '../src/config/load';
import { PreparedConfig } from '../src/config/prepared';
import { startSearch } from '../src/client/search';
import { CliError } from '../src/cli/errors';
import { followSearch, printResult } from '../src/cli/follow';
import { queuesOf, workerQueues, workersCommand } from '../src/cli/pollers';
import { ConfigError } from '../src/search/config';
import { CONTROL_TASK_QUEUE } from '../src/search/task-queues';
import { connectClient, temporalTarget, webUiLink } from '../src/temporal/connection';
import { ensureDevServer } from '../src/temporal/dev-server';
import { ensureSearchAttributes } from '../src/temporal/search-attributes';
import { checkedDevices } from '../src/workers/devices';
import { withLocalWorkers } from '../src/workers/local';

async function main(argv: string[]): Promise<void> {
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
  const client = await connectClient(target);
  try {
    if (target.external) {
      // Someone else's server may lack our search attributes; registering needs operator rights.
      await ensureSearchAttributes(client.connection as Connection, target.namespace).catch((err: Error) =>
        console.warn(`could not register the Nas* search attributes (${err.message}); ask an operator to add them`),
      );
    }
    const queues = queuesOf(prepared.resolved, CONTROL_TASK_QUEUE);
    const workers = { target, evalQueue: prepared.resolved.evaluation.taskQueue, devices, simulateMs: Number(process.env.EVAL_SIMULATE_MS ?? 0) };
    // The workers run until the search is done; a failed search fails the job.
    await withLocalWorkers(workers, async () => {
      const handle = await startSearch(client, prepared);
      console.log(`search ${handle.workflowId} started from ${file}`);
      const llm = describeLlm(prepared.resolved);
      if (llm) console.log(llm);
      const link = webUiLink(target, handle.workflowId);
      if (link) console.log(`Web UI: ${link}`);
      const result = await followSearch(handle, target, {
        intervalMs: 200,
        interrupted:
          `stopped: search ${handle.workflowId} keeps running on the server, but no worker runs it now that npm start's have stopped: ` +
          `${workersCommand(workerQueues(queues))} goes on with it`,
      });
      printResult(result, false);
    });
  } finally {
    await client.connection.close();
  }
}

main(process.argv.slice(2)).catch((err) => {
  console.error(err instanceof ConfigError || err instanceof CliError ? err.message : `error: ${(err as Error).message}`);
  process.exit(err instanceof CliError ? err.exitCode : 1);
});
