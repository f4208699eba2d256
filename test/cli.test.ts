import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { test } from 'node:test';
import { ScheduleNotFoundError } from '@temporalio/client';
import { COMMANDS } from '../src/cli/commands';
import { noServerMessage } from '../src/cli/errors';
import { createEta, progressBar } from '../src/cli/progress';
import { listScheduledRuns, listSearchSchedules, type SearchScheduleInfo } from '../src/client/schedule';
import { startSearch } from '../src/client/search';
import type { SearchResult } from '../src/search/summary';
import { findTemporalCli } from '../src/temporal/temporal-cli';
import { DATA_DIR } from '../src/temporal/paths';
import { pauseSignal, progressQuery, resumeSignal, type SearchProgress } from '../src/workflows/api';
import { ADDRESS, inProcessWorkers, queues, runInProcess, uniqueId, useTemporal, waitFor } from './helpers';

const run = promisify(execFile);
const env = useTemporal();

interface Ran {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs bin/collm-nas as a user would (its shebang, tsx), against the test server unless env says otherwise. */
async function cli(args: string[], extraEnv: Record<string, string> = {}): Promise<Ran> {
  try {
    const { stdout, stderr } = await run('bin/collm-nas', args, { env: { ...process.env, TEMPORAL_ADDRESS: ADDRESS, ...extraEnv }, maxBuffer: 64 << 20 });
    return { code: 0, stdout, stderr };
  } catch (e) {
    const err = e as { code: number; stdout: string; stderr: string };
    assert.equal(typeof err.code, 'number', `collm-nas ${args.join(' ')} did not exit: ${String(e)}`);
    return { code: err.code, stdout: err.stdout, stderr: err.stderr };
  }
}

async function ok(args: string[], extraEnv?: Record<string, string>): Promise<string> {
  const r = await cli(args, extraEnv);
  assert.equal(r.code, 0, `collm-nas ${args.join(' ')} exited ${r.code}:\n${r.stderr}`);
  return r.stdout;
}

test('`temporal workflow start --type nasSearch` starts a search that the workers complete', async () => {
  const q = queues('cli');
  const id = uniqueId('cli');
  const input = { space: 'nb201', dataset: 'cifar10', strategy: 'random', budget: 25, seed: 4, evaluation: { taskQueue: q.eval } };
  const workers = await inProcessWorkers(env.native, q);
  const result = await workers.run(async () => {
    const { stdout } = await run(findTemporalCli(), [
      'workflow', 'start',
      '--type', 'nasSearch',
      '--task-queue', q.control,
      '--workflow-id', id,
      '--input', JSON.stringify(input),
      '--address', ADDRESS,
    ]);
    assert.match(stdout, new RegExp(id));
    return (await env.client.workflow.getHandle(id).result()) as SearchResult;
  });
  assert.equal(result.evaluated, 25);
  assert.deepEqual(result, await runInProcess(input));

  // The custom search attributes work from the CLI too.
  const { stdout } = await run(findTemporalCli(), [
    'workflow', 'list', '--address', ADDRESS,
    '--query', `NasSpace = "nb201" AND NasEvaluated = 25 AND WorkflowId = "${id}"`,
    '--output', 'json',
  ]);
  assert.match(stdout, new RegExp(id));
});

test('--help lists every registered command, the exit codes and examples; each command has its own help with examples', async () => {
  const help = await ok(['--help']);
  assert.ok(COMMANDS.names.length >= 16, COMMANDS.names.join());
  for (const name of [...COMMANDS.names, 'help']) assert.match(help, new RegExp(`^  ${name}\\b`, 'm'), `${name} missing from --help`);
  assert.match(help, /Exit codes:\n\s+0\s+success/);
  for (const code of [1, 2, 3, 4, 5]) assert.match(help, new RegExp(`^  ${code}\\s+\\S`, 'm'));
  assert.match(help, /TEMPORAL_ADDRESS/);
  const helps = await Promise.all(COMMANDS.names.map((name) => ok([name, '--help'])));
  COMMANDS.names.forEach((name, i) => {
    assert.match(helps[i]!, new RegExp(`Usage: collm-nas ${name}`));
    assert.match(helps[i]!, /Examples:\n  \$ collm-nas /, `${name} --help has no examples`);
  });
  assert.match(await ok(['server', 'start', '--help']), /--port/);
  // npm run nas is the same program.
  const { stdout } = await run(process.execPath, ['--import', 'tsx', 'scripts/nas.ts', '--help']);
  assert.equal(stdout, help);
});

test('usage errors exit 2 and say what to fix', async () => {
  const unknown = await cli(['frobnicate']);
  assert.equal(unknown.code, 2);
  assert.match(unknown.stderr, /unknown command 'frobnicate'/);
  assert.match(unknown.stderr, /collm-nas --help/);
  const badNumber = await cli(['extend', 'some-search', 'ten']);
  assert.equal(badNumber.code, 2);
  assert.match(badNumber.stderr, /'ten' is invalid for argument 'evaluations'.*positive whole number/);
  const missing = await cli(['cost', '--arch', 'x']);
  assert.equal(missing.code, 2);
  assert.match(missing.stderr, /required option '--space <space>'/);
  const badSpace = await cli(['cost', '--space', 'nb202', '--arch', 'x']);
  assert.equal(badSpace.code, 2);
  assert.match(badSpace.stderr, /--space: unknown search space 'nb202'; use one of nb201,/);
  const badArch = await cli(['cost', '--space', 'nb201', '--arch', 'conv']);
  assert.equal(badArch.code, 2);
  assert.match(badArch.stderr, /--arch: .*format: /);
  const noFile = await cli(['start', 'config/no-such.json']);
  assert.equal(noFile.code, 2);
  assert.match(noFile.stderr, /config\/no-such\.json: cannot read the config file \(no such file\)/);
});

test('start validates the config before starting anything: every bad field named, exit 2', async () => {
  const id = uniqueId('badcli');
  const r = await cli(['start', 'config/default.json', '--set', 'budget=0', '--set', 'dataset=mnist', '--id', id]);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /budget: must be at least 1/);
  assert.match(r.stderr, /dataset: unknown dataset 'mnist'/);
  await assert.rejects(env.client.workflow.getHandle(id).describe(), /not found/i);
});

