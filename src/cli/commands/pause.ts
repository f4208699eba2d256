import { pauseSignal } from '../../workflows/api';
import { signalCommand } from '../signal';

export const pauseCommand = signalCommand({
  name: 'pause',
  signal: pauseSignal,
  summary: 'pause a search',
  description: 'pause a search: the evaluations in flight finish, no new ones start until `resume`',
  effect: 'it finishes the evaluations in flight and waits for `collm-nas resume`',
});
