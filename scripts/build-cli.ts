/**
 * Builds the command line into dist/ (`npm run build`, and the set-up when a
 * source changed), so that bin/collm-nas starts without compiling TypeScript:
 *
 * - every file of src/ transpiled to CommonJS with the esbuild tsx runs on, as
 *   tsx would run it, each .js at the depth of its .ts (src/cli/main.ts ->
 *   dist/cli/main.js), so that paths taken relative to a file (the repository
 *   root, .tools/, ../workflows) mean the same from either;
 * - dist/cli/build.json: the top-level help's command list (so `collm-nas
 *   --help` loads no command), written last. Its mtime is just above the
 *   newest source's: bin/collm-nas and scripts/setup.sh treat the build as
 *   current while nothing under src/ (nor package.json) is newer.
 *
 * Each .js keeps its source's mtime, so the control worker's check that the
 * workflow bundle is not older than the code beside it (src/workers/control.ts)
 * reads the same from dist/ as from src/.
 */
import { mkdirSync, readdirSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { summarizeCommands } from '../src/cli/program';
import { ROOT } from '../src/temporal/paths';

const SRC = join(ROOT, 'src');
const OUT = join(ROOT, 'dist');
/** Read by bin/collm-nas and scripts/setup.sh too: keep the three in step. */
export const BUILD_RECORD = join(OUT, 'cli', 'build.json');

// The esbuild tsx itself uses, so the built code is the code tsx runs (not a second copy that could drift).
// eslint-disable-next-line @typescript-eslint/no-require-imports
const esbuild = require(require.resolve('esbuild', { paths: [dirname(require.resolve('tsx/package.json'))] })) as typeof import('esbuild');

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sources(path);
    return entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts') ? [path] : [];
  });
}

/** The newest mtime under `dir`, folders included (a folder's moves when a file is added, removed or renamed), as bin/collm-nas reads it. */
function newestUnder(dir: string): number {
  return readdirSync(dir, { withFileTypes: true }).reduce((max, entry) => {
    const path = join(dir, entry.name);
    return Math.max(max, entry.isDirectory() ? newestUnder(path) : statSync(path).mtimeMs);
  }, statSync(dir).mtimeMs);
}

export function buildCli(): { files: number; ms: number } {
  const started = Date.now();
  rmSync(BUILD_RECORD, { force: true });
  const files = sources(SRC);
  // Taken before reading anything: a file saved during the build is newer, so the next run rebuilds.
  const newest = Math.max(statSync(join(ROOT, 'package.json')).mtimeMs, newestUnder(SRC));
  // A source deleted or moved must not leave its old .js to be required.
  for (const entry of readdirSync(SRC, { withFileTypes: true })) {
    rmSync(join(OUT, entry.isDirectory() ? entry.name : entry.name.replace(/\.ts$/, '.js')), { recursive: true, force: true });
  }
  esbuild.buildSync({
    entryPoints: files,
    outdir: OUT,
    outbase: SRC,
    bundle: false,
    format: 'cjs',
    platform: 'node',
    target: 'node20',
    // As tsx does: class and function names survive (error names, stack traces).
    keepNames: true,
    tsconfig: join(ROOT, 'tsconfig.json'),
    logLevel: 'error',
  });
  for (const file of files) {
    const mtime = statSync(file).mtime;
    utimesSync(join(OUT, relative(SRC, file)).replace(/\.ts$/, '.js'), mtime, mtime);
  }
  mkdirSync(dirname(BUILD_RECORD), { recursive: true });
  writeFileSync(BUILD_RECORD, JSON.stringify({ commands: summarizeCommands() }, null, 2) + '\n');
  // Set in whole milliseconds, and stored in seconds: a margin of two keeps the record above the newest source.
  const stamp = new Date(Math.floor(newest) + 2);
  utimesSync(BUILD_RECORD, stamp, stamp);
  return { files: files.length, ms: Date.now() - started };
}

if (require.main === module) {
  try {
    const { files, ms } = buildCli();
    if (!process.argv.includes('--quiet')) console.log(`command line: ${files} files from src/ into dist/ in ${ms} ms`);
  } catch (err) {
    console.error(err);
    process.exit(1);
  }
}
