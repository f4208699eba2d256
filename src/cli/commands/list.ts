import type { WorkflowExecutionInfo } from '@temporalio/client';
import { NAS_BEST_VAL_ACC, NAS_DATASET, NAS_EVALUATED, NAS_PAUSED, NAS_SPACE, NAS_STRATEGY } from '../../workflows/search-attributes';
import { GROUP, positiveInt, printJson, withExamples, withJson, type CliCommand } from '../command';
import { withClient } from '../connect';
import { refusedQuery } from '../errors';
import { statusText } from '../status';

function row(wf: WorkflowExecutionInfo) {
  const attrs = wf.typedSearchAttributes;
  return {
    workflowId: wf.workflowId,
    runId: wf.runId,
    status: wf.status.name,
    // Temporal lists a paused search as RUNNING; the search marks itself NasPaused.
    paused: wf.status.name === 'RUNNING' && attrs.get(NAS_PAUSED) === true,
    startTime: wf.startTime.toISOString(),
    ...(wf.closeTime ? { closeTime: wf.closeTime.toISOString() } : {}),
    space: attrs.get(NAS_SPACE),
    dataset: attrs.get(NAS_DATASET),
    strategy: attrs.get(NAS_STRATEGY),
    evaluated: attrs.get(NAS_EVALUATED),
    bestValAcc: attrs.get(NAS_BEST_VAL_ACC),
  };
}

export const listCommand: CliCommand = {
  name: 'list',
  register(program) {
    const command = program
      .command('list')
      .helpGroup(GROUP.search)
      .summary('list the searches')
      .description('list the searches on the server, newest first')
      .option('--query <query>', 'a visibility query to narrow them, e.g. \'NasSpace = "nb201" AND ExecutionStatus = "Running"\'')
      .option('--limit <n>', 'at most this many', positiveInt);
    withJson(command, 'print an array of {workflowId, runId, status, paused, startTime, closeTime, space, dataset, strategy, evaluated, bestValAcc}');
    withExamples(command, ['collm-nas list', 'collm-nas list --query \'ExecutionStatus = "Running"\' --json', 'collm-nas list --query \'NasPaused = true\'']);
    command.action(async (options: { query?: string; limit?: number; json?: boolean }) => {
      await withClient(async (client) => {
        const query = `WorkflowType = "nasSearch"${options.query ? ` AND (${options.query})` : ''}`;
        const rows: ReturnType<typeof row>[] = [];
        try {
          for await (const wf of client.workflow.list({ query })) {
            rows.push(row(wf));
            if (options.limit !== undefined && rows.length >= options.limit) break;
          }
        } catch (err) {
          throw refusedQuery(err, '--query', query) ?? err;
        }
        if (options.json) {
          printJson(rows);
          return;
        }
        if (rows.length === 0) {
          console.log(options.query ? `no search matches ${options.query}` : 'no searches; start one with `collm-nas start config/default.json`');
          return;
        }
        console.log(['WORKFLOW ID', 'STATUS', 'STARTED', 'SEARCH', 'PROGRESS'].join('\t'));
        for (const r of rows) {
          const what = r.space ? `${r.space}/${r.dataset} ${r.strategy}` : '';
          const progress = r.evaluated !== undefined ? `${r.evaluated} evaluated` + (r.bestValAcc !== undefined ? `, best ${r.bestValAcc.toFixed(2)}%` : '') : '';
          console.log([r.workflowId, r.paused ? 'paused' : statusText(r.status), r.startTime, what, progress].join('\t'));
        }
      });
    });
  },
};
