import { ApplicationFailure, CancelledFailure } from '@temporalio/common';

/**
 * A failure's message is stored in the workflow history and shown to users:
 * a request's 10 MB arch quoted in it must not be (the server even refuses a
 * failure over its size limit, leaving "Failure exceeds size limit."). As
 * MAX_MESSAGE_CHARS in python/collm_eval/errors.py, which cuts the same way.
 */
export const MAX_MESSAGE_CHARS = 2000;
/** A run of this many characters without a space is a quoted value, not prose: cut to its head. */
const LONG_WORD = 200;
const WORD_HEAD = 100;
const SPACES = new Set([' ', '\t', '\n', '\r', '\f', '\v']);
const OPENERS = `'"([{<`;
const CLOSERS = `'")]}>,;:.`;

/** `s.slice(0, n)` without splitting a surrogate pair (a lone half is not valid UTF-8). */
function head(s: string, n: number): string {
  const c = s.charCodeAt(n - 1);
  return s.slice(0, c >= 0xd800 && c <= 0xdbff ? n - 1 : n);
}

/** `'xxxx…' (10,000,000 characters)`: quotes and punctuation around the value kept. */
function cutWord(word: string): string {
  let start = 0;
  while (start < word.length && OPENERS.includes(word[start]!)) start++;
  let end = word.length;
  while (end > start && CLOSERS.includes(word[end - 1]!)) end--;
  const value = word.slice(start, end);
  return `${word.slice(0, start)}${head(value, WORD_HEAD)}…${word.slice(end)} (${value.length.toLocaleString('en-US')} characters)`;
}

/** `message` if it fits in `limit` characters; else long values cut, then the whole if need be. */
export function boundMessage(message: string, limit = MAX_MESSAGE_CHARS): string {
  if (message.length <= limit) return message;
  // A loop, not a regular expression: V8's overflows its stack on a 10 MB run.
  const parts: string[] = [];
  let wordStart = 0;
  for (let i = 0; i <= message.length; i++) {
    if (i < message.length && !SPACES.has(message[i]!)) continue;
    const word = message.slice(wordStart, i);
    parts.push(word.length > LONG_WORD ? cutWord(word) : word, message[i] ?? '');
    wordStart = i + 1;
  }
  const cut = parts.join('');
  if (cut.length <= limit) return cut;
  const tail = `… (cut: the message was ${message.length.toLocaleString('en-US')} characters)`;
  return head(cut, limit - tail.length) + tail;
}

/**
 * The failure Temporal stores for `err`, its message bounded: the one place
 * the evaluate activity's errors become failures. Retry semantics are the
 * SDK's own: an ApplicationFailure keeps its flags, an error with
 * `retryable: false` (EvaluationError, ArchitectureError) is not retried, any
 * other error is, typed by its class. The cause is dropped (the SDK would send
 * its message whole); cancellation passes as it is.
 */
export function evalFailure(err: unknown): unknown {
  if (err instanceof CancelledFailure || (err instanceof Error && err.name === 'AbortError')) return err;
  if (!(err instanceof Error)) return ApplicationFailure.retryable(boundMessage(String(err))); // a thrown string
  const message = boundMessage(err.message);
  const failure =
    err instanceof ApplicationFailure
      ? new ApplicationFailure(message, err.type, err.nonRetryable, err.details, undefined, err.nextRetryDelay, err.category)
      : (err as { retryable?: unknown }).retryable === false
        ? ApplicationFailure.nonRetryable(message, err.name)
        : ApplicationFailure.create({ message, type: err.constructor?.name ?? err.name });
  // The stack names the code that failed; its first line repeats the message, so it is bounded too.
  failure.stack = boundMessage(err.stack ?? '');
  return failure;
}
