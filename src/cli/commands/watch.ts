import { GROUP, withExamples, withJson, type CliCommand } from '../command';
import { withClient } from '../connect';
import { followSearch, printResult } from '../follow';
import { queuesOfRunning } from '../pollers';

export const watchCommand: CliCommand = {
  name: 'watch',
  register(program) {
    const command = program
      .command('watch')
      .helpGroup(GROUP.search)
      .summary('show a search\'s progress and ETA, then its result')
      .description(
        'show a search\'s progress (evaluated/budget, best so far, ETA) until it ends, then its result; plain lines when stdout is not a terminal. ' +
          'Says on stderr when no worker polls the search\'s task queues, and what to run',
      )
      .argument('<workflow-id>', 'the search, as `collm-nas list` shows it')
      .option('--interval <ms>', 'how often to ask for progress', (v) => Math.max(100, Number(v) || 500), 500);
    withJson(command, 'print only the result, as JSON (no progress)');
    withExamples(command, [
      'collm-nas watch nas-nb201-cifar10-collm-s0-20250101T120000',
      'collm-nas watch my-search > progress.log     # one line per change',
      'collm-nas watch my-search --json | jq .best',
    ]);
    command.action(async (id: string, options: { interval: number; json?: boolean }) => {
      await withClient(async (client, target) => {
        const handle = client.workflow.getHandle(id);
        const queues = await queuesOfRunning(handle);
        const result = await followSearch(handle, target, { json: options.json, intervalMs: options.interval, ...(queues ? { queues } : {}) });
        printResult(result, options.json);
      }, id);
    });
  },
};
