/**
 * Writes search reports (self-contained HTML, with the candidates as CSV and JSON):
 *   npx tsx scripts/report.ts <workflow-id> [more ids] [--out dir] [--query '<visibility query>'] [--name comparison]
 * One search gets its report; several (or a query's matches, e.g.
 * --query 'WorkflowId STARTS_WITH "benchc-"' or --query 'TemporalScheduledById = "nightly"')
 * get one each and a comparison page. Default directory: reports/.
 * Connects to TEMPORAL_ADDRESS, or the local dev server on 127.0.0.1:7233.
 */
import { readFileSync } from 'node:fs';
import { runReportCommand } from '../src/report';
import { connectClient } from '../src/temporal/connection';

const USAGE = readFileSync(__filename, 'utf8').split('*/')[0]!.replace(/^\/\*\*\n/, '').replace(/^ \* ?/gm, '');

function take(args: string[], name: string): string | undefined {
  const i = args.indexOf(name);
  if (i < 0) return undefined;
  const value = args[i + 1];
  if (value === undefined) throw new Error(`${name} needs a value`);
  args.splice(i, 2);
  return value;
}

async function main(argv: string[]): Promise<void> {
  const args = argv.slice();
  if (args.length === 0 || args.includes('--help')) {
    console.log(USAGE);
    return;
  }
  const outDir = take(args, '--out');
  const query = take(args, '--query');
  const name = take(args, '--name');
  const unknown = args.find((a) => a.startsWith('--'));
  if (unknown) throw new Error(`unknown option ${unknown}\n${USAGE}`);
  const client = await connectClient();
  try {
    const paths = await runReportCommand(client, {
      workflowIds: args,
      ...(query ? { query } : {}),
      ...(outDir ? { outDir } : {}),
      ...(name ? { name } : {}),
    });
    for (const p of paths) console.log(p);
  } finally {
    await client.connection.close();
  }
}

main(process.argv.slice(2)).catch((err) => {
  console.error(`error: ${(err as Error).message}`);
  process.exit(1);
});
