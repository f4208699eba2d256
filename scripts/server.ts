/**
 * The local Temporal dev server (SQLite in .data/, Web UI on :8233), as
 * `collm-nas server start|stop`:
 *   npm run server:start    start it in the background (reused if already up)
 *   npm run server:stop     stop the one started by npm start / server:start
 */
import { main } from '../src/cli/main';

main(['node', 'collm-nas', 'server', ...process.argv.slice(2)]);
