/**
 * Provider for any OpenAI-compatible chat completions endpoint: OpenAI itself,
 * vLLM, Ollama, llama.cpp's server, LM Studio.
 */
import OpenAI, { APIConnectionError, APIConnectionTimeoutError, APIError, APIUserAbortError, OpenAIError } from 'openai';
import type {
  ChatCompletion,
  ChatCompletionCreateParamsNonStreaming,
  ChatCompletionMessageParam,
} from 'openai/resources/chat/completions';
import { z } from 'zod';
import { redactUrl, redactUrlsIn, urlCredentials } from '../lib/url-secrets';
import { extractJson, stripReasoning } from './json';
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
     * How `jsonSchema` requests are enforced. 'auto' sends a json_schema
     * response format and falls back to a schema in the prompt when the endpoint
     * rejects it; 'json_schema' never falls back; 'json_object' asks for any JSON
     * and puts the schema in the prompt; 'none' only puts the schema in the prompt.
     */
    structuredOutput: z.enum(['auto', 'json_schema', 'json_object', 'none']).default('auto'),
  })
  .strict();

export type OpenAiOptions = z.output<typeof openAiOptions>;
export type OpenAiProviderConfig = z.input<typeof openAiOptions> & { temperature?: number; maxTokens?: number };

/** Local servers (vLLM, Ollama, llama.cpp) accept any key, but the client insists on one. */
const PLACEHOLDER_KEY = 'not-needed';

/** How one request asks for JSON. */
type Wire = 'json_schema' | 'json_object' | 'prompt' | 'plain';

/** Any OpenAI-compatible endpoint, as a plug-in of the provider registry. */
export const openAiPlugin: LlmProviderPlugin<OpenAiOptions> = {
  name: 'openai',
  description: 'any OpenAI-compatible endpoint: OpenAI, vLLM, Ollama (/v1), llama.cpp server, LM Studio',
  options: openAiOptions,
  defaults: { maxTokens: 4096 },
  // Hosted models have large contexts; structured output is asked for, not guaranteed.
  describe: (o) => ({ model: o.model, capabilities: { grammar: false } }),
  reaches: (o) => ({ endpoints: [o.baseUrl], keyEnvs: [o.apiKeyEnv] }),
  create: (llm, env) => openAiProvider({ ...llm.options, temperature: llm.temperature, maxTokens: llm.maxTokens }, env),
};

export function openAiProvider(input: OpenAiProviderConfig, env: NodeJS.ProcessEnv = process.env): LlmProvider {
  const { temperature, maxTokens, ...options } = input;
  const config = { ...openAiOptions.parse(options), temperature, maxTokens };
  const keyEnv = config.apiKeyEnv;
  const secret = env[keyEnv] || undefined;
  const timeoutMs = config.timeoutMs;
  const mode = config.structuredOutput;
  const client = new OpenAI({
    baseURL: config.baseUrl,
    apiKey: secret ?? PLACEHOLDER_KEY,
    timeout: timeoutMs,
    // Temporal's retry policy owns retries; client retries would hide failures and stretch timeouts.
    maxRetries: 0,
    fetch: normalizingFetch,
  });
  // Learned once per instance so later calls skip the doomed structured request.
  let schemaRejected = false;

  const errorContext: ErrorContext = {
    // The options refuse credentials in the URL; redacted all the same, since messages reach logs and history.
    baseUrl: redactUrl(config.baseUrl),
    model: config.model,
    keyEnv,
    keySet: secret !== undefined,
    timeoutMs,
    secret,
  };

  async function send(request: ChatRequest, wire: Wire, signal?: AbortSignal): Promise<ChatCompletion> {
    const schema = request.jsonSchema;
    const body: ChatCompletionCreateParamsNonStreaming = {
      model: config.model,
      messages: wire === 'prompt' || wire === 'json_object' ? withSchemaPrompt(request.messages, schema) : request.messages,
      temperature: request.temperature ?? config.temperature,
      max_tokens: request.maxTokens ?? config.maxTokens,
      seed: request.seed,
    };
    if (wire === 'json_schema' && schema) {
      body.response_format = {
        type: 'json_schema',
        // strict: false because strict mode only accepts a subset of JSON Schema (no optional fields, ...).
        json_schema: { name: schema.name, schema: schema.schema, strict: false },
      };
    } else if (wire === 'json_object') {
      body.response_format = { type: 'json_object' };
    }
    return client.chat.completions.create(body, { signal });
  }

  return {
    id: `openai:${config.model}@${redactUrl(config.baseUrl)}`,
    async chat(request: ChatRequest, signal?: AbortSignal): Promise<ChatResponse> {
      const started = performance.now();
      const wire = chooseWire(request, mode, schemaRejected);
      try {
        let completion: ChatCompletion;
        try {
          completion = await send(request, wire, signal);
        } catch (err) {
          if (wire !== 'json_schema' || mode !== 'auto' || !isSchemaUnsupported(err)) throw err;
          schemaRejected = true;
          completion = await send(request, 'prompt', signal);
        }
        return toResponse(completion, request, config.model, performance.now() - started, errorContext.baseUrl, secret);
      } catch (err) {
        throw toLlmError(err, errorContext);
      }
    },
  };
}

function chooseWire(request: ChatRequest, mode: OpenAiOptions['structuredOutput'], schemaRejected: boolean): Wire {
  if (!request.jsonSchema) return 'plain';
  switch (mode) {
    case 'json_schema':
      return 'json_schema';
    case 'json_object':
      return 'json_object';
    case 'none':
      return 'prompt';
    default:
      return schemaRejected ? 'prompt' : 'json_schema';
  }
}

/**
 * Puts the schema into the leading system message rather than adding a second
 * one: several chat templates (Gemma, older Mistral) reject a system message
 * anywhere but first.
 */
function withSchemaPrompt(messages: ChatMessage[], schema: ChatRequest['jsonSchema']): ChatCompletionMessageParam[] {
  if (!schema) return messages;
  const instruction =
    `Answer with only a JSON value that conforms to the JSON Schema "${schema.name}" below; ` +
    `no prose before or after it.\n${JSON.stringify(schema.schema)}`;
  const [first, ...rest] = messages;
  if (first?.role === 'system') return [{ role: 'system', content: `${first.content}\n\n${instruction}` }, ...rest];
  return [{ role: 'system', content: instruction }, ...messages];
}

function isSchemaUnsupported(err: unknown): boolean {
  return (
    err instanceof APIError &&
    (err.status === 400 || err.status === 422) &&
    /response_format|json_schema|json schema|structured output|guided|grammar/i.test(err.message)
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
    if (status >= 500) return new LlmError('server', `${ctx.baseUrl} failed (${detail})`, status);
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
