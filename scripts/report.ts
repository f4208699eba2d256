/**
 * `collm-nas report` under its older name, for scripts that call it:
 *   npx tsx scripts/report.ts <workflow-id> [more ids] [--query '<visibility query>'] [--out dir] [--name comparison] [--json]
 * `npx collm-nas report --help` describes the flags.
 */
import { main } from '../src/cli/main';

main(['node', 'collm-nas', 'report', ...process.argv.slice(2)]);
