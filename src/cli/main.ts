import { CommanderError } from 'commander';
import { temporalTarget, type TemporalTarget } from '../temporal/connection';
import { CliError, explain } from './errors';
import { EXIT } from './exit-codes';
import { createProgram } from './program';

/**
 * Runs `collm-nas` on `argv` (process.argv: node, script, args...) and
 * resolves to the exit code; errors are printed to stderr as advice.
 */
export async function run(argv: readonly string[]): Promise<number> {
  const program = createProgram();
  try {
    await program.parseAsync([...argv]);
    return EXIT.ok;
  } catch (err) {
    // Commander has printed its own message (unknown flag, missing argument) or the help.
    if (err instanceof CommanderError) return err.exitCode === 0 ? EXIT.ok : EXIT.usage;
    const error: CliError = explain(err, targetOrLocal());
    if (error.message) process.stderr.write(`collm-nas: ${error.message}\n`);
    return error.exitCode;
  }
}

/** The target for messages; a broken TEMPORAL_PROFILE must not hide the error being reported. */
function targetOrLocal(): TemporalTarget {
  try {
    return temporalTarget();
  } catch {
    return temporalTarget({});
  }
}

/** For the bin script and `npm run nas`: runs, then exits once stdout has drained. */
export function main(argv: readonly string[] = process.argv): void {
  void run(argv).then((code) => process.stdout.write('', () => process.exit(code)));
}

if (require.main === module) main();
