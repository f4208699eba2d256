/**
 * Provider for any OpenAI-compatible chat completions endpoint: OpenAI itself,
 * vLLM, Ollama, llama.cpp's server, LM Studio.
 */
import OpenAI, { APIConnectionError, APIConnectionTimeoutError, APIError, APIUserAbortError, OpenAIError } from 'openai';
import type { ChatCompletion, ChatCompletionCreateParamsNonStreaming } from 'openai/resources/chat/completions';
import { z } from 'zod';
import { redactUrl, redactUrlsIn, urlCredentials } from '../lib/url-secrets';
import { extractJson, stripReasoning } from './json';
import { answerBound, MIN_ANSWER_TOKENS, promptTokens, trimmedHistory } from './openai/budget';
import { endpointFacts, learn, probeEndpoint, type EndpointFacts, type StructuredMode } from './openai/endpoint';
import { contextInMessage, refusalOf } from './openai/refusals';
import { fallbackAfter, structuredFields } from './openai/structured';
import type { LlmProviderPlugin } from './plugin';
import { LlmError, type ChatMessage, type ChatRequest, type ChatResponse, type LlmProvider } from './types';

/** The provider's fields of an `llm` config. The API key is never one: `apiKeyEnv` names the worker's variable. */
export const openAiOptions = z
  .object({
    /** e.g. "https://api.openai.com/v1" or "http://localhost:8000/v1" (vLLM). */
    baseUrl: z
      .url({ protocol: /^https?$/, error: 'must be the endpoint URL, e.g. "http://127.0.0.1:8000/v1"' })
      .refine((url) => urlCredentials(url) === undefined, {
        error: (i) =>
          `must not carry credentials (${urlCredentials(String(i.input))}): the URL is stored in the workflow history; ` +
          'put the key in an environment variable of the worker that calls the LLM and name it in apiKeyEnv',
      }),
    model: z.string({ error: 'must name the model, e.g. "Qwen/Qwen3-30B-A3B"' }).min(1),
    /** Per request; the activity's startToCloseTimeout must be longer. */
    timeoutMs: z.number().int().positive().default(300_000),
    /** Name of the environment variable holding the API key, on the worker that calls the LLM. */
    apiKeyEnv: z
      .string()
      .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'must be the NAME of an environment variable, e.g. "OPENAI_API_KEY"')
      .default('OPENAI_API_KEY'),
    /**
     * How `jsonSchema` requests are enforced. 'json_schema': the standard
     * response_format; 'json_object': response_format json_object with the
     * schema beside it (llama-cpp-python constrains by it) and in the prompt;
     * 'grammar': the compact GBNF grammar in a `grammar` field (llama.cpp's
     * servers), answers without whitespace and of bounded length; 'prompt'
     * (or 'none'): the schema in the prompt only. 'auto' probes the endpoint
     * once per worker (llama.cpp's /props: grammar; else json_schema) and
     * steps down json_schema, json_object, prompt when the server refuses a
     * mode, whatever the status of its refusal; it remembers what it learned.
     */
    structuredOutput: z.enum(['auto', 'json_schema', 'json_object', 'grammar', 'prompt', 'none']).default('auto'),
    /**
     * Tokens of context the served model has (prompt + answer). Unset, the
     * worker asks the server (llama.cpp's /props, /models' max_model_len or
     * n_ctx_train); either way no request asks for more answer than the
     * context leaves after its prompt.
     */
    contextTokens: z.number().int().min(256).optional(),
    /**
     * Tokens a reasoning model (Qwen3, DeepSeek-R1, gpt-oss) may spend
     * thinking before its answer, added to every request's max_tokens: the
     * Generator's answer is bounded by what its schema can need, which leaves
     * no room for thought. 0 for models that answer at once.
     */
    reasoningTokens: z.number().int().min(0).max(65_536).default(0),
  })
  .strict();

export type OpenAiOptions = z.output<typeof openAiOptions>;
export type OpenAiProviderConfig = z.input<typeof openAiOptions> & { temperature?: number; maxTokens?: number };

