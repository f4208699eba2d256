import { checkHint, steerSearch } from '../../client/steer';
import { GROUP, printJson, withExamples, withJson, type CliCommand } from '../command';
import { withClient } from '../connect';
import { usageError } from '../errors';

export const steerCommand: CliCommand = {
  name: 'steer',
  register(program) {
    const command = program
      .command('steer')
      .helpGroup(GROUP.search)
      .summary('give a search\'s LLM a hint')
      .description('give a running search\'s LLM (the CoLLM-NAS Navigator) a hint it reads at its next turn')
      .argument('<workflow-id>', 'the search')
      .argument('<hint...>', 'the hint, in words');
    withJson(command, 'print {workflowId, hint} as JSON');
    withExamples(command, ['collm-nas steer my-search "prefer 3x3 convolutions in the last cell"']);
    command.action(async (id: string, words: string[], options: { json?: boolean }) => {
      // Checked before connecting: a hint the search would drop is never sent.
      let hint: string;
      try {
        hint = checkHint(words.join(' '));
      } catch (err) {
        throw usageError((err as Error).message);
      }
      await withClient(async (client) => {
        await steerSearch(client.workflow.getHandle(id), hint);
        if (options.json) printJson({ workflowId: id, hint });
        else console.log(`hint sent to ${id}; the Navigator reads it at its next turn (a strategy without an LLM ignores it)`);
      }, id);
    });
  },
};
