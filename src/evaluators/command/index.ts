import { z } from 'zod';
import { EvaluationError, type EvaluatorPlugin } from '../types';
import { evaluateCommand } from './evaluate';
import { commandOptionsSchema, commandSettingsSchema, type CommandOptions, type CommandSettings } from './options';
import { containmentPlan } from './containment';
import { resolveAllowed, type AllowedPrograms } from './program';
import { commandSettingsFromEnv, NOT_ALLOWED_HELP } from './settings';

export type { CommandInput } from './evaluate';
export { OUTPUT_FORMAT, parseProgramOutput } from './metrics';
export { commandOptionsSchema, commandSettingsSchema, type CommandOptions, type CommandSettings } from './options';
export { groupAlive, isAlive } from './process-group';
export { runCommand, SpawnError, type RunOptions, type RunOutcome } from './run';
export { containmentPlan, type Containment, type ContainmentPlan } from './containment';
export { COMMAND_ENV, commandSettingsFromEnv } from './settings';
export { PROGRAM_ENV } from './program';

/**
 * Evaluation by the user's own program, e.g. a PyTorch script that loads a
 * supernet, sets the subnet, recalibrates batch norm and measures ImageNet
 * validation accuracy on the GPU the eval worker assigned. Per candidate:
 * argv runs without a shell, in its own process group; stdin gets one JSON
 * line (space, dataset, arch, archJson, device, latencyDevice?) and is
 * closed; the last non-empty stdout line is the metrics as JSON. The
 * candidate travels only on stdin, so it cannot change what runs; and the
 * worker, never the search, decides which programs may run (settings.ts),
 * with which of its variables, contained how (containment.ts).
 */
export const commandEvaluator: EvaluatorPlugin<CommandOptions, CommandSettings> = {
  name: 'command',
  description: 'runs your program per candidate: the architecture as JSON on stdin, {"valAcc": ...} as the last line of stdout',
  accuracyLabel: 'validation accuracy reported by your program',
  spaces: 'any',
  // The program may measure latency on any device; one that is asked (latencyDevice) and reports none fails clearly.
  latency: () => true,
  options: commandOptionsSchema,
  create(settings) {
    // Settings given in code win; a worker process reads its environment (COLLM_COMMAND_*).
    const checked = commandSettingsSchema.safeParse(settings ?? commandSettingsFromEnv());
    if (!checked.success) throw new Error(`command evaluator settings${settings ? '' : ' (COLLM_COMMAND_*)'}: ${z.prettifyError(checked.error)}`);
    const { allowedPrograms, passEnv = [], contain } = checked.data;
    let allowed: AllowedPrograms | undefined;
    // Resolved once; a program installed later is seen by a worker restart.
    const load = (): AllowedPrograms => {
      if (!allowedPrograms) throw new EvaluationError(NOT_ALLOWED_HELP, false, 'CommandNotAllowed');
      return (allowed ??= resolveAllowed(allowedPrograms));
    };
    const plan = () => {
      const p = containmentPlan(contain);
      if (contain === 'pid-namespace' && p.mode !== 'pid-namespace') {
        throw new EvaluationError(`command: contain is "pid-namespace" but ${p.why}; install util-linux, allow user namespaces, or use "auto"`, false, 'CommandContainment');
      }
      return p;
    };
    let warned = false;
    return {
      check() {
        load();
        const p = plan();
        if (p.why && !warned) {
          warned = true;
          console.warn(`command evaluator: programs are contained by their process group only (${p.why}); one that calls setsid can outlive its evaluation`);
        }
      },
      evaluate: async (request, context) => evaluateCommand(request, context, { allowed: load(), passEnv, wrapper: plan().wrapper }),
    };
  },
};
