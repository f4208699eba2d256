import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { InvalidArgumentError } from 'commander';
import type { Client } from '@temporalio/client';
import { checkHost, DEFAULT_HOST, DEFAULT_PORT, ensureOutDir, OutDirError, runReportCommand, searchesMatching, serveSearchReport, ServeError } from '../../report';
import { GROUP, printJson, withExamples, withJson, type CliCommand } from '../command';
import { withClient } from '../connect';
import { CliError, refusedQuery, usageError } from '../errors';
import { EXIT } from '../exit-codes';

interface Options {
  query?: string;
  out: string;
  name?: string;
  json?: boolean;
  serve?: boolean;
  port?: number;
  host?: string;
  allowRemote?: boolean;
}

function portNumber(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new InvalidArgumentError('expected a port from 0 to 65535 (0: any free one)');
  return n;
}

/** Each named search is looked up first, so a mistyped id is reported like everywhere else (exit 4) and nothing is written. */
async function checkSearches(client: Client, ids: readonly string[]): Promise<void> {
  for (const id of ids) {
    const { type } = await client.workflow.getHandle(id).describe();
    if (type !== 'nasSearch') throw new CliError(`'${id}' is a ${type} workflow, not a search: \`collm-nas list\` shows the searches`, EXIT.searchFailed);
  }
}

/** The flags that only --serve reads, refused without it rather than ignored. */
function checkServeFlags(ids: readonly string[], options: Options): void {
  if (!options.serve) {
    const stray = [options.port !== undefined && '--port', options.host !== undefined && '--host', options.allowRemote && '--allow-remote'].filter(Boolean);
    if (stray.length > 0) throw usageError(`${stray.join(', ')}: only with --serve`);
    return;
  }
  if (ids.length !== 1 || options.query) throw usageError('--serve shows one search: give one workflow id and no --query');
  try {
    checkHost(options.host ?? DEFAULT_HOST, options.allowRemote);
  } catch (err) {
    throw err instanceof ServeError ? usageError(err.message) : err;
  }
}

/** Serves one search's report until Ctrl-C (or SIGTERM); the search itself is left alone. */
async function serve(client: Client, id: string, options: Options): Promise<void> {
  const server = await serveSearchReport(client, id, {
    host: options.host ?? DEFAULT_HOST,
    port: options.port ?? DEFAULT_PORT,
    allowRemote: options.allowRemote ?? false,
    startCommand: 'collm-nas start',
    onEnded: (state) => {
      if (!options.json) console.log(`the search has ended (${state.status}): the page no longer updates; Ctrl-C stops serving it`);
    },
  }).catch((err: unknown) => {
    throw err instanceof ServeError ? new CliError(err.message) : err;
  });
  if (options.json) printJson({ url: server.url });
  else console.log(`serving the report of ${id} at ${server.url} (it updates itself while the search runs); Ctrl-C stops serving`);
  await new Promise<void>((done) => {
    const stop = (): void => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      done();
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  await server.close();
  if (!options.json) console.log(`stopped serving the report; search '${id}' is not affected`);
}

export const reportCommand: CliCommand = {
  name: 'report',
  register(program) {
    const command = program
      .command('report')
      .helpGroup(GROUP.search)
      .summary('write a search\'s report: HTML page, candidates as CSV and JSON; or serve it live')
      .description(
        'write a self-contained HTML report per search (charts, LLM calls with their prompts and answers, every evaluation to sort and filter, ' +
          'the best architecture and the command that runs the search again) with its candidates as CSV and JSON; several searches also get a comparison page. ' +
          'With --serve, serve one search\'s report on a local web page that updates itself while the search runs (no files written)',
      )
      .argument('[workflow-id...]', 'the searches (finished or still running)')
      .option('--query <query>', 'and the searches a visibility query finds, e.g. \'TemporalScheduledById = "nightly"\'')
      .option('--out <dir>', 'where to write the files', 'reports')
      .option('--name <name>', 'file name of the comparison page (default: comparison)')
      .option('--serve', 'serve the report at http://127.0.0.1:<port>/ and update it while the search runs, until Ctrl-C')
      .option('--port <port>', `with --serve: the port (default ${DEFAULT_PORT}; 0 takes any free one)`, portNumber)
      .option('--host <address>', `with --serve: the address to listen on (default ${DEFAULT_HOST}); one other machines reach needs --allow-remote`)
      .option('--allow-remote', 'with --serve: allow a --host other machines reach (the page has no password)');
    withJson(command, 'print {files: [...]} as JSON; with --serve, {url} once it serves');
    withExamples(command, [
      'collm-nas report my-search',
      'collm-nas report search-a search-b --out reports/ab --name a-vs-b',
      'collm-nas report --query \'TemporalScheduledById = "nightly"\' --json',
      'collm-nas report my-search --serve --port 8300     # open http://127.0.0.1:8300/',
    ]);
    command.action(async (ids: string[], options: Options) => {
      if (ids.length === 0 && !options.query) throw usageError('report: give one or more workflow ids, or --query (`collm-nas list` shows the searches)');
      checkServeFlags(ids, options);
      if (options.serve) {
        await withClient(async (client) => {
          await checkSearches(client, ids);
          await serve(client, ids[0]!, options);
        }, ids[0]);
        return;
      }
      // Checked before anything is gathered: a file in the way, or a folder under /proc, is a usage error, not a half-written report.
      try {
        ensureOutDir(options.out);
      } catch (err) {
        throw err instanceof OutDirError ? usageError(err.message) : err;
      }
      await withClient(async (client) => {
        await checkSearches(client, ids);
        const all = [...ids];
        if (options.query) {
          const query = options.query;
          const matched = await searchesMatching(client, query).catch((err: unknown) => {
            throw refusedQuery(err, '--query', `WorkflowType = "nasSearch" AND (${query})`) ?? err;
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