test('no server: exit 3 and advice naming the address and what to run', async () => {
  // 7659 is kept free of servers in this suite.
  const r = await cli(['list'], { TEMPORAL_ADDRESS: '127.0.0.1:7659' });
  assert.equal(r.code, 3);
  assert.equal(r.stdout, '');
  assert.equal(r.stderr.trim(), 'collm-nas: no Temporal server at 127.0.0.1:7659 (TEMPORAL_ADDRESS): run `collm-nas server start --port 7659`, or point TEMPORAL_ADDRESS at a running server');
  const watch = await cli(['watch', 'any-search', '--json'], { TEMPORAL_ADDRESS: '127.0.0.1:7659' });
  assert.equal(watch.code, 3);
  // Without TEMPORAL_ADDRESS the local default is meant (whether or not one runs there now).
  assert.equal(
    noServerMessage({ address: '127.0.0.1:7233', external: false }),
    'no Temporal server at 127.0.0.1:7233: run `collm-nas server start` or set TEMPORAL_ADDRESS',
  );
});

test('an unknown workflow id: exit 4 and a pointer to list, for reads, signals, updates, exports and reports', async () => {
  const id = uniqueId('nosuch');
  const out = mkdtempSync(join(tmpdir(), 'collm-cli-'));
  for (const args of [['result', id], ['progress', id, '--json'], ['pause', id], ['extend', id, '5'], ['steer', id, 'a hint'], ['export', id], ['log', id], ['report', id, '--out', out]]) {
    const r = await cli(args);
    assert.equal(r.code, 4, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, new RegExp(`no search with workflow id '${id}' in namespace 'default' at ${ADDRESS}: \`collm-nas list\` shows the searches there`), args.join(' '));
  }
  assert.deepEqual(readdirSync(out), [], 'report wrote nothing');
  rmSync(out, { recursive: true, force: true });
});

