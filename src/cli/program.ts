import { Command } from 'commander';
import { version } from '../../package.json';
import { COMMANDS } from './commands';
import { exitCodesHelp } from './exit-codes';

const ENVIRONMENT = `Environment:
  TEMPORAL_ADDRESS      Temporal server to use (default: the local dev server on 127.0.0.1:7233)
  TEMPORAL_NAMESPACE    its namespace (default: default); TEMPORAL_API_KEY, TEMPORAL_TLS*,
                        TEMPORAL_PROFILE as in Temporal's environment configuration
  COLLM_LLM_BASE_URL    OpenAI-compatible endpoint for searches that need an LLM and name none,
  COLLM_LLM_MODEL       with its model (else the embedded model)`;

const EXAMPLES = `Examples:
  $ collm-nas server start
  $ collm-nas start config/default.json --watch
  $ collm-nas list --json
  $ collm-nas <command> --help      # a command's flags and examples`;

/** The `collm-nas` program: every command in commands/index.ts, help that lists exit codes. */
export function createProgram(): Command {
  const program = new Command('collm-nas')
    .description('LLM-guided neural architecture search on durable Temporal workflows: start, watch and steer searches.')
    .version(version, '-V, --version', 'print the version')
    .helpOption('-h, --help', 'show help')
    .helpCommand('help [command]', 'show help for a command')
    // Errors become exit codes in main.ts rather than process.exit() here.
    .exitOverride()
    .showHelpAfterError('(collm-nas --help lists the commands; collm-nas <command> --help shows its flags and examples)')
    .configureOutput({ outputError: (text, write) => write(text.replace(/^error: /, 'collm-nas: ')) })
    .addHelpText('after', `\n${EXAMPLES}\n\n${ENVIRONMENT}\n\n${exitCodesHelp()}`);
  for (const command of COMMANDS.list()) command.register(program);
  return program;
}
