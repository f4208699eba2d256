import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import {
  commandEvaluator,
  commandOptionsSchema,
  isAlive,
  parseProgramOutput,
  runCommand,
  type CommandOptions,
} from '../src/evaluators/command';
import { programEnv, visibleDevices } from '../src/evaluators/command/program';
import { OutputProblem } from '../src/evaluators/command/metrics';
import { formatLog } from '../src/evaluators/command/tail';
import { evalResultSchema, MAX_METRICS } from '../src/evaluators/contract';
import type { EvalContext, EvalRequest } from '../src/evaluators/types';
import { EvaluationError } from '../src/evaluators/types';
import { problemsOf } from '../src/search/config';
import { costNb201, parseNb201 } from '../src/spaces/nb201';
import { SPACES } from '../src/spaces';

// The user's program is a boundary we do not own: these tests run small real programs.
const FIXTURES = join(__dirname, 'fixtures', 'command');
const node = (script: string, ...args: string[]): string[] => [process.execPath, join(FIXTURES, script), ...args];
const tmp = mkdtempSync(join(tmpdir(), 'collm-command-test-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

// Four convolutions (two 3x3, two 1x1), one skip, one none.
const ARCH = '|nor_conv_3x3~0|+|nor_conv_1x1~0|skip_connect~1|+|nor_conv_3x3~0|none~1|nor_conv_1x1~2|';

function makeContext(device = 'cuda:1') {
  const controller = new AbortController();
  const beats: unknown[] = [];
  const context: EvalContext = {
    device,
    heartbeat: (details) => beats.push(details),
    sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
    signal: controller.signal,
  };
  return { controller, beats, context };
}

function request(options: Partial<CommandOptions> & { argv: string[] }, extra: Partial<Omit<EvalRequest, 'options'>> = {}): EvalRequest<CommandOptions> {
  return { evaluator: 'command', options: commandOptionsSchema.parse(options), space: 'nb201', dataset: 'cifar10', arch: ARCH, ...extra };
}

async function rejection(promise: Promise<unknown>): Promise<EvaluationError> {
  const err = await promise.then(
    () => assert.fail('expected the evaluation to fail'),
    (e: unknown) => e,
  );
  assert.ok(err instanceof EvaluationError, `expected an EvaluationError, got ${String(err)}`);
  return err;
}

async function waitForFile(path: string, ms = 5000): Promise<{ leader: number; grandchild: number }> {
  const deadline = Date.now() + ms;
  while (!existsSync(path) || readFileSync(path, 'utf8') === '') {
    if (Date.now() > deadline) assert.fail(`${path} never appeared`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return JSON.parse(readFileSync(path, 'utf8')) as { leader: number; grandchild: number };
}

// Any program: these tests run their own fixtures; the allow-list has tests of its own.
const evaluator = commandEvaluator.create({ allowedPrograms: ['*'] });

test('options: argv must be an array of words, not a shell string, and not empty', () => {
  const asString = commandOptionsSchema.safeParse({ argv: 'python3 eval_subnet.py --bn-batches 50' });
  assert.equal(asString.success, false);
  const [problem] = problemsOf(asString.error!, ['evaluation', 'options']);
  assert.match(problem!, /^evaluation\.options\.argv: must be an array of strings, not one string/);
  assert.match(problem!, /without a shell/);
  assert.match(problem!, /\["python3","eval_subnet.py","--bn-batches","50"\]/);

  const empty = commandOptionsSchema.safeParse({ argv: [] });
  assert.equal(empty.success, false);
  assert.match(problemsOf(empty.error!).join('\n'), /^argv: must name the program to run/);

  const missing = commandOptionsSchema.safeParse({});
  assert.match(problemsOf(missing.error!).join('\n'), /^argv: must be an array of strings/);
});

test('options: env names, reserved variables, durations and unknown fields are refused by field', () => {
  const bad = commandOptionsSchema.safeParse({
    argv: ['x'],
    env: { 'BAD-NAME': '1', CUDA_VISIBLE_DEVICES: '0', OK_NAME: '1' },
    timeout: '2 fortnights',
    shell: true,
  });
  assert.equal(bad.success, false);
  const problems = problemsOf(bad.error!).join('\n');
  assert.match(problems, /env\.BAD-NAME: 'BAD-NAME' is not a variable name/);
  assert.match(problems, /env\.CUDA_VISIBLE_DEVICES: CUDA_VISIBLE_DEVICES is set by the eval worker/);
  assert.doesNotMatch(problems, /OK_NAME/);
  assert.match(problems, /timeout: must be a duration such as "30s"/);
  assert.match(problems, /shell/);

  const ok = commandOptionsSchema.parse({ argv: ['python3', 'eval.py'], timeout: '2h' });
  assert.equal(ok.killGrace, '10s');
  assert.equal(ok.timeout, '2h');
  // Temporal's duration grammar, as in the config: unit words too; a bare number or 0 is still refused.
  assert.equal(commandOptionsSchema.parse({ argv: ['x'], timeout: '2 hours' }).timeout, '2 hours');
  assert.match(problemsOf(commandOptionsSchema.safeParse({ argv: ['x'], timeout: '7200' }).error!).join('\n'), /timeout: must be a duration with its unit/);
  assert.match(problemsOf(commandOptionsSchema.safeParse({ argv: ['x'], timeout: '0s' }).error!).join('\n'), /timeout: must be longer than 0/);
});

test('a program is given the candidate on stdin and its last stdout line becomes the result', async () => {
  const { context, beats } = makeContext();
  const started = Date.now();
  const result = await evaluator.evaluate(request({ argv: node('metrics.mjs', '2000') }), context);
  assert.ok(Date.now() - started >= 2000);

  // valAcc from the 4 convolutions the program found in archJson.
  assert.equal(result.valAcc, 88);
  assert.equal(result.testAcc, 87);
  assert.deepEqual(result.metrics, { convs: 4 });
  // flopsM and paramsM not reported: the space's analytic cost fills them.
  const cost = costNb201(parseNb201(ARCH), 'cifar10');
  assert.deepEqual(result.cost, { flopsM: cost.flopsM, paramsM: cost.paramsM });

  // The log has stdout's chatter and stderr's tail, progress bars collapsed to their last state.
  assert.ok(result.log);
  assert.match(result.log, /\[stdout\]\nloading supernet for nb201 on cuda:1/);
  assert.match(result.log, /\[stderr\]\neval 100%\nwarning: recalibrating batch norm$/);
  assert.doesNotMatch(result.log, /eval 50%/);

  // Heartbeats every second while it ran, with its pid.
  assert.ok(beats.length >= 1, `expected heartbeats, got ${beats.length}`);
  const beat = beats.at(-1) as { device: string; pid: number; elapsedMs: number };
  assert.equal(beat.device, 'cuda:1');
  assert.ok(beat.pid > 0 && beat.elapsedMs >= 900);
});

test('metrics the program reports take precedence over the analytic cost', async () => {
  const { context } = makeContext();
  const result = await evaluator.evaluate(request({ argv: node('metrics.mjs', '0', '--report-cost') }, { latencyDevice: 'pixel3' }), context);
  assert.deepEqual(result.cost, { flopsM: 123.5, paramsM: 1.25, latencyMs: 7.5 });
});

test('a latency-constrained search needs latencyMs from the program', async () => {
  const { context } = makeContext();
  const err = await rejection(evaluator.evaluate(request({ argv: node('metrics.mjs') }, { latencyDevice: 'pixel3' }), context));
  assert.equal(err.retryable, false);
  assert.match(err.message, /latency constraint on 'pixel3'.*must report latencyMs/);
});

test('environment: COLLM_DEVICE, CUDA_VISIBLE_DEVICES from the device, and the search env', async (t) => {
  const saved = process.env.CUDA_VISIBLE_DEVICES;
  delete process.env.CUDA_VISIBLE_DEVICES;
  t.after(() => {
    if (saved !== undefined) process.env.CUDA_VISIBLE_DEVICES = saved;
  });
  const { context } = makeContext('cuda:1');
  const result = await evaluator.evaluate(request({ argv: ['python3', join(FIXTURES, 'check_env.py'), 'cuda:1', '1'], env: { EXTRA_FLAG: 'on' } }), context);
  assert.equal(result.valAcc, 61.5);
  // Python wrote "loss": NaN; the other metric is kept and the NaN noted in the log.
  assert.deepEqual(result.metrics, { gpus: 1 });
  assert.match(result.log ?? '', /left out non-finite metrics: loss/);

  // The same program fails, clearly, when the environment is not what it expects.
  const err = await rejection(
    evaluator.evaluate(request({ argv: ['python3', join(FIXTURES, 'check_env.py'), 'cuda:1', '0'], env: { EXTRA_FLAG: 'on' } }), makeContext('cuda:1').context),
  );
  assert.match(err.message, /exited with code 4/);
  assert.match(err.message, /environment mismatch/);
});

test('CUDA_VISIBLE_DEVICES follows the worker numbering; cpu hides every GPU', () => {
  assert.equal(visibleDevices('cuda:1', undefined), '1');
  assert.equal(visibleDevices('cuda:1', '2,3'), '3');
  assert.equal(visibleDevices('cpu', '0,1'), '');
  assert.equal(visibleDevices('mps', '0'), '0');
  assert.throws(() => visibleDevices('cuda:2', '2,3'), /has no GPU 2/);
  const env = programEnv({ env: { A: 'b' } }, 'cuda:0', { PATH: '/bin', CUDA_VISIBLE_DEVICES: '5,6' });
  assert.deepEqual(env, { PATH: '/bin', A: 'b', COLLM_DEVICE: 'cuda:0', CUDA_VISIBLE_DEVICES: '5' });
});

test('a non-zero exit is a retryable failure naming the command, the code and the stderr tail', async () => {
  const err = await rejection(evaluator.evaluate(request({ argv: node('exit3.mjs') }), makeContext().context));
  assert.equal(err.retryable, true);
  assert.equal(err.name, 'CommandFailed');
  assert.match(err.message, /exit3\.mjs"\] exited with code 3/);
  assert.match(err.message, /RuntimeError: CUDA error: an illegal memory access was encountered/);
});

test('output that breaks the contract ends the search (not retryable) with the line and the format', async () => {
  const cases: [string | undefined, RegExp][] = [
    ['accuracy: 93.1%', /the last line of stdout is not JSON: "accuracy: 93.1%"/],
    ['[93.1]', /JSON but not an object/],
    ['{"acc": 93.1}', /has no valAcc/],
    ['{"valAcc": "93.1"}', /valAcc must be a number, got "93.1"/],
    ['{"valAcc": 0.931e3}', /percentage from 0 to 100, got 931/],
    ['{"valAcc": 90, "flopsM": -1}', /flopsM must not be negative/],
    [undefined, /printed nothing on stdout/],
  ];
  for (const [line, expected] of cases) {
    const lines = line === undefined ? [] : ['epoch 1 done', line];
    const err = await rejection(evaluator.evaluate(request({ argv: node('print.mjs', ...lines) }), makeContext().context));
    assert.equal(err.retryable, false, line);
    assert.match(err.message, expected);
    assert.match(err.message, /must be one JSON object such as \{"valAcc"/, line);
  }
});

test('NaN where a number is required is this candidate’s problem: retryable', async () => {
  const err = await rejection(evaluator.evaluate(request({ argv: node('print.mjs', '{"valAcc": NaN, "note": "NaN"}') }), makeContext().context));
  assert.equal(err.retryable, true);
  assert.match(err.message, /reported valAcc = NaN for this candidate/);
});

test('a missing program is not retryable and says how to fix it', async () => {
  const err = await rejection(evaluator.evaluate(request({ argv: [join(tmp, 'no-such-program'), '--x'] }), makeContext().context));
  assert.equal(err.retryable, false);
  assert.match(err.message, /^no program '.*no-such-program' on this eval worker .*; install it, or give argv\[0\] as an absolute path/);

  const cwd = await rejection(evaluator.evaluate(request({ argv: node('metrics.mjs'), cwd: join(tmp, 'nope') }), makeContext().context));
  assert.equal(cwd.retryable, false);
  assert.match(cwd.message, /evaluation\.options\.cwd: '.*nope' is not a directory/);
});

test('a program that reports a missing GPU fails for good, naming the worker and the device; a crash stays retryable', async () => {
  const ordinal = [process.execPath, '-e', "console.error('RuntimeError: CUDA error: invalid device ordinal'); process.exit(1)"];
  const err = await rejection(evaluator.evaluate(request({ argv: ordinal }), { ...makeContext().context, device: 'cuda:7' }));
  assert.equal(err.retryable, false);
  assert.equal(err.name, 'DeviceError');
  assert.match(err.message, /^eval worker .+, device cuda:7: command .*: RuntimeError: CUDA error: invalid device ordinal \(a device error no retry/);
  const crash = [process.execPath, '-e', "console.error('RuntimeError: CUDA error: an illegal memory access was encountered'); process.exit(1)"];
  assert.equal((await rejection(evaluator.evaluate(request({ argv: crash }), makeContext().context))).retryable, true);
});

test('cancellation kills the whole process group, grandchild included', async () => {
  const pidFile = join(tmp, 'abort.json');
  const { context, controller } = makeContext();
  const running = evaluator.evaluate(request({ argv: node('hang.mjs', pidFile), killGrace: '2s' }), context);
  const pids = await waitForFile(pidFile);
  assert.ok(isAlive(pids.leader) && isAlive(pids.grandchild));
  const reason = new Error('activity cancelled');
  const started = Date.now();
  controller.abort(reason);
  await assert.rejects(running, (err) => err === reason);
  // Both died on SIGTERM, well before the grace period ran out.
  assert.ok(Date.now() - started < 2000);
  assert.equal(isAlive(pids.leader), false);
  assert.equal(isAlive(pids.grandchild), false);
});

test('the timeout option kills the group, with SIGKILL for a program that ignores SIGTERM', async () => {
  const pidFile = join(tmp, 'timeout.json');
  const running = evaluator.evaluate(request({ argv: node('hang.mjs', pidFile, '--ignore-term'), timeout: '1s', killGrace: '300ms' }), makeContext().context);
  const pids = await waitForFile(pidFile);
  const err = await rejection(running);
  assert.equal(err.retryable, true);
  assert.equal(err.name, 'CommandTimeout');
  assert.match(err.message, /ran longer than evaluation\.options\.timeout \(1s\)/);
  assert.equal(isAlive(pids.leader), false);
  assert.equal(isAlive(pids.grandchild), false);
});

test('a child left running after the program exits is killed, and the result still counts', async () => {
  const pidFile = join(tmp, 'orphan.json');
  const result = await evaluator.evaluate(request({ argv: node('orphan.mjs', pidFile), killGrace: '2s' }), makeContext().context);
  assert.equal(result.valAcc, 50);
  const pids = await waitForFile(pidFile);
  assert.equal(isAlive(pids.grandchild), false);
});

test('hostile candidate text travels verbatim on stdin and runs nothing', async () => {
  const marker = join(tmp, 'pwned');
  const hostile = [
    `"; touch ${marker} #`,
    `$(touch ${marker})`,
    `\`touch ${marker}\``,
    `x\n{"valAcc": 100}\n; touch ${marker}`,
    `' && touch ${marker} && '`,
    `|nor_conv_3x3~0|\u0000\u2028 --flag=$HOME`,
  ];
  // The search's own argv is not interpreted either: no splitting, no expansion.
  const args = ['with space', '$HOME', '*', '', `;touch ${marker}`];
  const argv = node('echo-stdin.mjs', ...args);
  for (const arch of hostile) {
    const input = `${JSON.stringify({ space: 'nb201', dataset: 'cifar10', arch, archJson: [arch], device: 'cpu' })}\n`;
    const run = await runCommand(argv, input, { killGraceMs: 1000 });
    assert.equal(run.exitCode, 0);
    const echoed = JSON.parse(run.stdout.trim()) as { stdin: string; argv: string[] };
    assert.equal(echoed.stdin, input);
    assert.equal((JSON.parse(echoed.stdin) as { arch: string }).arch, arch);
    assert.deepEqual(echoed.argv, args);
    // One line of JSON, whatever the text contains.
    assert.equal(input.split('\n').length, 2);
  }
  assert.equal(existsSync(marker), false);
});

test('a hostile candidate never changes what runs: refused by its space before any process starts, no shell anywhere', async () => {
  // Shell syntax that would delete or create files if any string reached a shell.
  const victim = join(tmp, 'victim');
  mkdirSync(victim);
  writeFileSync(join(victim, 'keep'), 'still here');
  const pwned = join(tmpdir(), `collm-pwned-${process.pid}-${Date.now()}`);
  const hostile = [
    `; rm -rf ${victim}`,
    `$(touch ${pwned})`,
    `\`touch ${pwned}\``,
    `|nor_conv_3x3~0|+|none~0|none~1|+|none~0|none~1|none~2|\ntouch ${pwned}`,
    `{"r": 224}; touch ${pwned}`,
    `depth=12 && rm -rf ${victim}`,
    `0000 | sh -c 'touch ${pwned}'`,
  ];
  const record = join(tmp, 'ran.json');
  for (const space of SPACES.list()) {
    for (const arch of hostile) {
      const err = await evaluator
        .evaluate({ ...request({ argv: node('record-run.mjs', record) }), space: space.name, dataset: space.datasets[0]!, arch }, makeContext('cpu').context)
        .then(() => assert.fail(`${space.name} evaluated ${JSON.stringify(arch)}`), (e: unknown) => e as Error & { retryable?: boolean });
      assert.equal(err.name, 'ArchitectureError', `${space.name}: ${err.message}`);
      assert.equal(err.retryable, false, 'an illegal architecture is not retried');
      assert.equal(existsSync(record), false, `${space.name}: the program started for ${JSON.stringify(arch)}`);
    }
  }

  // The same strings as arguments of the search's own command: each one argument, as written.
  const args = hostile;
  const legal = await evaluator.evaluate(request({ argv: node('record-run.mjs', record, ...args) }), makeContext('cpu').context);
  assert.equal(legal.valAcc, 50);
  const seen = JSON.parse(readFileSync(record, 'utf8')) as { argv: string[]; stdin: string };
  assert.deepEqual(seen.argv, args);
  // The candidate itself travels as one line of JSON data on stdin.
  assert.equal((JSON.parse(seen.stdin) as { arch: string }).arch, ARCH);
  assert.equal(seen.stdin.split('\n').length, 2);

  assert.equal(existsSync(pwned), false, `${pwned} was created: a shell ran`);
  assert.equal(readFileSync(join(victim, 'keep'), 'utf8'), 'still here');
});

test('allowedPrograms limits argv[0] and the variables that would load other code', async () => {
  const guarded = commandEvaluator.create({ allowedPrograms: [process.execPath] });
  guarded.check();
  const ok = await guarded.evaluate(request({ argv: node('metrics.mjs') }), makeContext().context);
  assert.equal(ok.valAcc, 88);

  const other = await rejection(guarded.evaluate(request({ argv: ['python3', join(FIXTURES, 'check_env.py'), 'cpu', ''] }), makeContext().context));
  assert.equal(other.retryable, false);
  assert.match(other.message, /argv\[0\]: 'python3' is not one of the programs this eval worker allows/);

  const preload = await rejection(guarded.evaluate(request({ argv: node('metrics.mjs'), env: { LD_PRELOAD: '/tmp/x.so' } }), makeContext().context));
  assert.equal(preload.retryable, false);
  assert.match(preload.message, /LD_PRELOAD would load other code/);

  assert.throws(() => commandEvaluator.create({ allowedPrograms: [join(tmp, 'missing')] }).check(), /not an executable file on this worker/);
  assert.throws(() => commandEvaluator.create({ allowedPrograms: 'python3' } as never), /command evaluator settings/);
});

test('output parsing: metrics are bounded in number and name length; 1e999 drops the candidate like NaN; an over-long last line is named', () => {
  const many = Object.fromEntries(Array.from({ length: 30_000 }, (_, i) => [`m${i}`, i]));
  const { metrics } = parseProgramOutput(`${JSON.stringify({ valAcc: 50, ...many, ['x'.repeat(500)]: 1 })}\n`);
  assert.equal(Object.keys(metrics.metrics).length, MAX_METRICS);
  assert.equal(metrics.metrics.m0, 0, 'the first ones, in the program order');
  assert.equal(metrics.metricsLeftOut, 30_001 - MAX_METRICS);
  assert.ok(evalResultSchema.safeParse({ valAcc: 50, cost: { flopsM: 1, paramsM: 1 }, metrics: metrics.metrics }).success);
  assert.ok(!evalResultSchema.safeParse({ valAcc: 50, cost: { flopsM: 1, paramsM: 1 }, metrics: many }).success, 'the contract holds the bound for every worker');

  for (const line of ['{"valAcc": 70, "flopsM": 1e999}', '{"valAcc": 70, "flopsM": NaN}']) {
    assert.throws(() => parseProgramOutput(line), (err: unknown) => err instanceof OutputProblem && err.retryable && /reported flopsM/.test(err.message), line);
  }
  assert.deepEqual(parseProgramOutput('{"valAcc": 70, "big": 1e999}').metrics.nonFinite, ['big']);

  // What run.ts keeps of a 2 MiB stdout with no newline: its last MiB, all one line.
  const tail = 'x'.repeat(1 << 20);
  assert.throws(() => parseProgramOutput(tail, true), (err: unknown) => err instanceof OutputProblem && /last line of stdout is longer than the 1048576 characters kept/.test(err.message) && !/printed nothing/.test(err.message));
});

test('output parsing: progress bars collapse, the log stays bounded, NaN extras are left out', () => {
  const { metrics, otherLines } = parseProgramOutput('step 1\rstep 2\n\n{"valAcc": 70, "loss": -Infinity, "n": 3}\n\n');
  assert.deepEqual(otherLines.filter(Boolean), ['step 2']);
  assert.deepEqual(metrics, { valAcc: 70, metrics: { n: 3 }, nonFinite: ['loss'], metricsLeftOut: 0 });

  const log = formatLog(Array.from({ length: 500 }, (_, i) => `out ${i}`), Array.from({ length: 2000 }, (_, i) => `err ${i}`).join('\n'));
  assert.ok(log && log.length <= 4096, `log of ${log?.length} characters`);
  assert.match(log, /err 1999$/);
  assert.match(log, /out 499\n\[stderr\]/);
});