/** Local servers (vLLM, Ollama, llama.cpp) accept any key, but the client insists on one. */
const PLACEHOLDER_KEY = 'not-needed';


/** Any OpenAI-compatible endpoint, as a plug-in of the provider registry. */
export const openAiPlugin: LlmProviderPlugin<OpenAiOptions> = {
  name: 'openai',
  description: 'any OpenAI-compatible endpoint: OpenAI, vLLM, Ollama (/v1), llama.cpp server, LM Studio',
  options: openAiOptions,
  defaults: { maxTokens: 4096 },
  // Hosted models have large contexts; structured output is asked for, not guaranteed.
  describe: (o) => ({ model: o.model, capabilities: { grammar: false, ...(o.contextTokens ? { contextTokens: o.contextTokens } : {}) } }),
  reaches: (o) => ({ endpoints: [o.baseUrl], keyEnvs: [o.apiKeyEnv] }),
  create: (llm, env) => openAiProvider({ ...llm.options, temperature: llm.temperature, maxTokens: llm.maxTokens }, env),
};

export function openAiProvider(input: OpenAiProviderConfig, env: NodeJS.ProcessEnv = process.env): LlmProvider {
  const { temperature, maxTokens, ...options } = input;
  const config = { ...openAiOptions.parse(options), temperature, maxTokens };
  const keyEnv = config.apiKeyEnv;
  const secret = env[keyEnv] || undefined;
  const timeoutMs = config.timeoutMs;
  const configured = config.structuredOutput === 'none' ? 'prompt' : config.structuredOutput;
  const client = new OpenAI({
    baseURL: config.baseUrl,
    apiKey: secret ?? PLACEHOLDER_KEY,
    timeout: timeoutMs,
    // Temporal's retry policy owns retries; client retries would hide failures and stretch timeouts.
    maxRetries: 0,
    fetch: normalizingFetch,
  });

  const errorContext: ErrorContext = {
    // The options refuse credentials in the URL; redacted all the same, since messages reach logs and history.
    baseUrl: redactUrl(config.baseUrl),
    model: config.model,
    keyEnv,
    keySet: secret !== undefined,
    timeoutMs,
    secret,
  };

  /** What this worker knows of the endpoint: the probe runs when `auto` needs a mode or the context is not configured. */
  async function facts(): Promise<EndpointFacts> {
    const needsProbe = configured === 'auto' || config.contextTokens === undefined;
    const known = needsProbe
      ? await probeEndpoint(config.baseUrl, config.model, secret ? { authorization: `Bearer ${secret}` } : {}, timeoutMs)
      : (endpointFacts(config.baseUrl, config.model) ?? {});
    // A context the server stated in a refusal (learned) wins where it is smaller than the configured one.
    const contextTokens = Math.min(config.contextTokens ?? Infinity, known.contextTokens ?? Infinity);
    return { ...known, ...(Number.isFinite(contextTokens) ? { contextTokens } : {}) };
  }

  async function attempt(request: ChatRequest, signal?: AbortSignal): Promise<ChatCompletion> {
    const known = await facts();
    let mode: StructuredMode | 'plain' = !request.jsonSchema ? 'plain' : configured === 'auto' ? (known.mode ?? 'json_schema') : configured;
    let messages = request.messages;
    let contextTokens = known.contextTokens;
    // Each pass sends a different request (another mode, a smaller answer, a shorter history): never the same one again.
    for (;;) {
      const fields = structuredFields(messages, request.jsonSchema, mode);
      const wanted = (request.maxTokens ?? config.maxTokens ?? 4096) + config.reasoningTokens;
      const bound = answerBound(wanted, fields.messages as ChatMessage[], contextTokens);
      if (bound < MIN_ANSWER_TOKENS) {
        const shorter = trimmedHistory(messages);
        if (!shorter) throw overflow(errorContext, `the prompt is about ${promptTokens(fields.messages as ChatMessage[])} tokens`, contextTokens);
        messages = shorter;
        continue;
      }
      const body = {
        model: config.model,
        ...fields,
        temperature: request.temperature ?? config.temperature,
        max_tokens: bound,
        seed: request.seed,
      } as ChatCompletionCreateParamsNonStreaming;
      try {
        return await client.chat.completions.create(body, { signal });
      } catch (err) {
        const refusal = err instanceof APIError && !(err instanceof APIConnectionError) ? refusalOf(err.status, err.message) : undefined;
        if (refusal === 'structured_output' && configured === 'auto' && mode !== 'plain') {
          const next = fallbackAfter(mode);
          if (next) {
            learn(config.baseUrl, config.model, { mode: next });
            mode = next;
            continue;
          }
        }
        if (refusal === 'context_overflow') {
          const stated = contextInMessage((err as Error).message);
          if (stated !== undefined && stated !== contextTokens) {
            // The server said its context: the answer's room is sized from it, where that makes it smaller.
            learn(config.baseUrl, config.model, { contextTokens: stated });
            contextTokens = stated;
            if (answerBound(wanted, fields.messages as ChatMessage[], contextTokens) < bound) continue;
          }
          const shorter = trimmedHistory(messages);
          if (shorter) {
            messages = shorter;
            continue;
          }
          throw overflow(errorContext, redact((err as Error).message, secret), contextTokens);
        }
        throw err;
      }
    }
  }

  return {
    id: `openai:${config.model}@${redactUrl(config.baseUrl)}`,
    async chat(request: ChatRequest, signal?: AbortSignal): Promise<ChatResponse> {
      const started = performance.now();
      try {
        const completion = await attempt(request, signal);
        return toResponse(completion, request, config.model, performance.now() - started, errorContext.baseUrl, secret);
      } catch (err) {
        throw toLlmError(err, errorContext);
      }
    },
  };
}

