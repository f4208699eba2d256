/**
 * The command line's start-up and its workers: the built CLI in dist/ and its
 * fallback to tsx, `collm-nas worker`, `start --workers`, the warning when no
 * worker polls a search's queues, `collm-nas temporal`, and the Temporal CLI
 * examples of the README and docs/cli.md run as written. Against the test's
 * real dev server.
 */
import assert from 'node:assert/strict';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { test } from 'node:test';
import { promisify } from 'node:util';
import { createProgressView, finalProgress } from '../src/cli/progress';
import { startSearch } from '../src/client/search';
import type { SearchResult } from '../src/search/summary';
import { findTemporalCli } from '../src/temporal/temporal-cli';
import type { SearchProgress } from '../src/workflows/api';
import { ADDRESS, inProcessWorkers, queues, runInProcess, uniqueId, useTemporal, waitFor } from './helpers';

const ROOT = resolve(__dirname, '..');
const env = useTemporal();

interface Ran {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs a command line to its end; the exit code whatever it is. */
async function exec(file: string, args: string[], extraEnv: Record<string, string | undefined> = {}, cwd = ROOT): Promise<Ran> {
  try {
    const { stdout, stderr } = await promisify(execFile)(file, args, { cwd, env: { ...process.env, TEMPORAL_ADDRESS: ADDRESS, ...extraEnv }, maxBuffer: 64 << 20 });
    return { code: 0, stdout, stderr };
  } catch (e) {
    const err = e as { code: number; stdout: string; stderr: string };
    assert.equal(typeof err.code, 'number', `${file} ${args.join(' ')} did not exit: ${String(e)}`);
    return { code: err.code, stdout: err.stdout, stderr: err.stderr };
  }
}

const cli = (args: string[], extraEnv?: Record<string, string | undefined>): Promise<Ran> => exec('bin/collm-nas', args, extraEnv);

interface Running {
  child: ChildProcess;
  stdout(): string;
  stderr(): string;
  exited: Promise<number | null>;
  /** Sends `signal` to the command and everything it started (npx, sh). */
  signal(signal: NodeJS.Signals): void;
}

/** Starts a command in a process group of its own and collects what it prints. */
function launch(file: string, args: string[], extraEnv: Record<string, string> = {}): Running {
  const child = spawn(file, args, { cwd: ROOT, env: { ...process.env, TEMPORAL_ADDRESS: ADDRESS, ...extraEnv }, detached: true });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return {
    child,
    stdout: () => stdout,
    stderr: () => stderr,
    exited,
    signal: (signal) => {
      if (child.exitCode === null && child.signalCode === null) process.kill(-child.pid!, signal);
    },
  };
}

async function printed(run: Running, what: string, pattern: RegExp, stream: 'stdout' | 'stderr' = 'stdout', timeoutMs = 90_000): Promise<RegExpExecArray> {
  return waitFor(what, async () => pattern.exec(run[stream]()) ?? undefined, timeoutMs).catch((err: Error) => {
    throw new Error(`${err.message}\nstdout:\n${run.stdout()}\nstderr:\n${run.stderr()}`);
  });
}

function configFile(config: object): string {
  const file = join(mkdtempSync(join(tmpdir(), 'collm-cliw-')), 'search.json');
  writeFileSync(file, JSON.stringify(config));
  return file;
}

/** The packages a command loaded and whether it ran the built code or the sources, read from inside its process. */
const LOADED_PRELOAD = `
process.on('exit', () => require('node:fs').writeFileSync(process.env.LOADED_OUT, JSON.stringify(Object.keys(require.cache))));
`;

test('bin/collm-nas runs the build in dist/ while no source is newer, and src/ through tsx after an edit; --help loads only commander', async () => {
  // A copy of the checkout's CLI, so that touching a source here disturbs nobody.
  const dir = mkdtempSync(join(tmpdir(), 'collm-built-'));
  try {
    for (const path of ['bin', 'src', 'package.json', 'tsconfig.json', 'scripts/build-cli.ts']) cpSync(join(ROOT, path), join(dir, path), { recursive: true });
    symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'));
    writeFileSync(join(dir, 'loaded.js'), LOADED_PRELOAD);
    const built = await exec(join(dir, 'node_modules/.bin/tsx'), ['scripts/build-cli.ts', '--quiet'], {}, dir);
    assert.equal(built.code, 0, built.stderr);
    assert.ok(existsSync(join(dir, 'dist/cli/build.json')));

    const loaded = async (args: string[]): Promise<{ out: string; modules: string[] }> => {
      const out = join(dir, 'loaded.json');
      const r = await exec(process.execPath, ['-r', './loaded.js', 'bin/collm-nas', ...args], { LOADED_OUT: out }, dir);
      assert.equal(r.code, 0, r.stderr);
      return { out: r.stdout, modules: JSON.parse(readFileSync(out, 'utf8')) as string[] };
    };
    const packages = (modules: string[]): string[] => [...new Set(modules.filter((m) => m.includes('/node_modules/')).map((m) => m.split('/node_modules/').at(-1)!.split('/')[0]!))];

    const fast = await loaded(['--help']);
    assert.ok(fast.modules.includes(join(dir, 'dist/cli/main.js')), 'the built CLI ran');
    assert.ok(!fast.modules.some((m) => m.startsWith(join(dir, 'src'))), 'no TypeScript source was loaded');
    assert.deepEqual(packages(fast.modules), ['commander'], 'no SDK, ONNX or LLM runtime for --help');
    assert.match(fast.out, /^ {2}worker <kind> +worker control\|eval\|all/m);

    // One command loads that command only: `cost` needs no Temporal client.
    const cost = await loaded(['cost', '--space', 'nb201', '--arch', '|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|skip_connect~0|nor_conv_3x3~1|nor_conv_3x3~2|', '--json']);
    assert.ok(cost.modules.includes(join(dir, 'dist/cli/commands/cost.js')));
    assert.ok(!cost.modules.some((m) => /dist\/cli\/commands\/(start|report|schedule|worker)\.js$/.test(m)), 'other commands stay unloaded');

    // An edited source makes the build stale: the same program, from src/ through tsx.
    const later = new Date(Date.now() + 5000);
    utimesSync(join(dir, 'src/cli/exit-codes.ts'), later, later);
    const slow = await loaded(['--help']);
    assert.ok(slow.modules.includes(join(dir, 'src/cli/main.ts')), 'the sources ran');
    assert.ok(!slow.modules.some((m) => m.startsWith(join(dir, 'dist'))), 'nothing stale from dist/');
    assert.equal(slow.out, fast.out);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('worker all runs searches started from the command line (no warning then); Ctrl-C stops it gracefully, exit 0', async () => {
  const q = queues('cliworker');
  const id = uniqueId('cliworker');
  const config = { space: 'nb201', strategy: 'evolution', budget: 24, seed: 9, evaluation: { taskQueue: q.eval } };
  const worker = launch('bin/collm-nas', ['worker', 'all'], { NAS_CONTROL_TASK_QUEUE: q.control, NAS_EVAL_TASK_QUEUE: q.eval, EVAL_DEVICES: 'a,b,c,d' });
  try {
    await printed(worker, 'the control worker', new RegExp(`control worker: polling ${q.control} on ${ADDRESS}`));
    await printed(worker, 'the eval worker', new RegExp(`eval worker: polling ${q.eval} with devices a, b, c, d on ${ADDRESS}`));
    const r = await cli(['start', configFile(config), '--id', id, '--task-queue', q.control, '--watch', '--json']);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual((JSON.parse(r.stdout) as { result: SearchResult }).result, await runInProcess(config));
    assert.doesNotMatch(r.stderr, /no worker polls/);
    // A search started without --watch looks for workers too, and finds them.
    const again = await cli(['start', configFile({ ...config, seed: 10 }), '--task-queue', q.control]);
    assert.equal(again.code, 0, again.stderr);
    assert.equal(again.stderr, '');
  } finally {
    worker.signal('SIGINT');
  }
  assert.equal(await worker.exited, 0, worker.stdout() + worker.stderr());
});

test('worker refuses a device the machine lacks (exit 1, naming it) and an unknown kind (exit 2)', async () => {
  const gpu = await cli(['worker', 'eval'], { EVAL_DEVICES: 'cuda:63' });
  assert.equal(gpu.code, 1);
  assert.match(gpu.stderr, /^collm-nas: EVAL_DEVICES: cuda:63 is not on this machine: it has /);
  const kind = await cli(['worker', 'gpu']);
  assert.equal(kind.code, 2);
  assert.match(kind.stderr, /argument value 'gpu' is invalid for argument 'kind'\. Allowed choices are control, eval, all\./);
});

test('start and watch say when no worker polls a search\'s queues and print the command that starts them; run as printed, it lets the search finish', async () => {
  const q = queues('cliidle');
  const id = uniqueId('cliidle');
  const config = { space: 'nb201', strategy: 'random', budget: 12, seed: 4, evaluation: { taskQueue: q.eval } };
  // The worker must reach the same server: the command names what this one was given for it.
  const server = [`TEMPORAL_ADDRESS=${ADDRESS}`, ...['TEMPORAL_NAMESPACE', 'TEMPORAL_PROFILE'].filter((v) => process.env[v]).map((v) => `${v}=${process.env[v]}`)];
  const started = launch('bin/collm-nas', ['start', configFile(config), '--id', id, '--task-queue', q.control, '--watch']);
  let watcher: Running | undefined;
  let workers: Running | undefined;
  try {
    const [line, command] = await printed(started, 'the warning', /^collm-nas: no worker polls .*`(.*)`\n/m, 'stderr');
    assert.equal(
      line,
      `collm-nas: no worker polls the task queues '${q.control}' (its workflow) or '${q.eval}' (its evaluations), so the search waits; ` +
        `start them with \`${[...server, `NAS_CONTROL_TASK_QUEUE=${q.control}`, `NAS_EVAL_TASK_QUEUE=${q.eval}`, 'npx collm-nas worker all'].join(' ')}\`\n`,
    );
    assert.equal(started.stdout(), `started ${id}\n`, 'no progress: no control worker answers the query');
    // Before its first workflow task the search has no memo: watch knows only its control queue.
    watcher = launch('bin/collm-nas', ['watch', id, '--json']);
    const [, watchCommand] = await printed(watcher, 'watch\'s warning', /^collm-nas: no worker polls the task queue '[^']+' \(its workflow\), so the search waits; start one with `(.*)`$/m, 'stderr');
    assert.equal(watchCommand, [...server, `NAS_CONTROL_TASK_QUEUE=${q.control}`, 'npx collm-nas worker control'].join(' '));
    // Neither gave up: the printed command, run as it is, brings the workers, and both end with the result.
    workers = launch('sh', ['-c', command!]);
    assert.equal(await started.exited, 0, started.stderr());
    assert.match(started.stdout(), /^search finished: 12 architectures evaluated in \d+ iterations$/m);
    assert.equal(await watcher.exited, 0, watcher.stderr());
    assert.deepEqual(JSON.parse(watcher.stdout()), await runInProcess(config));
  } finally {
    for (const run of [started, watcher, workers]) run?.signal('SIGINT');
    await Promise.all([started.exited, watcher?.exited, workers?.exited]);
  }
});

test('start without --watch says when no worker polls, after a few seconds, and exits 0; the search waits', async () => {
  const q = queues('clinowatch');
  const id = uniqueId('clinowatch');
  const r = await cli(['start', configFile({ space: 'nb201', budget: 5, evaluation: { taskQueue: q.eval } }), '--id', id, '--task-queue', q.control]);
  try {
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, new RegExp(`^collm-nas: no worker polls the task queues '${q.control}' \\(its workflow\\) or '${q.eval}' \\(its evaluations\\)`));
    assert.equal((await env.client.workflow.getHandle(id).describe()).status.name, 'RUNNING');
  } finally {
    await env.client.workflow.getHandle(id).terminate('test over');
  }
});

test('start --workers runs a one-off search with workers in this process; the last bar drawn is the final state, then the result', async () => {
  const q = queues('cliinproc');
  const config = { space: 'nb201', strategy: 'evolution', budget: 30, seed: 11, evaluation: { taskQueue: q.eval } };
  const file = configFile(config);
  const json = await cli(['start', file, '--workers', '--id', uniqueId('cliinproc'), '--task-queue', q.control, '--json'], { EVAL_DEVICES: 'a,b' });
  assert.equal(json.code, 0, json.stderr);
  assert.deepEqual((JSON.parse(json.stdout) as { result: SearchResult }).result, await runInProcess(config));
  assert.doesNotMatch(json.stderr, /no worker polls/);

  // On a terminal (script gives the command one) the bar is redrawn in place; it must not stop short of the result.
  const id = uniqueId('cliinproc');
  const tty = await exec('script', ['-qec', `bin/collm-nas start ${file} --workers --id ${id} --task-queue ${q.control}`, '/dev/null'], { EVAL_DEVICES: 'a,b', EVAL_SIMULATE_MS: '50' });
  assert.equal(tty.code, 0, tty.stdout);
  const [lastBar, after] = tty.stdout.split('\x1b[2K').at(-1)!.split(/\r?\n/);
  assert.match(lastBar!, /^\[#{30}\] 30\/30 evaluated {2}best \d+\.\d\d% {2}\(iteration 3, completed\)$/, tty.stdout);
  assert.match(after!, /^search finished: 30 architectures evaluated in 3 iterations$/);
});

test('the progress view ends at the result: finalProgress draws what the search ended with, with no ETA', () => {
  const last: SearchProgress = {
    status: 'evaluating', space: 'nb201', dataset: 'cifar10', strategy: 'random', evaluator: 'nb201-table',
    iteration: 9, evaluated: 90, budget: 100, inFlight: 10, failed: 0, runs: 0, topK: [], pareto: {},
  };
  const result = { evaluated: 100, budget: 100, iterations: 10, failed: [], stopReason: 'budget', best: { arch: 'a', key: 'a', valAcc: 91.5, cost: { flopsM: 1, paramsM: 1 } } } as unknown as SearchResult;
  let drawn = '';
  const out = { isTTY: true, columns: 200, write: (s: string) => ((drawn += s), true) } as unknown as NodeJS.WriteStream;
  const view = createProgressView(out, () => 0);
  view.update(last);
  view.update(finalProgress(last, result));
  view.finish();
  assert.equal(drawn.split('\x1b[2K').at(-1), '[##############################] 100/100 evaluated  best 91.50%  (iteration 10, completed)\n');
  // Stopped early: the bar shows where it stopped.
  assert.match(plainLine(finalProgress(last, { ...result, evaluated: 95, stopReason: 'stopped' } as SearchResult)), / 95\/100 evaluated .*completed\)$/);
});

function plainLine(p: SearchProgress): string {
  let line = '';
  const out = { isTTY: false, write: (s: string) => ((line += s), true) } as unknown as NodeJS.WriteStream;
  createProgressView(out).update(p);
  return line.trimEnd();
}

test('temporal passes everything through to the pinned Temporal CLI, its exit code included; --help first is ours', async () => {
  const ours = await cli(['temporal', '--help']);
  assert.equal(ours.code, 0);
  assert.match(ours.stdout, /^Usage: collm-nas temporal \[options\] \[args\.\.\.\]/);
  assert.match(ours.stdout, /Examples:\n {2}\$ collm-nas temporal /);
  const theirs = await cli(['temporal', 'workflow', '--help']);
  assert.equal(theirs.code, 0);
  assert.match(theirs.stdout, /^Usage:\n {2}temporal workflow \[command\]/m);

  const id = uniqueId('clitemporal');
  const handle = await startSearch(env.client, { budget: 5 }, { taskQueue: queues('clitemporal').control, workflowId: id });
  try {
    const described = await cli(['temporal', 'workflow', 'describe', '--workflow-id', id, '--output', 'json']);
    assert.equal(described.code, 0, described.stderr);
    assert.equal((JSON.parse(described.stdout) as { workflowExecutionInfo: { execution: { workflowId: string } } }).workflowExecutionInfo.execution.workflowId, id);
  } finally {
    await handle.terminate('test over');
  }
  // A failure is the Temporal CLI's, reported with its own code and words.
  const missing = ['workflow', 'describe', '--workflow-id', uniqueId('nosuch')];
  const direct = await exec(findTemporalCli(), [...missing, '--address', ADDRESS]);
  const passed = await cli(['temporal', ...missing]);
  assert.notEqual(direct.code, 0);
  assert.equal(passed.code, direct.code);
  assert.equal(passed.stderr, direct.stderr);

  const noCli = await cli(['temporal', 'workflow', 'list'], { TEMPORAL_CLI: '/nonexistent/temporal' });
  assert.equal(noCli.code, 1);
  assert.match(noCli.stderr, /^collm-nas: TEMPORAL_CLI points at \/nonexistent\/temporal, which does not exist/);
});

/** The shell commands in a markdown file's ```sh blocks, continuation lines joined. */
function shellExamples(file: string): string[] {
  const commands: string[] = [];
  let inSh = false;
  let pending = '';
  for (const line of readFileSync(join(ROOT, file), 'utf8').split('\n')) {
    if (/^```/.test(line)) {
      inSh = !inSh && line.trim() === '```sh';
      continue;
    }
    if (!inSh) continue;
    pending += line.endsWith('\\') ? line.slice(0, -1) : line;
    if (line.endsWith('\\')) continue;
    if (pending.trim()) commands.push(pending.trim());
    pending = '';
  }
  return commands;
}

const TEMPORAL_EXAMPLE = /^(?:\w+=\S+ )*(?:npx )?(?:collm-nas )?temporal /;

test('the Temporal CLI examples of the README and docs/cli.md run as written against the server (ids made unique), each exiting 0', async () => {
  const cliDoc = shellExamples('docs/cli.md').filter((c) => TEMPORAL_EXAMPLE.test(c));
  const readme = shellExamples('README.md').filter((c) => TEMPORAL_EXAMPLE.test(c));
  assert.ok(readme.length >= 1, 'the README shows the Temporal CLI');
  for (const step of ['workflow start', 'workflow query', 'workflow signal', 'workflow update execute', 'workflow result', 'schedule create']) {
    assert.ok(cliDoc.some((c) => c.includes(` temporal ${step} `)), `docs/cli.md has no \`temporal ${step}\` example`);
  }
  const id = uniqueId('docsearch');
  const scheduleId = uniqueId('docschedule');
  const unique = (c: string): string => c.replace(/\bmy-search\b/g, id).replace(/<workflow-id>/g, id).replace(/\bnightly-nb201\b/g, scheduleId);
  // The examples use the default queues: these workers poll them, slowed so that the pause lands mid-search.
  const workers = await inProcessWorkers(env.native, { control: 'nas-control', eval: 'nas-eval' }, { simulateMs: 1000 });
  try {
    await workers.run(async () => {
      for (const example of [...cliDoc, ...readme].map(unique)) {
        const r = await exec('sh', ['-c', example]);
        assert.equal(r.code, 0, `\`${example}\` exited ${r.code}:\n${r.stdout}\n${r.stderr}`);
      }
    });
    const result = (await env.client.workflow.getHandle(id).result()) as SearchResult;
    assert.equal(result.evaluated, 150, 'paused, extended by 50, resumed, finished');
  } finally {
    await env.client.schedule.getHandle(scheduleId).delete().catch(() => undefined);
  }
});
