import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { createEvaluators, EvaluationError, type EvalContext, type EvalRequest } from '../src/evaluators';
import { commandEvaluator, commandOptionsSchema, commandSettingsFromEnv, containmentPlan, type CommandOptions, type CommandSettings } from '../src/evaluators/command';
import { ADDRESS, TABLE_PATH } from './helpers';

// The worker, never the search, decides what runs on an eval worker, with
// which of its variables, and contained how. The programs here are real
// (/bin/sh, sleep): a hostile search config as a user would write it.
const tmp = mkdtempSync(join(tmpdir(), 'collm-command-security-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

const ARCH = '|nor_conv_3x3~0|+|nor_conv_1x1~0|skip_connect~1|+|nor_conv_3x3~0|none~1|nor_conv_1x1~2|';
const request = (options: Record<string, unknown>): EvalRequest<CommandOptions> => ({
  evaluator: 'command',
  options: commandOptionsSchema.parse(options),
  space: 'nb201',
  dataset: 'cifar10',
  arch: ARCH,
});
const context = (): EvalContext => ({ device: 'cpu', heartbeat: () => {}, sleep: (ms) => new Promise((r) => setTimeout(r, ms)), signal: new AbortController().signal });
const run = (settings: CommandSettings, options: Record<string, unknown>) => commandEvaluator.create(settings).evaluate(request(options), context());

test('command is served only with the worker\'s own allow-list; without one the refusal says how to enable it', async () => {
  const none = commandEvaluator.create(commandSettingsFromEnv({}));
  assert.throws(() => none.check(), /no program is allowed on this eval worker: .*COLLM_COMMAND_ALLOWED_PROGRAMS/);
  await assert.rejects(none.evaluate(request({ argv: ['/bin/sh', '-c', 'id'] }), context()), (err: unknown) => {
    return err instanceof EvaluationError && !err.retryable && err.name === 'CommandNotAllowed';
  });
  // The variable is the worker's; the search's argv must name one of its programs.
  const listed = commandEvaluator.create(commandSettingsFromEnv({ COLLM_COMMAND_ALLOWED_PROGRAMS: ' /bin/true , /bin/echo ' }));
  listed.check();
  await assert.rejects(listed.evaluate(request({ argv: ['/bin/sh', '-c', 'id'] }), context()), /'\/bin\/sh' is not one of the programs this eval worker allows \(\/bin\/true, \/bin\/echo\)/);
  // A worker process reads its environment; a bad value stops it naming where it came from.
  process.env.COLLM_COMMAND_CONTAIN = 'chroot';
  try {
    assert.throws(() => commandEvaluator.create(undefined), /command evaluator settings \(COLLM_COMMAND_\*\): .*expected one of "auto"\|"pid-namespace"\|"process-group"[\s\S]*contain/);
  } finally {
    delete process.env.COLLM_COMMAND_CONTAIN;
  }

  // A worker that serves whatever it can leaves command out, with the reason.
  const saved = process.env.COLLM_COMMAND_ALLOWED_PROGRAMS;
  delete process.env.COLLM_COMMAND_ALLOWED_PROGRAMS;
  try {
    const { served, skipped } = createEvaluators({ 'nb201-table': { table: TABLE_PATH } });
    assert.ok(!served.has('command'));
    assert.ok(skipped.some((s) => /^command: no program is allowed/.test(s)), skipped.join('\n'));
  } finally {
    if (saved !== undefined) process.env.COLLM_COMMAND_ALLOWED_PROGRAMS = saved;
  }
});

test('a stock eval worker asked to serve command without an allow-list stops at start-up and says how', async () => {
  const env: NodeJS.ProcessEnv = { ...process.env, TEMPORAL_ADDRESS: ADDRESS, EVAL_EVALUATORS: 'command', EVAL_DEVICES: 'cpu' };
  delete env.COLLM_COMMAND_ALLOWED_PROGRAMS;
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/workers/eval.ts'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (out += d.toString()));
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  assert.equal(code, 1, out);
  assert.match(out, /no program is allowed on this eval worker: its owner lists the programs searches may run in COLLM_COMMAND_ALLOWED_PROGRAMS/);
  assert.doesNotMatch(out, /polling/);
});

test('the leaking program of the security report gets a minimal environment: no worker secret unless the worker passes it on', async () => {
  const secrets = { AWS_SECRET_ACCESS_KEY: 'aws-DO-NOT-LEAK-1', OPENAI_API_KEY: 'sk-DO-NOT-LEAK-2', TEMPORAL_API_KEY: 'tmprl-DO-NOT-LEAK-3' };
  Object.assign(process.env, secrets);
  try {
    const leak = (file: string) => ({
      argv: ['/bin/sh', '-c', `env > ${file}; id >> ${file}; echo '{"valAcc": 1}'`],
      cwd: tmp,
    });
    const result = await run({ allowedPrograms: ['/bin/sh'] }, leak('leaked.txt'));
    assert.equal(result.valAcc, 1);
    const leaked = readFileSync(join(tmp, 'leaked.txt'), 'utf8');
    for (const value of Object.values(secrets)) assert.ok(!leaked.includes(value), `${value} reached the program`);
    assert.match(leaked, /^PATH=/m, 'what a program needs is there');
    assert.match(leaked, /^COLLM_DEVICE=cpu$/m);

    await run({ allowedPrograms: ['/bin/sh'], passEnv: ['AWS_*'] }, leak('passed.txt'));
    const passed = readFileSync(join(tmp, 'passed.txt'), 'utf8');
    assert.match(passed, /^AWS_SECRET_ACCESS_KEY=aws-DO-NOT-LEAK-1$/m, 'named by the worker: passed on');
    assert.ok(!passed.includes(secrets.OPENAI_API_KEY));
  } finally {
    for (const name of Object.keys(secrets)) delete process.env[name];
  }
});

/** Processes whose command line holds `marker`. */
function running(marker: string): number[] {
  const found: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readFileSync(`/proc/${entry}/cmdline`, 'utf8').includes(marker)) found.push(Number(entry));
    } catch {
      // gone meanwhile
    }
  }
  return found;
}