/** A prompt that leaves no room for an answer, even with its history trimmed: the same request can only fail again. */
function overflow(ctx: ErrorContext, detail: string, contextTokens: number | undefined): LlmError {
  const context = contextTokens !== undefined ? `the model's context of ${contextTokens} tokens` : "the model's context";
  return new LlmError(
    'context_overflow',
    `${ctx.baseUrl}: the request does not fit ${context} (${detail}); shorten the prompts (visitedInPrompt, contextBudgetChars) or serve the model with a larger context`,
  );
}

function toResponse(
  completion: ChatCompletion,
  request: ChatRequest,
  model: string,
  latencyMs: number,
  baseUrl: string,
  secret: string | undefined,
): ChatResponse {
  const message = Array.isArray(completion?.choices) ? completion.choices[0]?.message : undefined;
  if (!message) throw new LlmError('server', `${baseUrl} answered without a choice (not an OpenAI-compatible response?)`);
  // vLLM and DeepSeek return reasoning beside the content; the field is not in the OpenAI types.
  const extra = message as unknown as Record<string, unknown>;
  // An endpoint that echoes the request (a debugging proxy) must not put the key into the history.
  const fieldReasoning = [extra['reasoning_content'], extra['reasoning']].find(
    (r): r is string => typeof r === 'string' && r.trim() !== '',
  );
  const stripped = stripReasoning(withoutSecret(message.content ?? '', secret));
  const reasoning = [fieldReasoning && withoutSecret(fieldReasoning, secret).trim(), stripped.reasoning].filter((r) => r !== undefined).join('\n\n');
  const response: ChatResponse = {
    text: stripped.text,
    model: withoutSecret(completion.model || model, secret),
    tokensIn: completion.usage?.prompt_tokens ?? 0,
    tokensOut: completion.usage?.completion_tokens ?? 0,
    latencyMs: Math.round(latencyMs),
  };
  if (reasoning) response.reasoning = reasoning;
  if (request.jsonSchema) {
    const json = extractJson(stripped.text);
    if (json !== undefined) response.json = json;
  }
  return response;
}

interface ErrorContext {
  baseUrl: string;
  model: string;
  keyEnv: string;
  keySet: boolean;
  timeoutMs: number;
  secret: string | undefined;
}

