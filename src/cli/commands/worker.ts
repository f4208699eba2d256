import { Argument } from 'commander';
import { controlWorkerFromEnv } from '../../workers/control';
import { evalDevicesFromEnv, evalWorkerFromEnv } from '../../workers/eval';
import { runWorkers, type WorkerFactory } from '../../workers/run';
import { GROUP, withExamples, type CliCommand } from '../command';
import { serverInUse } from '../connect';

type Kind = 'control' | 'eval' | 'all';

const ENVIRONMENT = `
Environment (as \`npm run worker:control\` and \`npm run worker:eval\` read it):
  TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE, ...   the server, as for every command
  NAS_CONTROL_TASK_QUEUE    control worker's queue (default nas-control)
  WORKFLOW_BUNDLE           prebundled workflow code (default dist/workflow-bundle.js when current)
  COLLM_DEPLOYMENT_NAME, COLLM_BUILD_ID   Worker Versioning: pin each search to this build
  COLLM_LLM_ALLOWED_HOSTS, COLLM_LLM_ALLOWED_KEY_ENVS   where LLM requests and keys may go
  NAS_EVAL_TASK_QUEUE       eval worker's queue (default nas-eval)
  EVAL_DEVICES              one evaluation slot per device, e.g. cuda:0,cuda:1 (default cpu,cpu)
  EVAL_EVALUATORS           evaluators to serve (default: every one that can run here)
  EVAL_SIMULATE_MS          pretend each evaluation takes this long`;

export const workerCommand: CliCommand = {
  name: 'worker',
  register(program) {
    const command = program
      .command('worker')
      .helpGroup(GROUP.workers)
      .summary('worker control|eval|all: run the workers that run searches')
      .description(
        'run workers for the server in use until Ctrl-C or SIGTERM shuts them down gracefully (evaluations in flight finish first): ' +
          'the control worker (searches, their LLM calls), the eval worker (evaluations; one per GPU machine), or both in one process',
      )
      .addArgument(new Argument('<kind>', 'control, eval or all').choices(['control', 'eval', 'all']))
      .addHelpText('after', ENVIRONMENT);
    withExamples(command, [
      'collm-nas worker all                                  # both, for searches on this machine',
      'EVAL_DEVICES=cuda:0,cuda:1 collm-nas worker eval      # one evaluation slot per GPU',
      'TEMPORAL_ADDRESS=temporal.example:7233 collm-nas worker control',
    ]);
    command.action(async (kind: Kind) => {
      const factories: WorkerFactory[] = [];
      if (kind !== 'control') {
        // Before connecting: a device the machine lacks stops the worker here, naming it.
        const devices = evalDevicesFromEnv();
        factories.push((connection, target) => evalWorkerFromEnv(connection, target, devices));
      }
      if (kind !== 'eval') factories.push(controlWorkerFromEnv);
      // Start-up problems (missing data, bad settings, no server) reach the user through explain(), in their own words.
      await runWorkers(factories, await serverInUse());
    });
  },
};
