/* eslint-disable @typescript-eslint/no-require-imports --
 * Each command is loaded only when it runs (program.ts), so that one command does not load what the
 * others import. require, not import(): under tsx an import() gets a second copy of a module that
 * require already loaded (two CliError classes), and in the built CLI it cannot resolve a path without
 * its extension.
 */
import { createRegistry } from '../../lib/registry';
import type { CliCommand } from '../command';

/** A command by name, and how to load the module that registers it. */
export interface LazyCommand {
  readonly name: string;
  load(): CliCommand;
}

/** Every `collm-nas` command, in the order `--help` lists them within a group. One line each. */
export const COMMANDS = createRegistry<LazyCommand>('command', [
  { name: 'start', load: () => (require('./start') as typeof import('./start')).startCommand },
  { name: 'watch', load: () => (require('./watch') as typeof import('./watch')).watchCommand },
  { name: 'progress', load: () => (require('./progress') as typeof import('./progress')).progressCommand },
  { name: 'result', load: () => (require('./result') as typeof import('./result')).resultCommand },
  { name: 'list', load: () => (require('./list') as typeof import('./list')).listCommand },
  { name: 'pause', load: () => (require('./pause') as typeof import('./pause')).pauseCommand },
  { name: 'resume', load: () => (require('./resume') as typeof import('./resume')).resumeCommand },
  { name: 'stop', load: () => (require('./stop') as typeof import('./stop')).stopCommand },
  { name: 'extend', load: () => (require('./extend') as typeof import('./extend')).extendCommand },
  { name: 'steer', load: () => (require('./steer') as typeof import('./steer')).steerCommand },
  { name: 'export', load: () => (require('./export') as typeof import('./export')).exportCommand },
  { name: 'log', load: () => (require('./log') as typeof import('./log')).logCommand },
  { name: 'report', load: () => (require('./report') as typeof import('./report')).reportCommand },
  { name: 'schedule', load: () => (require('./schedule') as typeof import('./schedule')).scheduleCommand },
  { name: 'worker', load: () => (require('./worker') as typeof import('./worker')).workerCommand },
  { name: 'temporal', load: () => (require('./temporal') as typeof import('./temporal')).temporalCommand },
  { name: 'replay', load: () => (require('./replay') as typeof import('./replay')).replayCommand },
  { name: 'cost', load: () => (require('./cost') as typeof import('./cost')).costCommand },
  { name: 'evaluate', load: () => (require('./evaluate') as typeof import('./evaluate')).evaluateCommand },
  { name: 'server', load: () => (require('./server') as typeof import('./server')).serverCommand },
]);
