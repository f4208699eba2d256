import type { SignalDefinition } from '@temporalio/client';
import { GROUP, printJson, withExamples, withJson, type CliCommand } from './command';
import { withClient } from './connect';

/** pause, resume and stop: one signal to one search, and what the search does with it. */
export function signalCommand(spec: { name: string; signal: SignalDefinition<[]>; summary: string; description: string; effect: string }): CliCommand {
  return {
    name: spec.name,
    register(program) {
      const command = program
        .command(spec.name)
        .helpGroup(GROUP.search)
        .summary(spec.summary)
        .description(spec.description)
        .argument('<workflow-id>', 'the search');
      withJson(command, 'print {workflowId, signal} as JSON');
      withExamples(command, [`collm-nas ${spec.name} my-search`]);
      command.action(async (id: string, options: { json?: boolean }) => {
        await withClient(async (client) => {
          await client.workflow.getHandle(id).signal(spec.signal);
          if (options.json) printJson({ workflowId: id, signal: spec.name });
          else console.log(`${spec.name} sent to ${id}: ${spec.effect}`);
        }, id);
      });
    },
  };
}
