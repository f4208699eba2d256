import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { after, test } from 'node:test';
import { historyToJSON } from '@temporalio/common/lib/proto-utils';
import { startSearch } from '../src/client/search';
import { searchLog } from '../src/client/search-log';
import { writeReport } from '../src/report';
import type { SearchResult } from '../src/search/summary';
import { ADDRESS, inProcessWorkers, queues, uniqueId, useTemporal } from './helpers';

// Hostile input as a realistic user would send it, through the CLI: each case
// is refused with the field named, exits 2, and leaves nothing behind (no
// workflow with its id). The worker-side cases (programs, environment,
// containment, bounded output) are in command-security, command-evaluator,
// large-history and python-worker; the last test here runs them end to end
// and checks that no worker secret reaches history, memo, log or report.
const env = useTemporal();
const dir = mkdtempSync(join(tmpdir(), 'collm-hostile-'));
after(() => rmSync(dir, { recursive: true, force: true }));

interface Ran {
  code: number;
  stdout: string;
  stderr: string;
}
async function cli(args: string[]): Promise<Ran> {
  try {
    const { stdout, stderr } = await promisify(execFile)('bin/collm-nas', args, { env: { ...process.env, TEMPORAL_ADDRESS: ADDRESS }, maxBuffer: 64 << 20 });
    return { code: 0, stdout, stderr };
  } catch (e) {
    const err = e as { code: number; stdout: string; stderr: string };
    return { code: err.code, stdout: err.stdout, stderr: err.stderr };
  }
}

function file(name: string, text: string): string {
  writeFileSync(join(dir, name), text);
  return join(dir, name);
}

function nested(depth: number): string {
  return `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`;
}

const LLM = (baseUrl: string) => JSON.stringify({ budget: 5, strategy: 'collm', llm: { provider: 'openai', baseUrl, model: 'm' } });

// [what, config file text, --set arguments, what stderr must say, a secret it must not repeat]
const REFUSED: [string, string, string[], RegExp, string?][] = [
  ['--set through __proto__', '{"budget": 5}', ['__proto__.budget=7'], /--set __proto__: the key '__proto__' is not allowed/],
  ['--set through constructor.prototype', '{"budget": 5}', ['strategy.constructor.prototype.x=1'], /--set strategy\.constructor: the key 'constructor' is not allowed/],
  ['__proto__ in evaluator options', '{"budget": 5, "evaluation": {"options": {"__proto__": {"x": 1}}}}', [], /evaluation\.options\.__proto__: the key '__proto__' is not allowed/],
  ['a config nested 10,000 deep', `{"budget": 5, "name": ${nested(10_000)}}`, [], /name(\.a)+: nested more than 32 levels deep/],
  ['a 10 MB config', JSON.stringify({ budget: 5, name: 'x'.repeat(10 << 20) }), [], /is 10\.0 MB of JSON, more than the 256 KB a search config may be/],
  ['a budget of 1e999', '{"budget": 1e999}', [], /budget: must be a whole number of architectures to evaluate, e.g. 100, got Infinity/],
  ['a password as ?pass=', LLM('http://127.0.0.1:9/v1?pass=hunter2-secret'), [], /llm\.baseUrl: must not carry credentials \(the query parameter 'pass'\)/, 'hunter2-secret'],
  ['a password as ?pw=', LLM('http://127.0.0.1:9/v1?pw=hunter2-secret'), [], /the query parameter 'pw'/, 'hunter2-secret'],
  ['a key as a matrix parameter', LLM('http://127.0.0.1:9/v1;key=hunter2-secret'), [], /the path parameter 'key'/, 'hunter2-secret'],
  ['user info in the URL', LLM('http://admin:hunter2-secret@127.0.0.1:9/v1'), [], /user info/, 'hunter2-secret'],
  ['argv as one shell string', '{"space": "spos-shufflenetv2", "budget": 5, "evaluation": {"evaluator": "command", "options": {"argv": "sh -c id"}}}', [], /evaluation\.options\.argv: must be an array of strings, not one string/],
  ['a NUL byte in argv', '{"budget": 5, "evaluation": {"evaluator": "command", "options": {"argv": ["a\\u0000b"]}}}', [], /must not contain a NUL character/],
];

for (const [what, text, sets, message, secret] of REFUSED) {
  test(`hostile config refused before anything starts: ${what}`, async () => {
    const id = uniqueId('hostile');
    const r = await cli(['start', file(`${id}.json`, text), ...sets.flatMap((s) => ['--set', s]), '--id', id]);
    assert.equal(r.code, 2, `exit ${r.code}\n${r.stderr.slice(0, 2000)}`);
    assert.match(r.stderr, message);
    assert.ok(r.stderr.length < 20_000, `a bounded message (${r.stderr.length} characters)`);
    if (secret) assert.ok(!(r.stdout + r.stderr).includes(secret), 'the secret is not repeated');
    assert.equal(({} as Record<string, unknown>).budget, undefined);
    await assert.rejects(env.client.workflow.getHandle(id).describe(), /not found/i, 'nothing was started');
  });
}

test('report --out on a file is refused, nothing written (no raw EEXIST)', async () => {
  const taken = file('taken.html', 'mine');
  const r = await cli(['report', 'whatever', '--out', taken]);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /--out: .*taken\.html is a file, not a folder/);
  assert.equal(readFileSync(taken, 'utf8'), 'mine');
});

test('no worker secret reaches a search\'s history, memo, log or report, even from a program that prints its environment', { timeout: 180_000 }, async () => {
  const secrets = { AWS_SECRET_ACCESS_KEY: 'aws-hostile-DO-NOT-LEAK', OPENAI_API_KEY: 'sk-hostile-DO-NOT-LEAK', TEMPORAL_API_KEY: 'tmprl-hostile-DO-NOT-LEAK' };
  Object.assign(process.env, secrets);
  try {
    const q = queues('hostile');
    const id = uniqueId('hostile-run');
    const workers = await inProcessWorkers(env.native, q, { command: { allowedPrograms: ['/bin/sh'] } });
    const result = await workers.run(async () => {
      const handle = await startSearch(
        env.client,
        {
          budget: 4,
          batchSize: 2,
          strategy: 'random',
          evaluation: {
            taskQueue: q.eval,
            evaluator: 'command',
            // Everything it can see, on stdout, on stderr and as metric names.
            options: { argv: ['/bin/sh', '-c', 'env; env >&2; echo "{\\"valAcc\\": 50, \\"$(env | md5sum | cut -c1-8)\\": 1}"'] },
          },
        },
        { taskQueue: q.control, workflowId: id },
      );
      return (await handle.result()) as SearchResult;
    });
    assert.equal(result.evaluated, 4);
    const handle = env.client.workflow.getHandle(id);
    const described = await handle.describe();
    const report = await writeReport(env.client, id, join(dir, 'report'));
    const places: [string, string][] = [
      ['history', historyToJSON(await handle.fetchHistory())],
      ['memo', JSON.stringify(described.memo ?? {})],
      ['log', JSON.stringify(await searchLog(env.client, id))],
      ...readdirSync(join(dir, 'report')).map((f): [string, string] => [`report ${f}`, readFileSync(join(dir, 'report', f), 'utf8')]),
    ];
    assert.ok(report.html.endsWith('.html'));
    assert.ok(places.some(([, text]) => text.includes('COLLM_DEVICE=')), 'the program\'s environment did reach the log: the check can fail');
    for (const [where, text] of places) {
      for (const value of Object.values(secrets)) assert.ok(!text.includes(value), `${value} in the ${where}`);
    }
  } finally {
    for (const name of Object.keys(secrets)) delete process.env[name];
  }
});
