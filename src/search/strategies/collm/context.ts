import { z } from 'zod';
import { compactJson } from '../../../lib/json-grammar';
import { Rng } from '../../../lib/rng';
import type { SearchSpace } from '../../../spaces/types';
import type { Collm } from './state';

/**
 * Sizing the prompts to the model's context, from what its provider declares:
 * a model with a known, small context (an embedded one) gets a conversation
 * and a Generator prompt that fit it; one with a large or unknown context
 * gets the configured sizes.
 */

/**
 * How large the Navigator's conversation may grow. On a small context the
 * system prompt (~2,500 characters), the next results (~2,000), the answer and
 * the summary request must still fit after it. Small models' odd output can
 * run close to 2 characters per token, so the budget assumes 2.
 */
export function conversationBudget(collmSetup: Collm): number {
  const { contextTokens } = collmSetup.navigator.capabilities;
  if (contextTokens === undefined) return collmSetup.options.contextBudgetChars;
  const maxTokens = collmSetup.navigator.maxTokens;
  const fits = (contextTokens - maxTokens) * 2 - 2500 - 2000 - maxTokens * 4 - 500;
  return Math.min(collmSetup.options.contextBudgetChars, Math.max(1000, fits));
}

/**
 * Tokens the Navigator's conversation may hold, measured in tokens, on a
 * model with a known context: room must stay for the next turn (a batch of
 * results, each an architecture and ~25 tokens of accuracy and cost, plus
 * ~400 of wording), its answer, and a summary's answer. Spaces whose
 * architectures are long (an OFA subnet's JSON is ~110 tokens) leave less.
 */
export function conversationTokenBudget(collmSetup: Collm): number | undefined {
  const { contextTokens } = collmSetup.navigator.capabilities;
  if (contextTokens === undefined) return undefined;
  const nextTurn = collmSetup.config.batchSize * (archTokens(collmSetup.space) + 25) + 400;
  return contextTokens - nextTurn - 2 * collmSetup.navigator.maxTokens - 200;
}

/** The JSON Schema the Generator's answer must match: `count` items of the space's schema (or of an edit's). */
export function generatorSchema(item: { schema: z.ZodType }, count: number): Record<string, unknown> {
  // Exactly `count`: a grammar-constrained small model otherwise stops after one.
  const n = Math.max(1, count);
  const schema = z.object({ candidates: z.array(item.schema).min(n).max(n) });
  const json = z.toJSONSchema(schema) as Record<string, unknown>;
  delete json.$schema;
  return json;
}

/**
 * The Generator's maxTokens. Where a grammar bounds the answer (no
 * whitespace, fixed count) and a token is at least a character, the longest
 * answer the schema admits is never cut off mid-JSON; a configured maxTokens
 * below it only turned long answers into wasted calls. Without that grammar
 * the answer may be indented, so it gets twice the compact length (and a
 * line's worth), never more than configured: a server whose schema grammar
 * lets a model pad with whitespace otherwise pads until its context is full.
 */
export function generatorMaxTokens(collmSetup: Collm, count: number, item: { schema: z.ZodType } = collmSetup.space): number {
  const bound = compactJson(generatorSchema(item, count))?.maxChars ?? Infinity;
  if (!Number.isFinite(bound)) return collmSetup.generator.maxTokens;
  if (collmSetup.generator.capabilities.grammar) return bound;
  return Math.min(collmSetup.generator.maxTokens, 2 * bound + 64);
}

/** Errors the Generator's follow-up quotes at most (retryCall). */
export const RETRY_ERRORS_SHOWN = 12;

/**
 * Tokens a text takes, cautiously: a small model's tokenizer splits numbers
 * into digits, so digits, punctuation and spaces count one each, and words
 * four characters to a token. (An OFA subnet's JSON is nearly all digits and
 * commas: 108 real tokens for 118 characters, estimated 117; a NAS-Bench-201
 * cell: 39 real, estimated 50.)
 */
export function estimateTokens(text: string): number {
  let n = 0;
  for (const run of text.match(/[A-Za-z_]+|[^A-Za-z_]/g) ?? []) n += /[A-Za-z_]/.test(run[0]!) ? Math.ceil(run.length / 4) : 1;
  return n;
}

/** Tokens one architecture of the space takes in a prompt: the most of a few samples, plus a line break's worth. */
export function archTokens(space: SearchSpace<unknown>): number {
  const rng = Rng.fromSeed(0);
  let most = 0;
  for (let i = 0; i < 8; i++) most = Math.max(most, estimateTokens(JSON.stringify(space.sample(rng))));
  return most + 4;
}

/**
 * How many visited architectures the Generator prompt lists, and how much of
 * the strategy it quotes. On a small context the whole exchange, including
 * the follow-up that repeats the first answer and quotes the refused
 * candidates, must fit: the fixed text (system prompt, best list, memory
 * turns, or `fixedTokens` set aside for them), two answers of up to
 * maxTokens, the follow-up's errors (an architecture and ~30 tokens each),
 * the listed architectures, ~2.5 characters per token of strategy. An OFA
 * subnet takes three times the tokens of a NAS-Bench-201 cell, so the sizes
 * come from the space's own architectures.
 */
export function generatorPromptLimits(collmSetup: Collm, count: number, fixedText = '', fixedTokens = 0): { visited: number; strategyChars: number } {
  const { contextTokens } = collmSetup.generator.capabilities;
  if (contextTokens === undefined) return { visited: collmSetup.options.visitedInPrompt, strategyChars: Infinity };
  const strategyChars = 2000;
  const perArch = archTokens(collmSetup.space);
  const errors = RETRY_ERRORS_SHOWN * (perArch + 30);
  // 300 tokens of margin: the user turns' fixed wording and the chat template's own tokens.
  const room = contextTokens - 2 * generatorMaxTokens(collmSetup, count) - estimateTokens(fixedText) - fixedTokens - strategyChars / 2.5 - errors - 300;
  return { visited: Math.max(0, Math.min(collmSetup.options.visitedInPrompt, Math.floor(room / perArch))), strategyChars };
}
