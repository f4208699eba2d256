import { extendBudgetUpdate } from '../../workflows/api';
import { GROUP, positiveInt, printJson, withExamples, withJson, type CliCommand } from '../command';
import { withClient } from '../connect';

export const extendCommand: CliCommand = {
  name: 'extend',
  register(program) {
    const command = program
      .command('extend')
      .helpGroup(GROUP.search)
      .summary('add evaluations to a search\'s budget')
      .description('add evaluations to a running search\'s budget (the `extendBudget` update)')
      .argument('<workflow-id>', 'the search')
      .argument('<evaluations>', 'how many more architectures to evaluate', positiveInt);
    withJson(command, 'print {workflowId, budget} as JSON');
    withExamples(command, ['collm-nas extend my-search 50']);
    command.action(async (id: string, extra: number, options: { json?: boolean }) => {
      await withClient(async (client) => {
        const budget = await client.workflow.getHandle(id).executeUpdate(extendBudgetUpdate, { args: [extra] });
        if (options.json) printJson({ workflowId: id, budget });
        else console.log(`${id}: budget is now ${budget}`);
      }, id);
    });
  },
};
