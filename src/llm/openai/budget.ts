/**
 * How many tokens an answer may take on a server whose context is known:
 * what the caller asked for, but never more than the context leaves after
 * the prompt. A server asked for more either refuses the request or, under a
 * grammar that lets the model pad with whitespace, fills its whole context.
 */
import type { ChatMessage } from '../types';

/** Tokens a chat template adds around each message (role markers, separators), generously. */
const PER_MESSAGE = 8;
/** Room kept free for the template's own start and end and the estimate's error. */
const MARGIN = 64;
/** An answer given less room than this cannot be a useful one: the prompt is too long instead. */
export const MIN_ANSWER_TOKENS = 32;

/**
 * Tokens a prompt takes, cautiously: digits, punctuation and spaces one each
 * (small models' tokenizers split numbers into digits), words four characters
 * to a token.
 */
export function promptTokens(messages: readonly Pick<ChatMessage, 'content'>[]): number {
  let n = 0;
  for (const m of messages) {
    n += PER_MESSAGE;
    for (const run of m.content.match(/[A-Za-z_]+|[^A-Za-z_]/g) ?? []) n += /[A-Za-z_]/.test(run[0]!) ? Math.ceil(run.length / 4) : 1;
  }
  return n;
}

/** The answer's bound: `wanted`, or less where the context is known and the prompt leaves less. */
export function answerBound(wanted: number, messages: readonly Pick<ChatMessage, 'content'>[], contextTokens: number | undefined): number {
  if (contextTokens === undefined) return wanted;
  return Math.min(wanted, contextTokens - promptTokens(messages) - MARGIN);
}

/**
 * The messages with the oldest exchange after the system prompt left out, so
 * a conversation that outgrew the context fits again; undefined when only the
 * last exchange is left (the question, or a follow-up with the answer it
 * quotes), which must not be cut.
 */
export function trimmedHistory(messages: readonly ChatMessage[]): ChatMessage[] | undefined {
  const system = messages.filter((m) => m.role === 'system');
  const turns = messages.filter((m) => m.role !== 'system');
  if (turns.length <= 3) return undefined;
  // A user turn and its answer go together, so the conversation still starts with a user turn.
  let drop = 1;
  while (drop < turns.length - 3 && turns[drop]!.role !== 'user') drop++;
  if (turns[drop]?.role !== 'user') return undefined;
  return [...system, ...turns.slice(drop)];
}
