/**
 * Runs the test suite against a real Temporal dev server (started from the
 * Temporal CLI on a spare port with a fresh SQLite file, stopped afterwards).
 *   npm test                      everything
 *   npm test -- test/e2e.test.ts  some files
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureDevServer } from '../src/temporal/dev-server';
import { buildWorkflowBundle } from './build-workflows';

const PORT = Number(process.env.TEST_TEMPORAL_PORT ?? 7300);

async function main(files: string[]): Promise<number> {
  // Workers in the tests run the bundle, so it must be built from this code.
  await buildWorkflowBundle();
  const dir = mkdtempSync(join(tmpdir(), 'collm-nas-test-'));
  const server = await ensureDevServer({ port: PORT, dbFile: join(dir, 'temporal.sqlite'), headless: true });
  if (!server.started) console.log(`tests: reusing the Temporal server already on ${server.address}`);
  const list = files.length > 0 ? files : readdirSync('test').filter((f) => f.endsWith('.test.ts')).sort().map((f) => join('test', f));
  try {
    return await new Promise<number>((resolve) => {
      const child = spawn(process.execPath, ['--import', 'tsx', '--test', '--test-concurrency=1', ...list], {
        stdio: 'inherit',
        env: { ...process.env, TEMPORAL_ADDRESS: server.address, TEMPORAL_NAMESPACE: 'default' },
      });
      child.on('exit', (code, signal) => resolve(code ?? (signal ? 1 : 0)));
    });
  } finally {
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
