import { z } from 'zod';
import type { EvaluatorPlugin } from '../types';
import { evaluateCommand } from './evaluate';
import { commandOptionsSchema, commandSettingsSchema, type CommandOptions, type CommandSettings } from './options';
import { resolveAllowed } from './program';

export type { CommandInput } from './evaluate';
export { OUTPUT_FORMAT, parseProgramOutput } from './metrics';
export { commandOptionsSchema, commandSettingsSchema, durationMs, type CommandOptions, type CommandSettings } from './options';
export { groupAlive, isAlive } from './process-group';
export { runCommand, SpawnError, type RunOptions, type RunOutcome } from './run';

/**
 * Evaluation by the user's own program, e.g. a PyTorch script that loads a
 * supernet, sets the subnet, recalibrates batch norm and measures ImageNet
 * validation accuracy on the GPU the eval worker assigned. Per candidate:
 * argv runs without a shell, in its own process group; stdin gets one JSON
 * line (space, dataset, arch, archJson, device, latencyDevice?) and is
 * closed; the last non-empty stdout line is the metrics as JSON. The
 * candidate travels only on stdin, so it cannot change what runs.
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
    const checked = commandSettingsSchema.safeParse(settings ?? {});
    if (!checked.success) throw new Error(`command evaluator settings: ${z.prettifyError(checked.error)}`);
    const allowedPrograms = checked.data.allowedPrograms;
    let allowed: Map<string, string> | undefined;
    // Resolved once; a program installed later is seen by a worker restart.
    const load = () => (allowed ??= allowedPrograms && resolveAllowed(allowedPrograms));
    return {
      check() {
        load();
      },
      evaluate: (request, context) => evaluateCommand(request, context, load()),
    };
  },
};
