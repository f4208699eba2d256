import { evaluateOnce, readArch } from '../../client/offline';
import { EVALUATORS } from '../../evaluators/registry';
import { GROUP, printJson, withExamples, withJson, type CliCommand } from '../command';
import { usageError } from '../errors';
import { checkArchFlags, isFlagError, type ArchFlags } from '../offline-flags';

interface Options extends ArchFlags {
  evaluator?: string;
  options?: string;
  device?: string;
  json?: boolean;
}

export const evaluateCommand: CliCommand = {
  name: 'evaluate',
  register(program) {
    const command = program
      .command('evaluate')
      .helpGroup(GROUP.offline)
      .summary('evaluate one architecture here')
      .description('evaluate one architecture in this process, with this machine\'s evaluator settings')
      .requiredOption('--space <space>', 'search space, e.g. nb201, ofa-mbv3-w12')
      .requiredOption('--arch <arch>', 'the architecture: the space\'s JSON form or its text form')
      .option('--evaluator <name>', `evaluator (default: the space's): ${EVALUATORS.names.join(', ')}`)
      .option('--dataset <dataset>', 'dataset (default: the space\'s first)')
      .option('--options <json>', 'the evaluator\'s options as JSON, e.g. \'{"batchSize": 64}\'')
      .option('--device <device>', 'latency table device, e.g. note10, hwnb_pixel3');
    withJson(command, 'print the evaluation (valAcc, testAcc, cost, metrics, evaluator) as JSON');
    withExamples(command, [
      'collm-nas evaluate --space nb201 --arch \'|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|skip_connect~0|nor_conv_3x3~1|nor_conv_3x3~2|\' --dataset cifar100',
      'collm-nas evaluate --space ofa-mbv3-w12 --arch \'{"r":224,...}\' --device note10 --json',
    ]);
    command.action(async (o: Options) => {
      const space = checkArchFlags('evaluate', o);
      try {
        readArch(space, o.arch);
      } catch (err) {
        throw usageError(isFlagError(err) ? (err as Error).message : `--arch: ${(err as Error).message}`);
      }
      if (o.evaluator !== undefined && !EVALUATORS.has(o.evaluator)) throw usageError(`--evaluator: unknown evaluator '${o.evaluator}'; ${EVALUATORS.hint}`);
      let options: unknown;
      if (o.options !== undefined) {
        try {
          options = JSON.parse(o.options);
        } catch (err) {
          throw usageError(`--options: not JSON (${(err as Error).message}); e.g. --options '{"batchSize": 64}'`);
        }
      }
      let r;
      try {
        r = await evaluateOnce({
          space: o.space,
          arch: o.arch,
          ...(o.evaluator ? { evaluator: o.evaluator } : {}),
          ...(o.dataset ? { dataset: o.dataset } : {}),
          ...(options !== undefined ? { options } : {}),
          ...(o.device ? { latencyDevice: o.device } : {}),
        });
      } catch (err) {
        throw isFlagError(err) ? usageError((err as Error).message) : err;
      }
      if (o.json) {
        printJson(r);
        return;
      }
      // Not every evaluator's score is a percentage (NASWOT's is not): its label says what it is.
      const acc = Number.isNaN(r.valAcc) ? '' : ` ${r.valAcc.toFixed(2)}` + (r.testAcc !== undefined ? `, test ${r.testAcc.toFixed(2)}` : '');
      console.log(`${r.evaluator}: ${r.accuracyLabel}${acc}`);
      console.log(`  ${r.cost.flopsM.toFixed(2)} MFLOPs, ${r.cost.paramsM.toFixed(3)} M params` + (r.cost.latencyMs !== undefined ? `, ${r.cost.latencyMs.toFixed(2)} ms` : ''));
      for (const [name, value] of Object.entries(r.metrics ?? {})) console.log(`  ${name}: ${value}`);
    });
  },
};
