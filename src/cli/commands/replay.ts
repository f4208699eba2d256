import { DefaultLogger, Runtime } from '@temporalio/worker';
import { replayHistoryFile } from '../../client/replay';
import { GROUP, printJson, withExamples, withJson, type CliCommand } from '../command';
import { CliError, usageError } from '../errors';
import { EXIT } from '../exit-codes';

/** Core's message, "[TMPRL1100] Nondeterminism error: ...", without the wrapping around it. */
function gist(error: string): string {
  return /message: "([^"]+)"/.exec(error)?.[1] ?? error;
}

export const replayCommand: CliCommand = {
  name: 'replay',
  register(program) {
    const command = program
      .command('replay')
      .helpGroup(GROUP.offline)
      .summary('check that a history replays with this code')
      .description('replay an exported history against the workflow code in this checkout and say whether it is deterministic (safe to deploy under running searches)')
      .argument('<file>', 'a history JSON from `collm-nas export` or `temporal workflow show --output json`')
      .option('--id <workflow-id>', 'the workflow id to replay under (histories do not hold it)', 'replay');
    withJson(command, 'print {file, events, deterministic, error?} as JSON');
    withExamples(command, [
      'collm-nas export my-search history.json && collm-nas replay history.json',
      'collm-nas replay test/fixtures/histories/collm-embedded.json --json',
    ]);
    command.action(async (file: string, options: { id: string; json?: boolean }) => {
      // The replay worker's own log lines (core's included) would drown the verdict.
      Runtime.install({ logger: new DefaultLogger('ERROR'), telemetryOptions: { logging: { filter: { core: 'ERROR', other: 'ERROR' } } } });
      let outcome;
      try {
        outcome = await replayHistoryFile(file, options.id);
      } catch (err) {
        const message = (err as Error).message;
        throw message.startsWith(`${file}:`) ? usageError(message) : new CliError(`replay of ${file} failed: ${message}`);
      }
      if (options.json) printJson(outcome);
      else if (outcome.deterministic) console.log(`${file}: deterministic: ${outcome.events} events replay with today's workflow code`);
      else console.log(`${file}: NOT deterministic: today's workflow code does not reproduce this history\n  ${gist(outcome.error ?? '')}`);
      // The verdict is printed; the exit code tells scripts.
      if (!outcome.deterministic) throw new CliError('', EXIT.nondeterministic);
    });
  },
};
