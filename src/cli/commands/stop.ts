import { stopSignal } from '../../workflows/api';
import { signalCommand } from '../signal';

export const stopCommand = signalCommand({
  name: 'stop',
  signal: stopSignal,
  summary: 'stop a search early, keeping its result',
  description: 'stop a search early: the evaluations in flight finish, then it returns its result so far',
  effect: 'it finishes the evaluations in flight and returns its result (`collm-nas result` shows it)',
});
