import { spawn } from 'node:child_process';
import { temporalTarget } from '../../temporal/connection';
import { findTemporalCli } from '../../temporal/temporal-cli';
import { GROUP, withExamples, type CliCommand } from '../command';
import { CliError } from '../errors';
import type { ExitCode } from '../exit-codes';

export const temporalCommand: CliCommand = {
  name: 'temporal',
  register(program) {
    const command = program
      .command('temporal')
      .helpGroup(GROUP.workers)
      .summary('the Temporal CLI this checkout installs, against the server in use')
      .description(
        'run the Temporal CLI the set-up installs (.tools/bin/temporal, or $TEMPORAL_CLI) with every argument after `temporal` ' +
          'passed through, against the server the other commands use: TEMPORAL_ADDRESS and TEMPORAL_NAMESPACE default to it. ' +
          'Its output and exit code are its own',
      )
      .argument('[args...]', 'a Temporal CLI command and its flags, e.g. workflow list')
      // Everything after `temporal` is the Temporal CLI's, --help included.
      .passThroughOptions()
      .allowUnknownOption()
      .allowExcessArguments();
    withExamples(command, [
      "collm-nas temporal workflow list --query 'NasSpace = \"nb201\"'",
      'collm-nas temporal workflow describe --workflow-id my-search',
      'collm-nas temporal workflow --help           # the Temporal CLI\'s own help',
    ]);
    command.action(async (args: string[]) => {
      const code = await runTemporalCli(args);
      // An empty message: the Temporal CLI has said what it had to; its exit code is ours.
      if (code !== 0) throw new CliError('', code as ExitCode);
    });
  },
};

function runTemporalCli(args: readonly string[]): Promise<number> {
  const cli = findTemporalCli();
  const env = { ...process.env };
  const target = temporalTarget();
  // Without TEMPORAL_ADDRESS or a profile, the local dev server: named, since the Temporal CLI would
  // otherwise read its own config file or try localhost, which may not be where the server listens.
  if (!target.external) {
    env.TEMPORAL_ADDRESS = target.address;
    env.TEMPORAL_NAMESPACE = target.namespace;
  }
  const child = spawn(cli, args, { stdio: 'inherit', env });
  // Ctrl-C reaches the Temporal CLI too (same terminal): it decides, and this process waits to report its code.
  const ignore = (): void => undefined;
  const forward = (signal: NodeJS.Signals): void => void child.kill(signal);
  process.on('SIGINT', ignore);
  process.on('SIGTERM', forward);
  return new Promise<number>((resolve, reject) => {
    child.once('error', (err) => reject(new CliError(`could not run the Temporal CLI at ${cli}: ${err.message}`)));
    child.once('exit', (code, signal) => resolve(code ?? (signal === 'SIGINT' ? 130 : 1)));
  }).finally(() => {
    process.off('SIGINT', ignore);
    process.off('SIGTERM', forward);
  });
}
