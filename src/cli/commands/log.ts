import { writeFileSync } from 'node:fs';
import { searchLog } from '../../client/search-log';
import { GROUP, printJson, withExamples, withJson, type CliCommand } from '../command';
import { withClient } from '../connect';

export const logCommand: CliCommand = {
  name: 'log',
  register(program) {
    const command = program
      .command('log')
      .helpGroup(GROUP.search)
      .summary('print a search\'s log (LLM exchanges, evaluations)')
      .description('print a search\'s log, one JSON line per LLM exchange and evaluation, all runs (read from its history)')
      .argument('<workflow-id>', 'the search')
      .argument('[file]', 'where to write it (default: stdout)');
    withJson(command, 'with a file: print {workflowId, file, entries} as JSON');
    withExamples(command, ['collm-nas log my-search log.jsonl', 'collm-nas log my-search | jq -c \'select(.kind == "llm") | .purpose\'']);
    command.action(async (id: string, file: string | undefined, options: { json?: boolean }) => {
      await withClient(async (client) => {
        // Asked first, so that a mistyped id is reported as not found (exit 4), as by every other command.
        await client.workflow.getHandle(id).describe();
        const entries = await searchLog(client, id);
        const lines = entries.map((e) => JSON.stringify(e) + '\n').join('');
        if (!file) {
          process.stdout.write(lines);
          return;
        }
        writeFileSync(file, lines);
        if (options.json) printJson({ workflowId: id, file, entries: entries.length });
        else console.log(`search log of ${id} written to ${file} (${entries.length} entries)`);
      }, id);
    });
  },
};
