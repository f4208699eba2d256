import { randomInt } from 'node:crypto';
import { basename, resolve } from 'node:path';
import type { ChatHistoryItem, Token } from 'node-llama-cpp';
import { extractJson, stripReasoning } from '../json';
import { LlmError, type ChatMessage, type ChatRequest, type ChatResponse, type LlmProvider } from '../types';
import { abortReason, throwIfAborted } from './pool';
import { commonPrefixLength, reuseRank, TILED_ROWS, tokensToKeep } from './prefix';
import { grammarFor, loadModel, messageOf } from './runtime';

/** Everything the runtime needs, defaults already applied (see index.ts). */
export interface LocalSettings {
  /** Path to a .gguf file. */
  modelPath: string;
  /** Tokens per sequence (prompt + answer). */
  contextSize: number;
  /** Used when a request names none; 0 is greedy. */
  temperature: number;
  /** Used when a request names none. */
  maxTokens: number;
  /** CPU threads for this model. Default: one per core, at most 4. */
  threads?: number;
  /** Default sampling seed; a request's own seed wins. With neither, a random one. */
  seed?: number;
  /**
   * Reuse the prompt prefix a sequence already holds (default true). Answers
   * are the same either way (prefix.ts); false reads every prompt whole, for
   * comparisons.
   */
  reusePrefix?: boolean;
}

/** What the embedded model has read since the process started, over all its providers. */
export interface LocalModelStats {
  /** Calls that reached the model (past the context-size check). */
  calls: number;
  /** Prompt tokens of those calls. */
  promptTokens: number;
  /** Prompt tokens a sequence already held and did not evaluate again. */
  promptTokensReused: number;
  /** Prompt tokens evaluated, as the sequence's token meter counted them. */
  promptTokensEvaluated: number;
  /** Generated tokens. */
  outputTokens: number;
}

const stats: LocalModelStats = { calls: 0, promptTokens: 0, promptTokensReused: 0, promptTokensEvaluated: 0, outputTokens: 0 };

export function localModelStats(): LocalModelStats {
  return { ...stats };
}

export function createLocalProvider(config: LocalSettings): LlmProvider {
  const modelPath = resolve(config.modelPath);
  const file = basename(modelPath);
  const reusePrefix = config.reusePrefix ?? true;

  return {
    id: `local:${file}`,
    async chat(request: ChatRequest, signal?: AbortSignal): Promise<ChatResponse> {
      throwIfAborted(signal);
      const started = Date.now();
      const loaded = await loadModel(modelPath, config);
      const grammar = await grammarFor(loaded.runtime, request);
      const history = toHistory(request.messages);
      const maxTokens = request.maxTokens ?? config.maxTokens;
      // The prompt as LlamaChat will evaluate it (checked after the call).
      const tokens: Token[] = loaded.chatWrapper.generateContextState({ chatHistory: history }).contextText.tokenize(loaded.model.tokenizer);
      const tokensIn = tokens.length;
      // Past the context, LlamaChat silently drops old messages; a clear error is better.
      if (tokensIn + maxTokens > loaded.context.contextSize) {
        throw new LlmError(
          'bad_request',
          `local model ${file}: the prompt is ${tokensIn} tokens and maxTokens ${maxTokens}, ` +
            `more than the context of ${loaded.context.contextSize}; shorten the prompt, lower maxTokens or raise contextSize`,
        );
      }

      // The idle sequence that holds the longest reusable prefix of this prompt (else the one idle
      // the longest): a conversation keeps "its" sequence.
      const pooled = await loaded.pool.acquire(signal, reusePrefix ? (s) => reuseRank(s.kept, tokens) : undefined);
      const { sequence } = pooled;
      try {
        const keep = reusePrefix ? Math.min(tokensToKeep(pooled.kept, tokens), commonPrefixLength(sequence.contextTokens, tokens)) : 0;
        // Until this call's prompt is in, nothing of the sequence is to be reused.
        pooled.kept = [];
        // Erase what this prompt does not share (the rest of an older prompt, any generated
        // tokens), so the whole context is free and LlamaChat reads exactly tokens[keep..].
        if (keep === 0) await sequence.clearHistory();
        else await sequence.eraseContextTokenRanges([{ start: keep, end: sequence.nextTokenIndex }]);
        const chat = new loaded.runtime.lib.LlamaChat({
          contextSequence: sequence,
          chatWrapper: loaded.chatWrapper,
          autoDisposeSequence: false,
        });
        try {
          const before = sequence.tokenMeter.getState();
          const result = await chat.generateResponse(history, {
            grammar,
            maxTokens,
            temperature: request.temperature ?? config.temperature,
            // Without one, node-llama-cpp seeds with the current second: calls in the same second would draw alike.
            seed: request.seed ?? config.seed ?? randomInt(2 ** 32),
            signal,
            stopOnAbortSignal: false,
          });
          const used = sequence.tokenMeter.diff(before);
          // The prompt's tokens but the last count as input, the last and each generated one as output.
          const evaluated = used.usedInputTokens + 1;
          const tokensOut = used.usedOutputTokens;
          // Kept for the next call only if LlamaChat read exactly these tokens, in one evaluation.
          const intact = commonPrefixLength(sequence.contextTokens, tokens) === tokensIn && evaluated === tokensIn - keep;
          pooled.kept = intact && tokensIn >= TILED_ROWS ? tokens : [];
          stats.calls++;
          stats.promptTokens += tokensIn;
          stats.promptTokensReused += keep;
          stats.promptTokensEvaluated += evaluated;
          stats.outputTokens += tokensOut;

          const { text, reasoning } = stripReasoning(result.response);
          const response: ChatResponse = { text, model: file, tokensIn, tokensOut, latencyMs: Date.now() - started };
          if (reasoning !== undefined) response.reasoning = reasoning;
          if (request.jsonSchema) {
            // Undefined when generation stopped at maxTokens mid-JSON.
            const json = extractJson(text);
            if (json !== undefined) response.json = json;
          }
          return response;
        } finally {
          chat.dispose();
        }
      } catch (err) {
        throw classify(err, file, signal);
      } finally {
        loaded.pool.release(pooled);
      }
    },
  };
}

/** The request's messages as node-llama-cpp history, ending with the empty answer to generate. */
function toHistory(messages: ChatMessage[]): ChatHistoryItem[] {
  // All system messages become one system prompt at the start, where chat templates expect it.
  const system = messages.filter((m) => m.role === 'system').map((m) => m.content);
  const history: ChatHistoryItem[] = system.length > 0 ? [{ type: 'system', text: system.join('\n\n') }] : [];
  for (const message of messages) {
    if (message.role === 'user') history.push({ type: 'user', text: message.content });
    else if (message.role === 'assistant') history.push({ type: 'model', response: [message.content] });
  }
  history.push({ type: 'model', response: [] });
  return history;
}

function classify(err: unknown, file: string, signal?: AbortSignal): unknown {
  if (signal?.aborted) return abortReason(signal);
  if (err instanceof LlmError) return err;
  return new LlmError('server', `local model ${file}: ${messageOf(err)}`);
}
