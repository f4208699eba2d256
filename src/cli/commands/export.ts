import { writeFileSync } from 'node:fs';
import { historyToJSON } from '@temporalio/common/lib/proto-utils';
import { GROUP, printJson, withExamples, withJson, type CliCommand } from '../command';
import { withClient } from '../connect';

export const exportCommand: CliCommand = {
  name: 'export',
  register(program) {
    const command = program
      .command('export')
      .helpGroup(GROUP.search)
      .summary('write a search\'s history as JSON, for replay')
      .description('write a search\'s workflow history as JSON (the format of `temporal workflow show --output json`), for `collm-nas replay`')
      .argument('<workflow-id>', 'the search')
      .argument('[file]', 'where to write it (default: stdout)')
      .option('--run-id <run-id>', 'one run of a search that continued as new (default: the latest run)');
    withJson(command, 'with a file: print {workflowId, file, events} as JSON');
    withExamples(command, [
      'collm-nas export my-search history.json',
      'collm-nas export my-search | jq \'.events | length\'',
      'collm-nas export my-search first-run.json --run-id <run-id>   # run ids: temporal workflow list --query \'WorkflowId="my-search"\'',
    ]);
    command.action(async (id: string, file: string | undefined, options: { json?: boolean; runId?: string }) => {
      await withClient(async (client) => {
        const history = await client.workflow.getHandle(id, options.runId).fetchHistory();
        const json = historyToJSON(history);
        const events = history.events?.length ?? 0;
        if (!file) {
          process.stdout.write(json + '\n');
          return;
        }
        writeFileSync(file, json);
        if (options.json) printJson({ workflowId: id, file, events });
        else console.log(`history of ${id} written to ${file} (${events} events); check it with \`collm-nas replay ${file}\``);
      }, id);
    });
  },
};