function toLlmError(err: unknown, ctx: ErrorContext): unknown {
  if (err instanceof LlmError) return err;
  // Order matters: the timeout and abort errors are subclasses of APIError too.
  if (err instanceof APIUserAbortError) return new LlmError('timeout', `request to ${ctx.baseUrl} was aborted`);
  if (err instanceof APIConnectionTimeoutError) {
    return new LlmError('timeout', `no answer from ${ctx.baseUrl} within ${ctx.timeoutMs} ms (timeoutMs)`);
  }
  if (err instanceof APIConnectionError) {
    return new LlmError('server', redact(`cannot reach ${ctx.baseUrl}: ${causeText(err)}`, ctx.secret));
  }
  if (err instanceof APIError && err.status !== undefined) {
    const status = err.status;
    const detail = redact(err.message, ctx.secret);
    if (status === 401 || status === 403) {
      const hint = ctx.keySet ? `check the value of ${ctx.keyEnv}` : `set ${ctx.keyEnv}`;
      return new LlmError(
        'auth',
        `${ctx.baseUrl} refused the API key (${detail}); ${hint} in the environment of the worker that calls the LLM`,
        status,
      );
    }
    if (status === 404) {
      return new LlmError(
        'not_found',
        `model '${ctx.model}' not found at ${ctx.baseUrl} (${detail}); check the model name (GET ${ctx.baseUrl}/models lists ` +
          `what the server serves) and that the base URL ends with the API prefix, usually /v1`,
        status,
      );
    }
    if (status === 429) return new LlmError('rate_limit', `${ctx.baseUrl} is rate limiting (${detail})`, status);
    if (status === 408) return new LlmError('timeout', `${ctx.baseUrl} timed out the request (${detail})`, status);
    // By meaning, not status alone: a refusal of the request itself fails again however often it is sent.
    // (A context overflow never gets here: attempt() resizes or trims the request, else throws overflow().)
    const refusal = refusalOf(status, err.message);
    if (status >= 500 && refusal === undefined) return new LlmError('server', `${ctx.baseUrl} failed (${detail})`, status);
    return new LlmError('bad_request', `${ctx.baseUrl} rejected the request for model '${ctx.model}' (${detail})`, status);
  }
  if (err instanceof OpenAIError) return new LlmError('config', redact(err.message, ctx.secret));
  // Anything else is a bug on our side; let it surface unchanged.
  return err;
}

/** undici reports "fetch failed" and hides the useful part (ECONNREFUSED, ENOTFOUND) in nested causes. */
function causeText(err: Error): string {
  const parts: string[] = [];
  for (let e: unknown = err.cause; e instanceof Error && parts.length < 4; e = e.cause) parts.push(e.message);
  return parts.join(': ') || err.message;
}

/**
 * Error messages end up in logs and workflow history, so no key may reach them:
 * servers may echo request headers, and OpenAI quotes a masked key on 401.
 */
function redact(text: string, secret: string | undefined): string {
  const masked = redactUrlsIn(withoutSecret(text, secret));
  return masked.replace(/Bearer\s+\S+/gi, 'Bearer [redacted]').replace(/\b(sk|pk|rk)-[\w*.-]{4,}/g, '[redacted]');
}

function withoutSecret(text: string, secret: string | undefined): string {
  return secret ? text.split(secret).join('[redacted]') : text;
}

/**
 * vLLM (older versions) and FastAPI-based servers put the error message at the
 * top level or under `detail`; the client only reads `error`, and would report
 * "status code (no body)". Rewrap so the message survives.
 */
async function normalizingFetch(input: string | URL | Request, init?: RequestInit): Promise<Response> {
  const response = await fetch(input, init);
  if (response.status < 400) return response;
  const text = await response.text();
  const headers = new Headers(response.headers);
  headers.delete('content-length');
  headers.delete('content-encoding');
  return new Response(normalizeErrorBody(text), { status: response.status, statusText: response.statusText, headers });
}

function normalizeErrorBody(text: string): string {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return text;
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return text;
  const record = body as Record<string, unknown>;
  if (typeof record['error'] === 'string') return JSON.stringify({ error: { message: record['error'] } });
  if (record['error'] !== undefined) return text;
  const message = record['message'] ?? record['detail'];
  if (message === undefined) return text;
  return JSON.stringify({ error: { message: typeof message === 'string' ? message : JSON.stringify(message) } });
}