test('a search that ended badly: result and watch exit 4 and say how it ended', async () => {
  const id = uniqueId('cliterm');
  // No worker needed: the search is terminated before anything runs it.
  const handle = await startSearch(env.client, { budget: 10, strategy: 'random' }, { taskQueue: queues('cliterm').control, workflowId: id });
  await handle.terminate('operator pulled the plug');
  for (const args of [['result', id], ['watch', id, '--json']]) {
    const r = await cli(args);
    assert.equal(r.code, 4, `${args.join(' ')}: ${r.stderr}`);
    assert.equal(r.stdout, '');
    assert.match(r.stderr, new RegExp(`^collm-nas: search '${id}' was terminated: operator pulled the plug`));
  }
});

test('start --watch --json gives the result the in-process run gives; list, result, progress, export and log --json parse', async () => {
  const q = queues('clijson');
  const id = uniqueId('clijson');
  const workers = await inProcessWorkers(env.native, q);
  const config = { space: 'nb201', dataset: 'cifar10', strategy: 'evolution', budget: 30, seed: 5, evaluation: { taskQueue: q.eval } };
  const dir = mkdtempSync(join(tmpdir(), 'collm-cli-'));
  const file = join(dir, 'search.json');
  writeFileSync(file, JSON.stringify({ ...config, budget: 1 }));
  const started = await workers.run(async () => {
    const out = JSON.parse(await ok(['start', file, '--set', 'budget=30', '--id', id, '--task-queue', q.control, '--watch', '--json'])) as {
      workflowId: string;
      runId: string;
      result: SearchResult;
    };
    assert.deepEqual(JSON.parse(await ok(['result', id, '--json'])), out.result);
    // Queries, even of a finished search, are answered by a control worker: these run while one polls.
    const progress = JSON.parse(await ok(['progress', id, '--json'])) as SearchProgress;
    assert.equal(progress.status, 'completed');
    assert.equal(progress.evaluated, 30);
    assert.equal(progress.best!.valAcc, out.result.best!.valAcc);
    return out;
  });
  assert.equal(started.workflowId, id);
  assert.match(started.runId, /^[0-9a-f-]{36}$/);
  assert.equal(started.result.evaluated, 30);
  assert.deepEqual(started.result, await runInProcess(config));

  const listed = await waitFor('the search in the visibility store', async () => {
    const rows = JSON.parse(await ok(['list', '--json', '--query', `WorkflowId = "${id}"`])) as Record<string, unknown>[];
    return rows.length === 1 && rows[0]!.status === 'COMPLETED' ? rows : undefined;
  });
  assert.deepEqual(
    { workflowId: listed[0]!.workflowId, space: listed[0]!.space, strategy: listed[0]!.strategy, evaluated: listed[0]!.evaluated },
    { workflowId: id, space: 'nb201', strategy: 'evolution', evaluated: 30 },
  );
  // For people: a header row, and the status in lowercase words as the CLI prints statuses (--json keeps Temporal's COMPLETED).
  const table = (await ok(['list', '--query', `WorkflowId = "${id}"`])).trim().split('\n').map((line) => line.split('\t'));
  assert.deepEqual(table[0], ['WORKFLOW ID', 'STATUS', 'STARTED', 'SEARCH', 'PROGRESS']);
  assert.deepEqual([table.length, table[1]![0], table[1]![1], table[1]![3]], [2, id, 'completed', 'nb201/cifar10 evolution']);
  assert.equal((await ok(['list', '--query', `WorkflowId = "${id}-none"`])).trim(), `no search matches WorkflowId = "${id}-none"`);
  // A query the server refuses: its reason, not the SDK's "Failed to list workflows" (exit 2, like report --query).
  const badQuery = await cli(['list', '--query', 'NoSuchAttribute = 1']);
  assert.equal(badQuery.code, 2, badQuery.stderr);
  assert.match(badQuery.stderr, /collm-nas: --query: invalid query: .*NoSuchAttribute.* \(in the query sent: WorkflowType = "nasSearch" AND \(NoSuchAttribute = 1\)\)/);

  // A finished search takes no more signals: exit 4, and where to find its result.
  const late = await cli(['pause', id]);
  assert.equal(late.code, 4);
  assert.match(late.stderr, new RegExp(`search '${id}' has already finished.*collm-nas result ${id}`));

  const history = join(dir, 'history.json');
  const exported = JSON.parse(await ok(['export', id, history, '--json'])) as { events: number; file: string };
  assert.equal(exported.file, history);
  assert.equal(exported.events, (JSON.parse(readFileSync(history, 'utf8')) as { events: unknown[] }).events.length);
  const log = (await ok(['log', id])).trim().split('\n').map((l) => JSON.parse(l) as { kind: string });
  assert.equal(log.filter((e) => e.kind === 'evaluation').length, 30);

  // replay: today's code reproduces the history (exit 0); an altered one is caught (exit 5).
  const replayed = JSON.parse(await ok(['replay', history, '--json'])) as { deterministic: boolean; events: number };
  assert.deepEqual(replayed, { file: history, events: exported.events, deterministic: true });
  const raw = JSON.parse(readFileSync(history, 'utf8'));
  const payload = raw.events.find((e: any) => e.markerRecordedEventAttributes).markerRecordedEventAttributes.details.result.payloads[0];
  const resolved = JSON.parse(Buffer.from(payload.data, 'base64').toString('utf8'));
  // One activity per candidate instead of one per batch: other commands than the history holds.
  payload.data = Buffer.from(JSON.stringify({ ...resolved, evaluation: { ...resolved.evaluation, batched: false } })).toString('base64');
  const altered = join(dir, 'altered.json');
  writeFileSync(altered, JSON.stringify(raw));
  const bad = await cli(['replay', altered]);
  assert.equal(bad.code, 5);
  assert.match(bad.stdout, /NOT deterministic/);
  assert.match(bad.stdout, /Nondeterminism error/);
});

