import { basename, resolve } from 'node:path';
import type { ChatHistoryItem } from 'node-llama-cpp';
import { extractJson, stripReasoning } from '../json';
import { LlmError, type ChatMessage, type ChatRequest, type ChatResponse, type LlmProvider } from '../types';
import { abortReason, throwIfAborted } from './pool';
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
  /** CPU threads for this model. Default: cores - 1, between 1 and 4. */
  threads?: number;
  /** Default sampling seed; a request's own seed wins. */
  seed?: number;
}

export function createLocalProvider(config: LocalSettings): LlmProvider {
  const modelPath = resolve(config.modelPath);
  const file = basename(modelPath);

  return {
    id: `local:${file}`,
    async chat(request: ChatRequest, signal?: AbortSignal): Promise<ChatResponse> {
      throwIfAborted(signal);
      const started = Date.now();
      const loaded = await loadModel(modelPath, config);
      const grammar = request.jsonSchema ? await grammarFor(loaded.runtime, request.jsonSchema) : undefined;
      const history = toHistory(request.messages);
      const maxTokens = request.maxTokens ?? config.maxTokens;

      const sequence = await loaded.pool.acquire(signal);
      try {
        // Stateless calls: the previous call's tokens must not shape this answer.
        // (Keeping them would let LlamaChat reuse a shared prompt prefix, but then the
        // output depends on what ran before, and a seed no longer reproduces it.)
        await sequence.clearHistory();
        const chat = new loaded.runtime.lib.LlamaChat({
          contextSequence: sequence,
          chatWrapper: loaded.chatWrapper,
          autoDisposeSequence: false,
        });
        try {
          const tokensIn = chat.chatWrapper
            .generateContextState({ chatHistory: history })
            .contextText.tokenize(loaded.model.tokenizer).length;
          // Past the context, LlamaChat silently drops old messages; a clear error is better.
          if (tokensIn + maxTokens > sequence.contextSize) {
            throw new LlmError(
              'bad_request',
              `local model ${file}: the prompt is ${tokensIn} tokens and maxTokens ${maxTokens}, ` +
                `more than the context of ${sequence.contextSize}; shorten the prompt, lower maxTokens or raise contextSize`,
            );
          }
          const before = sequence.tokenMeter.getState();
          const result = await chat.generateResponse(history, {
            grammar,
            maxTokens,
            temperature: request.temperature ?? config.temperature,
            seed: request.seed ?? config.seed,
            signal,
            stopOnAbortSignal: false,
          });
          const tokensOut = sequence.tokenMeter.diff(before).usedOutputTokens;
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
        loaded.pool.release(sequence);
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

