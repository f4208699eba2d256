import { createRegistry } from '../../lib/registry';
import type { CliCommand } from '../command';
import { costCommand } from './cost';
import { evaluateCommand } from './evaluate';
import { exportCommand } from './export';
import { extendCommand } from './extend';
import { listCommand } from './list';
import { logCommand } from './log';
import { pauseCommand } from './pause';
import { progressCommand } from './progress';
import { replayCommand } from './replay';
import { reportCommand } from './report';
import { resultCommand } from './result';
import { resumeCommand } from './resume';
import { scheduleCommand } from './schedule';
import { serverCommand } from './server';
import { startCommand } from './start';
import { steerCommand } from './steer';
import { stopCommand } from './stop';
import { watchCommand } from './watch';

/** Every `collm-nas` command, in the order `--help` lists them within a group. One line each. */
export const COMMANDS = createRegistry<CliCommand>('command', [
  startCommand,
  watchCommand,
  progressCommand,
  resultCommand,
  listCommand,
  pauseCommand,
  resumeCommand,
  stopCommand,
  extendCommand,
  steerCommand,
  exportCommand,
  logCommand,
  reportCommand,
  scheduleCommand,
  replayCommand,
  costCommand,
  evaluateCommand,
  serverCommand,
]);
