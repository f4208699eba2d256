import type { SearchResult } from '../../search/summary';
import { GROUP, withExamples, withJson, type CliCommand } from '../command';
import { withClient } from '../connect';
import { printResult } from '../follow';

export const resultCommand: CliCommand = {
  name: 'result',
  register(program) {
    const command = program
      .command('result')
      .helpGroup(GROUP.search)
      .summary('print a search\'s result (waits for it to end)')
      .description('print a search\'s result: best architecture, its cost, Pareto fronts (waits for a running search to end)')
      .argument('<workflow-id>', 'the search');
    withJson(command, 'print the result as the workflow returns it, as JSON');
    withExamples(command, ['collm-nas result my-search', 'collm-nas result my-search --json | jq .best.arch']);
    command.action(async (id: string, options: { json?: boolean }) => {
      await withClient(async (client) => {
        printResult((await client.workflow.getHandle(id).result()) as SearchResult, options.json);
      }, id);
    });
  },
};
