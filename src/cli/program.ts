import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Command, Help } from 'commander';
import { version } from '../../package.json';
import { COMMANDS, type LazyCommand } from './commands';
import { exitCodesHelp } from './exit-codes';

const ENVIRONMENT = `Environment:
  TEMPORAL_ADDRESS      Temporal server to use (default: the local dev server on 127.0.0.1:7233)
  TEMPORAL_NAMESPACE    its namespace (default: default); TEMPORAL_API_KEY, TEMPORAL_TLS*,
                        TEMPORAL_PROFILE as in Temporal's environment configuration
  COLLM_LLM_BASE_URL    OpenAI-compatible endpoint for searches that need an LLM and name none,
  COLLM_LLM_MODEL       with its model (else the embedded model)`;

const EXAMPLES = `Examples:
  $ collm-nas server start
  $ collm-nas worker all            # in another terminal: the workers that run searches
  $ collm-nas start config/default.json --watch
  $ collm-nas list --json
  $ collm-nas <command> --help      # a command's flags and examples`;

/** A command as the top-level help lists it; scripts/build-cli.ts records these for the built CLI. */
export interface CommandSummary {
  name: string;
  /** "start [options] <config>" */
  term: string;
  summary: string;
  group: string;
}

/**
 * The `collm-nas` program: help that lists exit codes, and the commands of
 * commands/index.ts. Given the command line, it loads only the command it
 * names; the top-level help lists the others from the build's record when
 * there is one (dist/cli/build.json), so neither loads what the other
 * commands import (the Temporal SDK, ONNX, the LLM runtime). Without an
 * argv, or without a record (run from src/ by tsx), every command is loaded.
 */
export function createProgram(argv?: readonly string[]): Command {
  const program = new Command('collm-nas')
    .description('LLM-guided neural architecture search on durable Temporal workflows: start, watch and steer searches.')
    .version(version, '-V, --version', 'print the version')
    .helpOption('-h, --help', 'show help')
    .helpCommand('help [command]', 'show help for a command')
    // `collm-nas temporal workflow list --help` is the Temporal CLI's help, not ours: options after a command are its own.
    .enablePositionalOptions()
    // Errors become exit codes in main.ts rather than process.exit() here.
    .exitOverride()
    .showHelpAfterError('(collm-nas --help lists the commands; collm-nas <command> --help shows its flags and examples)')
    .configureOutput({ outputError: (text, write) => write(text.replace(/^error: /, 'collm-nas: ')) })
    .addHelpText('after', `\n${EXAMPLES}\n\n${ENVIRONMENT}\n\n${exitCodesHelp()}`);
  const named = argv ? commandNamed(argv.slice(2)) : undefined;
  if (named) {
    register(program, named);
    return program;
  }
  const recorded = argv ? recordedSummaries() : undefined;
  if (recorded) listOnly(program, recorded);
  else for (const command of COMMANDS.list()) register(program, command);
  return program;
}

/** Every command's line in the top-level help, for the build's record. */
export function summarizeCommands(): CommandSummary[] {
  const program = createProgram();
  const help = program.createHelp();
  return program.commands.map((c) => ({ name: c.name(), term: help.subcommandTerm(c), summary: help.subcommandDescription(c), group: c.helpGroup() }));
}

function register(program: Command, entry: LazyCommand): void {
  const command = entry.load();
  // index.ts names each command beside its loader: the two must agree, or help and dispatch would differ.
  if (command.name !== entry.name) throw new Error(`commands/index.ts lists '${entry.name}' but its module registers '${command.name}'`);
  command.register(program);
}

/**
 * The command the arguments run, or whose help `help <command>` asks for.
 * None when they begin with a flag (`--help`, `--version`, a typo), name no
 * known command, or ask for the top-level help: those need the whole list.
 */
function commandNamed(args: readonly string[]): LazyCommand | undefined {
  const [first, second] = args;
  if (first === undefined || first.startsWith('-')) return undefined;
  const name = first === 'help' && second !== undefined && !second.startsWith('-') ? second : first;
  return COMMANDS.has(name) ? COMMANDS.get(name) : undefined;
}

/** The build's record beside this file (dist/cli/build.json), whose presence means a built CLI. */
function recordedSummaries(): CommandSummary[] | undefined {
  try {
    const { commands } = JSON.parse(readFileSync(join(__dirname, 'build.json'), 'utf8')) as { commands: CommandSummary[] };
    // A record from before a command was added or removed would list the wrong commands.
    const same = commands.length === COMMANDS.names.length && commands.every((c, i) => c.name === COMMANDS.names[i]);
    return same ? commands : undefined;
  } catch {
    return undefined;
  }
}

/** The commands as the top-level help lists them, without loading them: enough for help, usage errors and suggestions. */
function listOnly(program: Command, summaries: readonly CommandSummary[]): void {
  for (const s of summaries) program.command(s.name).summary(s.summary).helpGroup(s.group);
  const terms = new Map(summaries.map((s) => [s.name, s.term]));
  const standard = new Help();
  program.configureHelp({ subcommandTerm: (cmd) => terms.get(cmd.name()) ?? standard.subcommandTerm(cmd) });
}
