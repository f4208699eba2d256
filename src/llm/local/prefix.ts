/**
 * Prompt-prefix reuse that cannot change an answer.
 *
 * A sequence keeps the tokens it evaluated between calls, so a request whose
 * prompt starts like the previous one (the Navigator's growing conversation,
 * the Generator's constant system prompt, a follow-up) reads only its new
 * tokens. For the answer to depend on the request alone, the key/value cache
 * of a kept token must be bit-identical to what a fresh evaluation of the
 * prompt would compute. On the CPU backend of the llama.cpp that
 * node-llama-cpp 3.21.1 bundles, that holds only when both evaluations put
 * each token on the same attention path, as measurement and ggml's source
 * (ggml-cpu/ops.cpp, ggml_compute_forward_flash_attn_ext_f16) show:
 *
 * - Flash attention takes a tiled path when a sequence has at least
 *   GGML_FA_TILE_Q = 64 query rows in the micro-batch, and a one-row-at-a-time
 *   path below that. The two sum in different orders: a token evaluated in a
 *   chunk of 1..63 tokens gets different keys/values (and next-token
 *   probabilities up to ~2.5e-2 apart) from the same token evaluated in a
 *   chunk of 64 or more. A sampled answer then drifts within a few tokens.
 * - Within one path a row does not depend on the rest of its batch: where a
 *   chunk of >= 64 starts or ends, or which rows of the other sequence share
 *   a decode on the row path, gives identical bits (checked down to every
 *   probability of the vocabulary; see test/llm-local.test.ts). The rest of
 *   the model (matrix products, norms) gave identical rows at every chunk size
 *   tried, 1 to 512: the attention path is the only thing a chunk size changes.
 *
 * So every token is evaluated on a known path, and only tokens whose cache a
 * fresh evaluation would reproduce are kept:
 *
 * - `canonicalBatches` (the context's batching strategy) never lets an
 *   evaluation of >= 64 tokens be cut into a piece below 64, nor share a
 *   decode with another sequence (llama.cpp would cut both to equal pieces);
 *   evaluations of < 64 tokens (generated tokens, short prompts) are batched
 *   together, which their path allows.
 * - A prompt of >= 64 tokens is evaluated in one evaluation of >= 64 tokens:
 *   `tokensToKeep` never keeps so much that fewer than 64 remain to read, so
 *   the prompt's tokens are all on the tiled path whether kept or read anew.
 *   A prompt under 64 tokens is read whole, on the row path, and not kept.
 * - Generated tokens are evaluated one at a time (row path), where a fresh
 *   evaluation of a prompt that quotes them would use the tiled path: they are
 *   never kept. A conversation's next turn reuses the previous prompt and
 *   reads the previous answer again, with the new turn (~1 s per 200 tokens).
 *
 * "The same answer" holds for one model file and one thread count: a run with
 * another thread count (the `threads` option) sums in another order and
 * answers otherwise, with or without reuse.
 */
import type { BatchItem, PrioritizedBatchItem, Token } from 'node-llama-cpp';

/** Rows of one sequence in a micro-batch from which ggml's CPU flash attention takes its tiled path (GGML_FA_TILE_Q). */
export const TILED_ROWS = 64;

/** How many leading tokens two token lists share. */
export function commonPrefixLength(a: readonly Token[], b: readonly Token[]): number {
  const n = Math.min(a.length, b.length);
  let i = 0;
  while (i < n && a[i] === b[i]) i++;
  return i;
}

/**
 * How many of the tokens a sequence keeps (`kept`: a prompt evaluated on the
 * tiled path) a new prompt can reuse: their common prefix, less what it takes
 * to leave at least TILED_ROWS tokens to evaluate; none for a prompt shorter
 * than that.
 */
export function tokensToKeep(kept: readonly Token[], prompt: readonly Token[]): number {
  if (prompt.length < TILED_ROWS) return 0;
  return Math.min(commonPrefixLength(kept, prompt), prompt.length - TILED_ROWS);
}

/**
 * How much a sequence that keeps `kept` is worth to a new prompt, for the pool
 * to pick one: the tokens it would reuse, where a handful shared (the chat
 * template's opening, common to every prompt) counts as none. Otherwise any
 * call would take the sequence holding the other conversation's prompt over
 * an empty one, for the sake of a few tokens, and two conversations taking
 * turns (the Navigator's and the Generator's) would each evict the other and
 * read every prompt whole.
 */
export function reuseRank(kept: readonly Token[], prompt: readonly Token[]): number {
  const n = tokensToKeep(kept, prompt);
  return n >= TILED_ROWS ? n : 0;
}

/**
 * The context's batching strategy (see the file comment): the queued
 * evaluations under TILED_ROWS tokens go together, whole; otherwise the first
 * of the largest priority goes alone, in a piece that leaves either nothing or
 * at least TILED_ROWS tokens for the next decode.
 */
export function canonicalBatches({ items, size }: { items: readonly BatchItem[]; size: number }): PrioritizedBatchItem[] {
  const short = items.filter((item) => item.tokens.length < TILED_ROWS);
  if (short.length > 0) {
    const batch: PrioritizedBatchItem[] = [];
    let left = size;
    for (const item of short) {
      if (item.tokens.length > left) continue;
      batch.push({ item, processAmount: item.tokens.length });
      left -= item.tokens.length;
    }
    // Two sequences' short items always fit (2 * 63 < size); a piece of a short item is still short.
    if (batch.length === 0) batch.push({ item: short[0]!, processAmount: Math.min(size, short[0]!.tokens.length) });
    return batch;
  }
  let first = items[0];
  for (const item of items) if (first && item.evaluationPriority > first.evaluationPriority) first = item;
  if (!first) return [];
  const n = first.tokens.length;
  // size >= 2 * TILED_ROWS (runtime.ts), so a piece of n - TILED_ROWS is itself at least TILED_ROWS.
  const amount = n <= size ? n : n - size >= TILED_ROWS ? size : n - TILED_ROWS;
  return [{ item: first, processAmount: amount }];
}
