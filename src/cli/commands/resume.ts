import { resumeSignal } from '../../workflows/api';
import { signalCommand } from '../signal';

export const resumeCommand = signalCommand({
  name: 'resume',
  signal: resumeSignal,
  summary: 'resume a paused search',
  description: 'resume a paused search',
  effect: 'it carries on from where it paused',
});
