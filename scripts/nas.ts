/**
 * `npm run nas -- <command> ...`: the `collm-nas` command line (src/cli/),
 * for checkouts where `npx collm-nas` is not at hand. `npm run nas -- --help`
 * lists the commands.
 */
import { main } from '../src/cli/main';

main(['node', 'collm-nas', ...process.argv.slice(2)]);
