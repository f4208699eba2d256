import { llmFailureText } from '../../search/describe';
import { progressQuery } from '../../workflows/api';
import { GROUP, printJson, withExamples, withJson, type CliCommand } from '../command';
import { withClient } from '../connect';
import { progressBar } from '../progress';

export const progressCommand: CliCommand = {
  name: 'progress',
  register(program) {
    const command = program
      .command('progress')
      .helpGroup(GROUP.search)
      .summary('print a search\'s progress once')
      .description('print a search\'s progress once (the `progress` query)')
      .argument('<workflow-id>', 'the search');
    withJson(command, 'print the whole `progress` query answer (top-k, Pareto fronts, strategy figures) as JSON');
    withExamples(command, ['collm-nas progress my-search', 'collm-nas progress my-search --json | jq .topK']);
    command.action(async (id: string, options: { json?: boolean }) => {
      await withClient(async (client) => {
        const p = await client.workflow.getHandle(id).query(progressQuery);
        if (options.json) printJson(p);
        else {
          console.log(progressBar(p, ''));
          const llm = llmFailureText(p.stats);
          if (llm.contribution) console.log(llm.contribution);
          if (llm.failures) console.log(`LLM failures ${llm.failures}`);
        }
      }, id);
    });
  },
};
