/**
 * Hostile input to the TypeScript eval worker's `evaluate` activity: requests
 * no search sends (any client can schedule on the eval queue). Each is refused
 * for good, or retried for a crash, with a message of at most 2,000
 * characters that says how long the value it quotes was. The Python worker's
 * answers to the same requests: test/python-worker.test.ts.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ApplicationFailure, CancelledFailure } from '@temporalio/common';
import { MAX_MESSAGE_CHARS, boundMessage, evalFailure } from '../src/activities/eval-failure';
import { createEvalActivities } from '../src/activities/evaluate';
import { EvaluationError, createEvaluators } from '../src/evaluators';
import { parseNb201 } from '../src/spaces/nb201';
import { TABLE_PATH, thrown } from './helpers';

const GOOD = { evaluator: 'nb201-table', options: {}, space: 'nb201', dataset: 'cifar100', arch: '|none~0|+|none~0|none~1|+|none~0|none~1|none~2|' };
const TEN_MB = 10_000_000;

/** {"a": {"a": ... 1}} `depth` levels deep, built without recursion. */
function nested(depth: number): Record<string, unknown> {
  let value: Record<string, unknown> = { a: 1 };
  for (let i = 1; i < depth; i++) value = { a: value };
  return value;
}

/** How the activity refuses `request` before it needs an activity context (no evaluator runs). */
async function refusal(request: unknown): Promise<ApplicationFailure> {
  const { served } = createEvaluators({ 'nb201-table': { table: TABLE_PATH } }, ['nb201-table']);
  const { evaluate } = createEvalActivities({ evaluators: served, devices: ['slot:0'] });
  const err = await evaluate(request as never).then(
    () => assert.fail('expected a refusal'),
    (e: unknown) => e,
  );
  assert.ok(err instanceof ApplicationFailure, String(err));
  return err;
}

test('a message over 2,000 characters: long values cut to their head with their length, then the whole', () => {
  assert.equal(boundMessage('short'), 'short');
  const arch = boundMessage(`arch: not JSON: ${'x'.repeat(TEN_MB)}`);
  assert.equal(arch, `arch: not JSON: ${'x'.repeat(100)}… (10,000,000 characters)`);
  const quoted = boundMessage(`found 1 in '${'x'.repeat(TEN_MB)}' (format: ...)`);
  assert.equal(quoted, `found 1 in '${'x'.repeat(100)}…' (10,000,000 characters) (format: ...)`);
  // A value with spaces has no long word: the message itself is cut, saying how long it was.
  const spaced = boundMessage(`options: ${'x '.repeat(TEN_MB / 2)}`);
  assert.equal(spaced.length, MAX_MESSAGE_CHARS);
  assert.match(spaced, /^options: x x .*… \(cut: the message was 10,000,009 characters\)$/);
  // Never half a surrogate pair (not valid UTF-8 in the failure).
  assert.doesNotMatch(boundMessage('😀'.repeat(5000)), /[\ud800-\udbff](?![\udc00-\udfff])/);
});

test('an evaluator error quoting a 10 MB arch: non-retryable, bounded, saying how long it was', () => {
  const parseError = thrown(() => parseNb201('x'.repeat(TEN_MB)));
  const failure = evalFailure(parseError) as ApplicationFailure;
  assert.ok(failure instanceof ApplicationFailure);
  assert.equal(failure.type, 'ArchitectureError');
  assert.equal(failure.nonRetryable, true);
  assert.ok(failure.message.length <= MAX_MESSAGE_CHARS, `${failure.message.length} characters`);
  assert.match(failure.message, /found 1 in 'x{100}…' \(10,000,000 characters\)/);
  assert.ok(failure.stack!.length <= MAX_MESSAGE_CHARS, 'the stack repeats the message: bounded too');
  // Retryable errors stay retryable, typed by their class; cancellation passes as it is.
  const crash = evalFailure(new RangeError(`bad ${'y'.repeat(TEN_MB)}`)) as ApplicationFailure;
  assert.deepEqual([crash.type, crash.nonRetryable, crash.message.length < 200], ['RangeError', false, true]);
  const busy = evalFailure(new EvaluationError('busy', true)) as ApplicationFailure;
  assert.equal(busy.nonRetryable, false);
  const text = evalFailure(`thrown ${'z'.repeat(TEN_MB)}`) as ApplicationFailure;
  assert.deepEqual([text.nonRetryable, text.message], [false, `thrown ${'z'.repeat(100)}… (10,000,000 characters)`]);
  const cancelled = new CancelledFailure('cancelled');
  assert.equal(evalFailure(cancelled), cancelled);
});

test('options nested 10,000 deep: refused for good naming the path, before anything reads them', async () => {
  const failure = await refusal({ ...GOOD, options: nested(10_000) });
  assert.equal(failure.type, 'BadEvalRequest');
  assert.equal(failure.nonRetryable, true);
  assert.equal(failure.message, `evaluate: bad request: options${'.a'.repeat(31)}: nested more than 32 levels deep; no field of a search config or an evaluation request is`);
});

test('__proto__, constructor and prototype keys in a request are refused for good', async () => {
  // As the worker decodes it: JSON.parse makes `__proto__` an own key.
  const proto = await refusal(JSON.parse(JSON.stringify(GOOD).replace('"options":{}', '"options":{"x":[{"__proto__":{"a":1}}]}')));
  assert.equal(proto.type, 'BadEvalRequest');
  assert.equal(proto.nonRetryable, true);
  assert.match(proto.message, /^evaluate: bad request: options\.x\.0\.__proto__: the key '__proto__' is not allowed/);
  const constructor = await refusal({ ...GOOD, options: { constructor: { prototype: 1 } } });
  assert.match(constructor.message, /^evaluate: bad request: options\.constructor: the key 'constructor' is not allowed/);
});

test('a 10 MB evaluator name or unknown key is quoted cut, in a message of at most 2,000 characters', async () => {
  const evaluator = await refusal({ ...GOOD, evaluator: 'e'.repeat(TEN_MB) });
  assert.equal(evaluator.type, 'UnknownEvaluator');
  assert.equal(evaluator.message, `evaluation.evaluator: this eval worker has no evaluator '${'e'.repeat(100)}…' (10,000,000 characters) (it serves nb201-table)`);
  const key = await refusal({ ...GOOD, ['k'.repeat(TEN_MB)]: 1 });
  assert.equal(key.type, 'BadEvalRequest');
  assert.equal(key.nonRetryable, true);
  assert.ok(key.message.length <= MAX_MESSAGE_CHARS, `${key.message.length} characters`);
  assert.match(key.message, /k{100}….* \(10,000,000 characters\)/);
});