async function settle(marker: string, want: 'gone' | 'there'): Promise<number[]> {
  for (let i = 0; i < 50; i++) {
    const pids = running(marker);
    if ((want === 'gone') === (pids.length === 0)) return pids;
    await new Promise((r) => setTimeout(r, 40));
  }
  return running(marker);
}

/**
 * A program that starts `sleep <marker>` in a session of its own and answers
 * only once that process has called setsid (it writes a file after), so the
 * escape has happened before the program exits, however busy the machine.
 */
function escaping(marker: string): string {
  const ready = join(tmp, `setsid-${marker}`);
  return `setsid sh -c 'echo > ${ready}; exec sleep ${marker}' </dev/null >/dev/null 2>&1 & while [ ! -e ${ready} ]; do sleep 0.02; done; echo '{"valAcc": 2}'`;
}

test('a program that calls setsid cannot outlive its evaluation: its PID namespace dies with it', async () => {
  const plan = containmentPlan('auto');
  assert.equal(plan.mode, 'pid-namespace', `this machine cannot contain programs: ${plan.why}`);
  const marker = `300.${process.pid}${Date.now() % 100000}`;
  const escape = { argv: ['/bin/sh', '-c', escaping(marker)] };
  assert.equal((await run({ allowedPrograms: ['/bin/sh'] }, escape)).valAcc, 2);
  assert.deepEqual(await settle(marker, 'gone'), [], 'the setsid process is gone');

  // The limit without a namespace, as docs/spaces-and-evaluators.md says: the process group alone lets it escape.
  const grouped = `${marker}1`;
  await run({ allowedPrograms: ['/bin/sh'], contain: 'process-group' }, { argv: ['/bin/sh', '-c', escaping(grouped)] });
  const escaped = await settle(grouped, 'there');
  for (const pid of escaped) process.kill(pid, 'SIGKILL');
  assert.ok(escaped.length > 0, 'outside a PID namespace setsid escapes the group (the documented limit)');
});