test('list says which running searches are paused, and NasPaused = true finds them', async () => {
  const q = queues('clipaused');
  const id = uniqueId('clipaused');
  const workers = await inProcessWorkers(env.native, q);
  await workers.run(async () => {
    const handle = await startSearch(env.client, { budget: 20, batchSize: 5, strategy: 'random', evaluation: { taskQueue: q.eval } }, { taskQueue: q.control, workflowId: id });
    await handle.signal(pauseSignal);
    const rows = await waitFor('the paused search listed', async () => {
      const listed = JSON.parse(await ok(['list', '--json', '--query', 'NasPaused = true'])) as { workflowId: string; status: string; paused: boolean }[];
      return listed.some((r) => r.workflowId === id) ? listed : undefined;
    });
    assert.deepEqual(rows.filter((r) => r.workflowId === id).map((r) => [r.status, r.paused]), [['RUNNING', true]]);
    const table = (await ok(['list', '--query', `WorkflowId = "${id}"`])).trim().split('\n').map((line) => line.split('\t'));
    assert.equal(table[1]![1], 'paused');
    await handle.signal(resumeSignal);
    await handle.result();
  });
  const done = await waitFor('the finished search listed', async () => {
    const listed = JSON.parse(await ok(['list', '--json', '--query', `WorkflowId = "${id}"`])) as { status: string; paused: boolean }[];
    return listed[0]?.status === 'COMPLETED' ? listed[0] : undefined;
  });
  assert.equal(done.paused, false);
});

