/**
 * The boundary between the search and a language model. One module per
 * provider implements `LlmProvider`; the Navigator and Generator activities
 * only see this interface, and the search core only the resolved settings and
 * declared capabilities below (it never asks which provider it talks to).
 * Types and error classes only: the workflow sandbox imports this file. How
 * a failed call is reported (retryable or not, failure types, messages) is
 * ./failure.ts's, which this file and the activity and workflow read.
 */
import { isRetryableLlmFailure, type LlmErrorKind } from './failure';

export type { LlmErrorKind } from './failure';

export interface ChatMessage {
  role: 'system' | 'user' | 'assistant';
  content: string;
}

export interface ChatRequest {
  messages: ChatMessage[];
  /**
   * When set, the answer must be JSON matching this JSON Schema. Providers
   * enforce it as well as they can: structured output on endpoints that
   * support it, a grammar on the embedded model, plain JSON extraction otherwise.
   */
  jsonSchema?: { name: string; schema: Record<string, unknown> };
  /**
   * When set (and no jsonSchema), a markdown answer with these headings, in
   * order. Only a grammar-bound provider enforces it (capabilities.grammar);
   * others ignore it, and the caller checks the answer as it would anyway.
   */
  sections?: { headings: string[]; maxCharsPerSection: number };
  temperature?: number;
  maxTokens?: number;
  /** Sampling seed, where the provider supports one. */
  seed?: number;
}

export interface ChatResponse {
  /** The answer with any reasoning ("thinking") text removed. */
  text: string;
  /** Reasoning text the model produced, if any (kept for the search log). */
  reasoning?: string;
  /** Parsed JSON when `jsonSchema` was requested and the text parsed; the caller still validates it. */
  json?: unknown;
  model: string;
  tokensIn: number;
  tokensOut: number;
  latencyMs: number;
}

/** A provider failure, classified so the activity can tell Temporal whether to retry. */
export class LlmError extends Error {
  constructor(
    readonly kind: LlmErrorKind,
    message: string,
    readonly status?: number,
  ) {
    super(message);
    this.name = 'LlmError';
  }

  get retryable(): boolean {
    return isRetryableLlmFailure(this.kind);
  }
}

/**
 * An LLM call that failed for good after its retries, for a reason that may
 * pass (timeouts, 429 storms, 5xx, an endpoint gone for a while). Ports throw
 * it so that a strategy may go on without that answer; an error no waiting
 * fixes (a rejected key, an unknown model) is thrown as it is and ends the search.
 */
export class LlmUnavailable extends Error {
  constructor(
    message: string,
    /** 'transient': retries spent on a failure that may pass; 'refused': the server refused the request itself. */
    readonly kind: 'transient' | 'refused' = 'transient',
  ) {
    super(message);
    this.name = 'LlmUnavailable';
  }
}

export interface LlmProvider {
  /** e.g. "openai:gpt-4o-mini@https://api.openai.com/v1" or "local:SmolLM2-135M-Instruct.Q4_1.gguf". */
  readonly id: string;
  chat(request: ChatRequest, signal?: AbortSignal): Promise<ChatResponse>;
}

/** What a provider declares about a model, so the core can size prompts without knowing the provider. */
export interface LlmCapabilities {
  /** Tokens of context (prompt + answer); undefined when large or unknown (hosted endpoints). */
  contextTokens?: number;
  /** Answers are constrained by a grammar built from the JSON Schema: always complete, never longer than the schema allows. */
  grammar: boolean;
}

/** One LLM as a resolved search config holds it: defaults applied, capabilities declared. */
export interface ResolvedLlm {
  provider: string;
  /** What the provider runs, for people: a model name or file. */
  model: string;
  temperature: number;
  maxTokens: number;
  /** The provider's own options (endpoint, key variable name, model file...); never a secret. */
  options: Record<string, unknown>;
  capabilities: LlmCapabilities;
}

/** One LLM call as a strategy makes it and the `llmChat` activity carries it. */
export interface LlmCall {
  /** Why: "navigator", "generator", "summary"... shown in the search log. */
  purpose: string;
  llm: ResolvedLlm;
  request: ChatRequest;
}

/**
 * How a strategy reaches an LLM: inside the workflow the `llmChat` activity,
 * in plain Node (benchmarks, tests) any function, e.g. a scripted one.
 */
export type LlmPort = (call: LlmCall) => Promise<ChatResponse>;
