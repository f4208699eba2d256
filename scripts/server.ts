/**
 * The local Temporal dev server (SQLite in .data/, Web UI on :8233):
 *   npm run server:start    start it in the background (reused if already up)
 *   npm run server:stop     stop the one started by npm start / server:start
 */
import { LOCAL_PORT } from '../src/temporal/connection';
import { ensureDevServer, stopDetachedDevServer } from '../src/temporal/dev-server';

async function main(command: string | undefined): Promise<void> {
  if (command === 'start') {
    const server = await ensureDevServer({ port: LOCAL_PORT, detached: true });
    console.log(`${server.started ? 'started' : 'already running'}: ${server.address}, Web UI ${server.uiUrl}`);
  } else if (command === 'stop') {
    console.log(stopDetachedDevServer(LOCAL_PORT) ? 'stopped' : 'no server started by this project is running');
  } else {
    throw new Error('usage: server.ts start|stop');
  }
}

main(process.argv[2]).catch((err) => {
  console.error(`error: ${(err as Error).message}`);
  process.exit(1);
});
