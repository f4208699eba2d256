import { InvalidArgumentError, type Command } from 'commander';

/**
 * One `collm-nas` command: a file in commands/ that adds itself (with its
 * options, help and examples) to the program, and a line in
 * commands/index.ts. Commands with subcommands (`server start|stop`) add
 * their own.
 */
export interface CliCommand {
  /** The word after `collm-nas`; two commands under one name are refused. */
  readonly name: string;
  register(program: Command): void;
}

/** Where a command is listed in `collm-nas --help`. */
export const GROUP = {
  search: 'Searches (on the Temporal server in use):',
  workers: 'Workers and the Temporal CLI (on the server in use):',
  offline: 'Without a server:',
  server: 'Local Temporal dev server:',
} as const;

/** Appends "Examples:" to a command's --help; each example is `command  # what it does`. */
export function withExamples(command: Command, examples: readonly string[]): Command {
  return command.addHelpText('after', `\nExamples:\n${examples.map((e) => `  $ ${e}`).join('\n')}`);
}

/** The `--json` flag every command that prints a result has. */
export function withJson(command: Command, what = 'print the result as one JSON document (for scripts)'): Command {
  return command.option('--json', what);
}

export function printJson(value: unknown): void {
  process.stdout.write(JSON.stringify(value) + '\n');
}

/** For repeatable flags (`--set a=1 --set b=2`). */
export function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

/** Parses a flag or argument that must be a positive whole number; commander reports the failure as a usage error. */
export function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('expected a positive whole number, e.g. 50');
  return n;
}
