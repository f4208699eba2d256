import { startSearch } from '../../client/search';
import { describeLlm, withDefaultLlm } from '../../config/llm-defaults';
import { loadConfig } from '../../config/load';
import { PreparedConfig } from '../../config/prepared';
import { CONTROL_TASK_QUEUE } from '../../search/task-queues';
import { webUiLink } from '../../temporal/connection';
import { collect, GROUP, printJson, withExamples, withJson, type CliCommand } from '../command';
import { withClient } from '../connect';
import { usageError } from '../errors';
import { followSearch, printResult } from '../follow';

interface Options {
  set: string[];
  id?: string;
  taskQueue: string;
  watch?: boolean;
  json?: boolean;
}

export const startCommand: CliCommand = {
  name: 'start',
  register(program) {
    const command = program
      .command('start')
      .helpGroup(GROUP.search)
      .summary('start a search from a config file')
      .description('start a search from a config file; the config is checked first, so a bad one starts nothing')
      .argument('<config>', 'search config (JSON), e.g. config/default.json')
      .option('--set <field=value>', 'override a config field, repeatable (the value is JSON when it parses)', collect, [])
      .option('--id <workflow-id>', 'workflow id (default: nas-<space>-<dataset>-<strategy>-s<seed>-<time>)')
      .option('--task-queue <queue>', 'the control workers\' task queue (as they read NAS_CONTROL_TASK_QUEUE)', process.env.NAS_CONTROL_TASK_QUEUE ?? CONTROL_TASK_QUEUE)
      .option('--watch', 'show the progress until the search ends, then its result');
    withJson(command, 'print {workflowId, runId, llm, webUi} (with --watch: and the result) as JSON, no progress');
    withExamples(command, [
      'collm-nas start config/default.json --watch',
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
      await withClient(async (client, target) => {
        const handle = await startSearch(client, search, { taskQueue: options.taskQueue, ...(options.id ? { workflowId: options.id } : {}) });
        const llm = describeLlm(search.resolved);
        const webUi = webUiLink(target, handle.workflowId);
        const started = { workflowId: handle.workflowId, runId: handle.firstExecutionRunId, ...(llm ? { llm } : {}), ...(webUi ? { webUi } : {}) };
        if (!options.json) {
          console.log(`started ${handle.workflowId}`);
          if (llm) console.log(llm);
          if (webUi) console.log(`Web UI: ${webUi}`);
        }
        if (!options.watch) {
          if (options.json) printJson(started);
          return;
        }
        const result = await followSearch(handle, target, { json: options.json });
        if (options.json) printJson({ ...started, result });
        else printResult(result, false);
      }, options.id);
    });
  },
};
