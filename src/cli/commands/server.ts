import { join } from 'node:path';
import { LOCAL_PORT } from '../../temporal/connection';
import { ensureDevServer, stopDetachedDevServer } from '../../temporal/dev-server';
import { DATA_DIR } from '../../temporal/paths';
import { GROUP, positiveInt, printJson, withExamples, withJson, type CliCommand } from '../command';

/** The default port keeps the state npm start uses; another port gets a file of its own (one server per SQLite file). */
function dbFile(port: number): string {
  return join(DATA_DIR, port === LOCAL_PORT ? 'temporal.sqlite' : `temporal-${port}.sqlite`);
}

export const serverCommand: CliCommand = {
  name: 'server',
  register(program) {
    const server = program
      .command('server')
      .helpGroup(GROUP.server)
      .summary('server start|stop: the local Temporal dev server')
      .description('start or stop the local Temporal dev server (SQLite state in .data/, Web UI on port + 1000)');
    withExamples(server, ['collm-nas server start', 'collm-nas server start --port 7300', 'collm-nas server stop']);

    const start = server
      .command('start')
      .description('start it in the background, or reuse the one already listening; it outlives this command')
      .option('--port <port>', 'gRPC port', positiveInt, LOCAL_PORT);
    withJson(start, 'print {address, webUi, started} as JSON');
    withExamples(start, ['collm-nas server start', 'collm-nas server start --port 7300 && TEMPORAL_ADDRESS=127.0.0.1:7300 collm-nas list']);
    start.action(async (options: { port: number; json?: boolean }) => {
      const s = await ensureDevServer({ port: options.port, dbFile: dbFile(options.port), detached: true });
      const address = options.port === LOCAL_PORT ? s.address : `${s.address} (set TEMPORAL_ADDRESS=${s.address} to use it)`;
      if (options.json) printJson({ address: s.address, webUi: s.uiUrl, started: s.started });
      else console.log(`${s.started ? 'started' : 'already running'}: ${address}, Web UI ${s.uiUrl}`);
    });

    const stop = server
      .command('stop')
      .description('stop the server `server start` or `npm start` left running (one this project did not start is left alone)')
      .option('--port <port>', 'gRPC port', positiveInt, LOCAL_PORT);
    withJson(stop, 'print {port, stopped} as JSON');
    withExamples(stop, ['collm-nas server stop']);
    stop.action((options: { port: number; json?: boolean }) => {
      const stopped = stopDetachedDevServer(options.port);
      if (options.json) printJson({ port: options.port, stopped });
      else console.log(stopped ? `stopped the server on port ${options.port}` : `no server started by collm-nas is running on port ${options.port}; nothing to stop`);
    });
  },
};
