import { CommanderError } from 'commander';
import type { CliError } from './errors';
import { EXIT } from './exit-codes';
import { createProgram } from './program';

/**
 * Runs `collm-nas` on `argv` (process.argv: node, script, args...) and
 * resolves to the exit code; errors are printed to stderr as advice.
 */
export async function run(argv: readonly string[]): Promise<number> {
  const program = createProgram(argv);
  try {
    await program.parseAsync([...argv]);
    return EXIT.ok;
  } catch (err) {
    // Commander has printed its own message (unknown flag, missing argument) or the help.
    if (err instanceof CommanderError) return err.exitCode === 0 ? EXIT.ok : EXIT.usage;
    const error = explainError(err);
    if (error.message) process.stderr.write(`collm-nas: ${error.message}\n`);
    return error.exitCode;
  }
}

/**
 * The advice for what a command threw. Loaded only on the way out: the
 * error classes it tells apart come with the Temporal SDK, which `--help`
 * and the commands without a server never need.
 */
function explainError(err: unknown): CliError {
  /* eslint-disable @typescript-eslint/no-require-imports -- see above; commands/index.ts says why require */
  const { explain } = require('./errors') as typeof import('./errors');
  const { temporalTarget } = require('../temporal/connection') as typeof import('../temporal/connection');
  /* eslint-enable @typescript-eslint/no-require-imports */
  // The target for messages; a broken TEMPORAL_PROFILE must not hide the error being reported.
  let target;
  try {
    target = temporalTarget();
  } catch {
    target = temporalTarget({});
  }
  return explain(err, target);
}

/** For the bin script and `npm run nas`: runs, then exits once stdout has drained. */
export function main(argv: readonly string[] = process.argv): void {
  void run(argv).then((code) => process.stdout.write('', () => process.exit(code)));
}

if (require.main === module) main();
