import { costOf } from '../../client/offline';
import { GROUP, printJson, withExamples, withJson, type CliCommand } from '../command';
import { usageError } from '../errors';
import { checkArchFlags, isFlagError, type ArchFlags } from '../offline-flags';

export const costCommand: CliCommand = {
  name: 'cost',
  register(program) {
    const command = program
      .command('cost')
      .helpGroup(GROUP.offline)
      .summary('an architecture\'s MFLOPs and params')
      .description('an architecture\'s cost (MFLOPs as multiply-accumulates, M params) from its space\'s cost model')
      .requiredOption('--space <space>', 'search space, e.g. nb201, ofa-mbv3-w12, spos-shufflenetv2, autoformer-t')
      .requiredOption('--arch <arch>', 'the architecture: the space\'s JSON form or its text form')
      .option('--dataset <dataset>', 'dataset (default: the space\'s first)');
    withJson(command, 'print {space, dataset, flopsM, paramsM} as JSON');
    withExamples(command, [
      'collm-nas cost --space nb201 --arch \'|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|skip_connect~0|nor_conv_3x3~1|nor_conv_3x3~2|\'',
      'collm-nas cost --space ofa-mbv3-w12 --arch \'{"r":224,"d":[2,3,3,4,4],"ks":[...20],"e":[...20]}\' --json',
    ]);
    command.action((options: ArchFlags & { json?: boolean }) => {
      checkArchFlags('cost', options);
      let c;
      try {
        c = costOf(options.space, options.arch, options.dataset);
      } catch (err) {
        // Everything costOf can refuse is the input: the architecture, for its space.
        throw usageError(isFlagError(err) ? (err as Error).message : `--arch: ${(err as Error).message}`);
      }
      if (options.json) printJson(c);
      else console.log(`${c.space} on ${c.dataset}: ${c.flopsM.toFixed(2)} MFLOPs (multiply-accumulates), ${c.paramsM.toFixed(3)} M params`);
    });
  },
};
