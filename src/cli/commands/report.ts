import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { isGrpcServiceError } from '@temporalio/client';
import { ensureOutDir, OutDirError, runReportCommand, searchesMatching } from '../../report';
import { GROUP, printJson, withExamples, withJson, type CliCommand } from '../command';
import { withClient } from '../connect';
import { CliError, usageError } from '../errors';
import { EXIT } from '../exit-codes';

interface Options {
  query?: string;
  out: string;
  name?: string;
  json?: boolean;
}

export const reportCommand: CliCommand = {
  name: 'report',
  register(program) {
    const command = program
      .command('report')
      .helpGroup(GROUP.search)
      .summary('write a search\'s report: HTML page, candidates as CSV and JSON')
      .description(
        'write a self-contained HTML report per search (charts, LLM calls, the best architecture and the command that runs the search again) ' +
          'with its candidates as CSV and JSON; several searches also get a comparison page',
      )
      .argument('[workflow-id...]', 'the searches (finished or still running)')
      .option('--query <query>', 'and the searches a visibility query finds, e.g. \'TemporalScheduledById = "nightly"\'')
      .option('--out <dir>', 'where to write the files', 'reports')
      .option('--name <name>', 'file name of the comparison page (default: comparison)');
    withJson(command, 'print {files: [...]} as JSON');
    withExamples(command, [
      'collm-nas report my-search',
      'collm-nas report search-a search-b --out reports/ab --name a-vs-b',
      'collm-nas report --query \'TemporalScheduledById = "nightly"\' --json',
    ]);
    command.action(async (ids: string[], options: Options) => {
      if (ids.length === 0 && !options.query) throw usageError('report: give one or more workflow ids, or --query (`collm-nas list` shows the searches)');
      // Checked before anything is gathered: a file in the way, or a folder under /proc, is a usage error, not a half-written report.
      try {
        ensureOutDir(options.out);
      } catch (err) {
        throw err instanceof OutDirError ? usageError(err.message) : err;
      }
      await withClient(async (client) => {
        // Each named search is looked up first, so a mistyped id is reported like everywhere else (exit 4) and nothing is written.
        for (const id of ids) {
          const { type } = await client.workflow.getHandle(id).describe();
          if (type !== 'nasSearch') throw new CliError(`'${id}' is a ${type} workflow, not a search: \`collm-nas list\` shows the searches`, EXIT.searchFailed);
        }
        const all = [...ids];
        if (options.query) {
          const matched = await searchesMatching(client, options.query).catch((err: unknown) => {
            // INVALID_ARGUMENT (the SDK wraps it): the server's own words say what is wrong with the query.
            const grpc = [err, (err as Error)?.cause].find(isGrpcServiceError);
            if (grpc?.code === 3) throw usageError(`--query: ${grpc.details} (in the query sent: WorkflowType = "nasSearch" AND (${options.query}))`);
            throw err;
          });
          if (matched.length === 0 && ids.length === 0) {
            throw new CliError(`no search matches ${options.query}: \`collm-nas list --query '${options.query}'\` shows what it finds`, EXIT.searchFailed);
          }
          all.push(...matched.filter((id) => !all.includes(id)));
        }
        const files = await runReportCommand(client, {
          workflowIds: all,
          outDir: options.out,
          ...(options.name ? { name: options.name } : {}),
          startCommand: 'collm-nas start',
        });
        if (options.json) {
          printJson({ files });
          return;
        }
        for (const f of files) console.log(f);
        // The comparison page is written last and links every report; with one search its page is the only one.
        const page = files.filter((f) => f.endsWith('.html')).at(-1)!;
        const what = all.length > 1 ? `: it compares the ${all.length} searches and links their reports` : ' (it works offline)';
        console.log(`open ${pathToFileURL(resolve(page)).href} in a browser${what}`);
      });
    });
  },
};