test('report writes a finished search\'s page with its candidates as CSV and JSON and says what to open; --json lists the files', async () => {
  const q = queues('clireport');
  const id = uniqueId('clireport');
  const workers = await inProcessWorkers(env.native, q);
  const config = { space: 'nb201', strategy: 'random', budget: 12, seed: 6, evaluation: { taskQueue: q.eval } };
  await workers.run(async () => (await startSearch(env.client, config, { taskQueue: q.control, workflowId: id })).result());
  const dir = mkdtempSync(join(tmpdir(), 'collm-cli-'));
  const files = ['.html', '.candidates.csv', '.candidates.json', '.config.json'].map((ext) => join(dir, `${id}${ext}`));
  const printed = (await ok(['report', id, '--out', dir])).trim().split('\n');
  assert.deepEqual(printed.slice(0, -1), files);
  assert.match(printed.at(-1)!, new RegExp(`^open file://.*/${id}\\.html in a browser`));
  assert.match(readFileSync(files[0]!, 'utf8'), new RegExp(`collm-nas start \\S*${id}\\.config\\.json`), 'the reproduce line uses the CLI');
  assert.equal(readFileSync(files[1]!, 'utf8').trim().split('\n').length, 1 + 12);
  assert.equal((JSON.parse(readFileSync(files[2]!, 'utf8')) as unknown[]).length, 12);
  assert.deepEqual(JSON.parse(readFileSync(files[3]!, 'utf8')), config);
  assert.deepEqual(JSON.parse(await ok(['report', id, '--out', dir, '--json'])), { files });
  rmSync(dir, { recursive: true, force: true });
});

