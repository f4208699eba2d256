import type { Client } from '@temporalio/client';
import { startSearch } from '../../client/search';
import { describeLlm, withDefaultLlm } from '../../config/llm-defaults';
import { loadConfig } from '../../config/load';
import { PreparedConfig } from '../../config/prepared';
import { CONTROL_TASK_QUEUE } from '../../search/task-queues';
import { webUiLink, type TemporalTarget } from '../../temporal/connection';
import { checkedDevices } from '../../workers/devices';
import { collect, GROUP, printJson, withExamples, withJson, type CliCommand } from '../command';
import { withClient } from '../connect';
import { usageError } from '../errors';
import { followSearch, printResult } from '../follow';
import { idleQueues, idleQueuesMessage, queuesOf, workerQueues, workersCommand, type SearchQueues } from '../pollers';

interface Options {
  set: string[];
  id?: string;
  taskQueue: string;
  watch?: boolean;
  workers?: boolean;
  json?: boolean;
}

/** How long a search started without --watch waits for a worker to poll before saying none does. */
const WORKER_GRACE_MS = 3000;

export const startCommand: CliCommand = {
  name: 'start',
  register(program) {
    const command = program
      .command('start')
      .helpGroup(GROUP.search)
      .summary('start a search from a config file')
      .description(
        'start a search from a config file; the config is checked first, so a bad one starts nothing. ' +
          'Workers run it (`collm-nas worker all`, or --workers); when none polls its task queues, start says so on stderr',
      )
      .argument('<config>', 'search config (JSON), e.g. config/default.json')
      .option('--set <field=value>', 'override a config field, repeatable (the value is JSON when it parses)', collect, [])
      .option('--id <workflow-id>', 'workflow id (default: nas-<space>-<dataset>-<strategy>-s<seed>-<time>)')
      .option('--task-queue <queue>', 'the control workers\' task queue (as they read NAS_CONTROL_TASK_QUEUE)', process.env.NAS_CONTROL_TASK_QUEUE ?? CONTROL_TASK_QUEUE)
      .option('--watch', 'show the progress until the search ends, then its result')
      .option('--workers', 'run a control and an eval worker in this process until the search ends, as `npm start` does (EVAL_DEVICES: default 10 CPU slots); implies --watch');
    withJson(command, 'print {workflowId, runId, llm, webUi} (with --watch: and the result) as JSON, no progress');
    withExamples(command, [
      'collm-nas start config/default.json --watch',
      'collm-nas start config/nb201-evolution.json --workers     # a one-off search, no other worker needed',
      'collm-nas start config/nb201-random.json --set seed=3 --set dataset=imagenet16',
      'collm-nas start config/nb201-evolution.json --id my-search --json',
    ]);
    command.action(async (file: string, options: Options) => {
      let config: Record<string, unknown>;
      try {
        config = withDefaultLlm(loadConfig(file, options.set));
      } catch (err) {
        throw usageError((err as Error).message);
      }
      // Refused here, with every bad field named, before a server is even needed; resolved once.
      const search = PreparedConfig.of(config);
      // As npm start: a CUDA device this machine lacks is refused before anything starts.
      const devices = options.workers ? checkedDevices(process.env.EVAL_DEVICES, 10) : [];
      await withClient(async (client, target) => {
        if (!options.workers) return startAndReport(client, target, search, options);
        const workers = {
          target,
          controlQueue: options.taskQueue,
          evalQueue: search.resolved.evaluation.taskQueue,
          devices,
          simulateMs: Number(process.env.EVAL_SIMULATE_MS ?? 0),
        };
        // Loaded only here: the worker library costs every other start (and start --help) ~90 ms.
        // require, not import(), for the reasons in commands/index.ts.
        // eslint-disable-next-line @typescript-eslint/no-require-imports
        const { withLocalWorkers } = require('../../workers/local') as typeof import('../../workers/local');
        await withLocalWorkers(workers, () => startAndReport(client, target, search, { ...options, watch: true }));
      }, options.id);
    });
  },
};

async function startAndReport(client: Client, target: TemporalTarget, search: PreparedConfig, options: Options): Promise<void> {
  const handle = await startSearch(client, search, { taskQueue: options.taskQueue, ...(options.id ? { workflowId: options.id } : {}) });
  const llm = describeLlm(search.resolved);
  const webUi = webUiLink(target, handle.workflowId);
  const started = { workflowId: handle.workflowId, runId: handle.firstExecutionRunId, ...(llm ? { llm } : {}), ...(webUi ? { webUi } : {}) };
  if (!options.json) {
    console.log(`started ${handle.workflowId}`);
    if (llm) console.log(llm);
    if (webUi) console.log(`Web UI: ${webUi}`);
  }
  const queues = queuesOf(search.resolved, options.taskQueue);
  if (!options.watch) {
    if (options.json) printJson(started);
    await warnIfNoWorkers(client, target, queues);
    return;
  }
  const result = await followSearch(handle, target, {
    json: options.json,
    // With --workers the workers are this process's own: nothing to check, but nobody left to run the search on Ctrl-C.
    ...(options.workers
      ? {
          interrupted:
            `stopped: search '${handle.workflowId}' keeps running on the server, but no worker runs it now that this command's have stopped: ` +
            `${workersCommand(workerQueues(queues))} goes on with it, \`collm-nas watch ${handle.workflowId}\` follows it`,
        }
      : { queues }),
  });
  if (options.json) printJson({ ...started, result });
  else printResult(result, false);
}

async function warnIfNoWorkers(client: Client, target: TemporalTarget, queues: SearchQueues): Promise<void> {
  const idle = await idleQueues(client.workflowService, target.namespace, queues, { graceMs: WORKER_GRACE_MS });
  if (idle.length > 0) process.stderr.write(`collm-nas: ${idleQueuesMessage(idle)}\n`);
}