test('schedule create, describe, list and delete from the command line; bad flags or a bad config create nothing (exit 2)', async () => {
  const id = uniqueId('clisched');
  const dir = mkdtempSync(join(tmpdir(), 'collm-cli-'));
  const file = join(dir, 'nightly.json');
  const config = { space: 'nb201', strategy: 'random', budget: 5, warmStart: { fromSchedule: true, top: 3 } };
  writeFileSync(file, JSON.stringify(config));
  const refused = await Promise.all([
    cli(['schedule', 'create', id, file, '--every', '24']),
    cli(['schedule', 'create', id, file, '--every', '1h', '--overlap', 'sometimes']),
    cli(['schedule', 'create', id, file]),
    cli(['schedule', 'create', id, file, '--every', '1h', '--set', 'budget=0']),
  ]);
  for (const r of refused) assert.equal(r.code, 2, r.stderr);
  assert.match(refused[0]!.stderr, /--every <duration>' argument '24' is invalid\. expected a duration with its unit, e\.g\. 24h/);
  assert.match(refused[1]!.stderr, /expected one of skip, buffer-one, buffer-all, cancel-other, terminate-other, allow-all/);
  assert.match(refused[2]!.stderr, /say when runs start: --cron/);
  assert.match(refused[3]!.stderr, /budget: must be at least 1/);
  await assert.rejects(env.client.schedule.getHandle(id).describe(), ScheduleNotFoundError);
  try {
    // Its runs go to a task queue no worker polls: a triggered one stays running until the cleanup below.
    const queue = `${id}-nobody`;
    const created = JSON.parse(await ok(['schedule', 'create', id, file, '--every', '1h', '--cron', '0 3 1 1 *', '--paused', '--task-queue', queue, '--json'])) as { scheduleId: string };
    assert.equal(created.scheduleId, id);
    // Listing is eventually consistent: waited for here (while describe runs), then the CLI asked once.
    const [describedText] = await Promise.all([
      ok(['schedule', 'describe', id, '--json']),
      waitFor('the schedule listed', async () => ((await listSearchSchedules(env.client)).some((s) => s.scheduleId === id) ? true : undefined), 30_000),
    ]);
    const described = JSON.parse(describedText) as SearchScheduleInfo;
    assert.deepEqual(described.spec.intervals, [{ every: 3_600_000 }]);
    assert.equal(described.overlap, 'SKIP');
    assert.equal(described.paused, true);
    assert.deepEqual(described.config, config);
    const listed = JSON.parse(await ok(['schedule', 'list', '--json'])) as { scheduleId: string; paused: boolean }[];
    assert.equal(listed.find((s) => s.scheduleId === id)?.paused, true);
    // The cron expression reads back in words (the server keeps it as a calendar), the interval as a duration.
    assert.match(await ok(['schedule', 'describe', id]), /\n {2}when {6}every 1h; at 03:00 on day 1 of January\n/);

    // `schedule runs`: statuses in the CLI's lowercase words, given and printed alike; Temporal's own names are still taken.
    assert.equal((await ok(['schedule', 'runs', id, '--status', 'completed'])).trim(), `no completed runs of schedule ${id} (yet)`);
    assert.equal((await ok(['schedule', 'runs', id, '--status', 'TimedOut'])).trim(), `no timed-out runs of schedule ${id} (yet)`);
    const badStatus = await cli(['schedule', 'runs', id, '--status', 'later']);
    assert.equal(badStatus.code, 2);
    assert.match(badStatus.stderr, /expected one of running, completed, failed, terminated, canceled, timed-out/);
    await ok(['schedule', 'trigger', id]);
    const runs = await waitFor('the triggered run listed', async () => {
      const lines = (await ok(['schedule', 'runs', id, '--status', 'running'])).trim().split('\n');
      return lines.length === 2 ? lines.map((line) => line.split('\t')) : undefined;
    }, 30_000);
    assert.deepEqual(runs[0], ['WORKFLOW ID', 'STATUS', 'STARTED', 'PROGRESS']);
    assert.match(runs[1]![0]!, new RegExp(`^${id}-`));
    assert.equal(runs[1]![1], 'running');
    assert.equal((JSON.parse(await ok(['schedule', 'runs', id, '--json'])) as { status: string }[])[0]?.status, 'RUNNING');
    assert.deepEqual(JSON.parse(await ok(['schedule', 'delete', id, '--json'])), { scheduleId: id, deleted: true });
    const gone = await cli(['schedule', 'describe', id]);
    assert.equal(gone.code, 4);
    assert.equal(gone.stderr.trim(), `collm-nas: no schedule with id '${id}' in namespace 'default' at ${ADDRESS}: \`collm-nas schedule list\` shows the schedules there`);
  } finally {
    await env.client.schedule.getHandle(id).delete().catch(() => {});
    for (const run of await listScheduledRuns(env.client, id)) await env.client.workflow.getHandle(run.workflowId, run.runId).terminate('test over').catch(() => {});
    rmSync(dir, { recursive: true, force: true });
  }
});

/** The search's progress, asked directly (faster than a CLI process per poll). */
function progressOf(id: string): Promise<SearchProgress> {
  return env.client.workflow.getHandle(id).query(progressQuery);
}

test('pause, extend, resume and stop from the command line; watch prints plain progress lines to a pipe', async () => {
  const q = queues('clictl');
  const id = uniqueId('clictl');
  const workers = await inProcessWorkers(env.native, q, { simulateMs: 300 });
  const dir = mkdtempSync(join(tmpdir(), 'collm-cli-'));
  const file = join(dir, 'search.json');
  // A budget the search cannot spend before the commands reach it (100 batches of at least 300 ms); stop ends it.
  writeFileSync(file, JSON.stringify({ space: 'nb201', strategy: 'random', budget: 1000, batchSize: 10, seed: 2, evaluation: { taskQueue: q.eval } }));
  const { watched, result, paused } = await workers.run(async () => {
    assert.equal(JSON.parse(await ok(['start', file, '--id', id, '--task-queue', q.control, '--json'])).workflowId, id);
    assert.deepEqual(JSON.parse(await ok(['pause', id, '--json'])), { workflowId: id, signal: 'pause' });
    const p = await waitFor('the search to pause', async () => {
      const s = await progressOf(id);
      return s.status === 'paused' && s.inFlight === 0 ? s : undefined;
    });
    assert.deepEqual(JSON.parse(await ok(['extend', id, '10', '--json'])), { workflowId: id, budget: 1010 });
    assert.equal((await progressOf(id)).evaluated, p.evaluated, 'still paused');
    // Watch through a pipe from before the resume to the end.
    const watcher = spawn('bin/collm-nas', ['watch', id, '--interval', '100'], { env: { ...process.env, TEMPORAL_ADDRESS: ADDRESS } });
    let out = '';
    watcher.stdout.on('data', (d: Buffer) => (out += d.toString()));
    watcher.stderr.on('data', (d: Buffer) => (out += d.toString()));
    const exited = new Promise<number | null>((resolve) => watcher.once('exit', resolve));
    await waitFor('watch to show the paused search', async () => (/, paused\)/.test(out) ? true : undefined));
    assert.match(await ok(['resume', id]), new RegExp(`resume sent to ${id}`));
    await waitFor('watch to show the search going on', async () => ((out.match(/ evaluated {2}/g) ?? []).length >= 3 ? true : undefined));
    assert.deepEqual(JSON.parse(await ok(['stop', id, '--json'])), { workflowId: id, signal: 'stop' });
    assert.equal(await exited, 0, out);
    return { watched: out, result: JSON.parse(await ok(['result', id, '--json'])) as SearchResult, paused: p };
  });
  assert.doesNotMatch(watched, /\r|\x1b\[/, 'no terminal control codes in a pipe');
  const bars = watched.split('\n').filter((l) => /^\[[#-]{30}\] \d+\/1010 evaluated {2}best (-|\d+\.\d\d%) {2}/.test(l));
  assert.ok(bars.length >= 3, watched);
  assert.equal(new Set(bars).size, bars.length, 'a line is printed only when something changed');
  assert.match(watched, /ETA \d/, 'an ETA once the pace is known');
  assert.match(watched, new RegExp(`^search stopped on request: ${result.evaluated} architectures evaluated`, 'm'));
  assert.equal(result.stopReason, 'stopped');
  assert.ok(result.evaluated > paused.evaluated && result.evaluated < 1010, `${paused.evaluated} -> ${result.evaluated}`);
});

test('stop from the command line ends a search with its result so far; a second stop is refused', async () => {
  const q = queues('clistop');
  const id = uniqueId('clistop');
  const workers = await inProcessWorkers(env.native, q, { simulateMs: 300 });
  const dir = mkdtempSync(join(tmpdir(), 'collm-cli-'));
  const file = join(dir, 'search.json');
  writeFileSync(file, JSON.stringify({ space: 'nb201', strategy: 'random', budget: 1000, batchSize: 10, seed: 3, evaluation: { taskQueue: q.eval } }));
  const { result, paused } = await workers.run(async () => {
    await ok(['start', file, '--id', id, '--task-queue', q.control]);
    await ok(['pause', id]);
    // Paused, the search cannot race the stop: what it has evaluated is what it returns.
    const p = await waitFor('the search to pause', async () => {
      const s = await progressOf(id);
      return s.status === 'paused' && s.inFlight === 0 ? s : undefined;
    });
    assert.deepEqual(JSON.parse(await ok(['stop', id, '--json'])), { workflowId: id, signal: 'stop' });
    return { result: JSON.parse(await ok(['result', id, '--json'])) as SearchResult, paused: p };
  });
  assert.equal(result.stopReason, 'stopped');
  assert.equal(result.evaluated, paused.evaluated);
  assert.match((await ok(['result', id])), /^search stopped on request: /);
  const again = await cli(['stop', id]);
  assert.equal(again.code, 4);
  assert.match(again.stderr, /has already finished/);
});

test('server start runs a dev server that outlives the command; server stop stops it', async () => {
  const port = 7658; // kept free in this suite
  const address = `127.0.0.1:${port}`;
  const started = JSON.parse(await ok(['server', 'start', '--port', String(port), '--json'])) as { address: string; started: boolean };
  try {
    assert.deepEqual(started, { address, webUi: `http://127.0.0.1:${port + 1000}`, started: true });
    assert.deepEqual(JSON.parse(await ok(['list', '--json'], { TEMPORAL_ADDRESS: address })), []);
    assert.equal((JSON.parse(await ok(['server', 'start', '--port', String(port), '--json'])) as { started: boolean }).started, false, 'reused');
  } finally {
    assert.deepEqual(JSON.parse(await ok(['server', 'stop', '--port', String(port), '--json'])), { port, stopped: true });
  }
  await waitFor('the server to go', async () => ((await cli(['list'], { TEMPORAL_ADDRESS: address })).code === 3 ? true : undefined));
  assert.deepEqual(JSON.parse(await ok(['server', 'stop', '--port', String(port), '--json'])), { port, stopped: false });
  for (const f of readdirSync(DATA_DIR).filter((f) => f.startsWith(`temporal-${port}.`))) rmSync(join(DATA_DIR, f), { force: true });
});

test('npm reads the project .npmrc without a warning, and saves exact versions', async () => {
  // onnxruntime-node's install flag is no npm setting (npm warns on every command); scripts/setup.sh sets its env var instead.
  const { stdout, stderr } = await run('npm', ['config', 'get', 'save-exact']);
  assert.equal(stdout.trim(), 'true');
  assert.doesNotMatch(stderr, /Unknown project config/);
  assert.match(readFileSync('scripts/setup.sh', 'utf8'), /^export ONNXRUNTIME_NODE_INSTALL=skip$/m);
});

test('the progress bar: evaluated/budget, best so far, and an ETA from the pace seen', () => {
  const p = (evaluated: number, status: SearchProgress['status'] = 'evaluating'): SearchProgress => ({
    status, space: 'nb201', dataset: 'cifar10', strategy: 'random', evaluator: 'nb201-table', iteration: evaluated / 10,
    evaluated, budget: 100, inFlight: 10, failed: 0, runs: 0, topK: [], pareto: {},
    ...(evaluated > 0 ? { best: { arch: 'a', valAcc: 91.234, cost: { flopsM: 1, paramsM: 1 } } } : {}),
  });
  const eta = createEta();
  assert.equal(eta({ ...p(0, 'starting'), budget: 0 }, 0), '', 'no budget known while the config is resolved: no ETA, not "finishing"');
  assert.equal(eta(p(0), 0), 'ETA -');
  assert.equal(eta(p(10), 10_000), 'ETA 1m 30s'); // 10 in 10 s: 90 left
  assert.equal(eta(p(10), 40_000), 'ETA 1m 00s'); // 30 s of that gone by
  assert.equal(eta(p(20, 'paused'), 50_000), 'paused');
  assert.equal(eta(p(20), 3_600_000), 'ETA -'); // the pace before a pause does not count
  assert.equal(eta(p(100), 3_700_000), 'finishing');
  const slow = createEta();
  slow(p(0), 0);
  assert.equal(slow(p(1), 100_000), 'ETA 2h 45m'); // 99 left at 100 s each: two units, to the minute
  assert.equal(progressBar(p(40), 'ETA 12s', 10), '[####------] 40/100 evaluated  best 91.23%  ETA 12s  (iteration 4, evaluating)');
  assert.equal(progressBar(p(0), 'ETA -', 10), '[----------] 0/100 evaluated  best -  ETA -  (iteration 0, evaluating)');
  // A proxy score is no percentage: the bar prints it bare.
  assert.equal(progressBar({ ...p(40), evaluator: 'naswot' }, '', 10), '[####------] 40/100 evaluated  best 91.23  (iteration 4, evaluating)');
});
