/**
 * The OpenAI-compatible provider against a scripted local HTTP server, so the
 * requests go through the real `openai` client. Run with
 *   node --import tsx --test test/llm-openai.test.ts
 */
import { after, before, beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { extractJson, stripReasoning } from '../src/llm/json';
import { openAiProvider, type OpenAiProviderConfig } from '../src/llm/openai';
import { forgetEndpoints } from '../src/llm/openai/endpoint';
import { LlmError, type ChatRequest } from '../src/llm/types';

interface Received {
  path: string;
  authorization: string | undefined;
  body: Record<string, unknown>;
}
type Handler = (res: http.ServerResponse) => void;

let server: http.Server;
let baseUrl = '';
let script: Handler[] = [];
let received: Received[] = [];
let routes: Record<string, Handler> = {};
let probed: string[] = [];
const timers = new Set<NodeJS.Timeout>();

before(async () => {
  server = http.createServer((req, res) => {
    let raw = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => (raw += chunk));
    req.on('end', () => {
      if (req.method === 'GET') {
        // The provider's probes (/props, /v1/models): answered by the test's routes, else as a server without them.
        probed.push(req.url ?? '');
        (routes[req.url ?? ''] ?? json(404, { error: { message: 'not found' } }))(res);
        return;
      }
      received.push({
        path: req.url ?? '',
        authorization: req.headers.authorization,
        body: raw ? (JSON.parse(raw) as Record<string, unknown>) : {},
      });
      const handler = req.method === 'POST' && req.url === '/v1/chat/completions' ? script.shift() : undefined;
      if (handler) handler(res);
      else json(500, { error: { message: `unscripted request ${req.method} ${req.url}` } })(res);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
});

after(async () => {
  for (const t of timers) clearTimeout(t);
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

beforeEach(() => {
  script = [];
  received = [];
  routes = {};
  probed = [];
  // What a worker learned about an endpoint outlives a provider; each test starts as a fresh worker.
  forgetEndpoints();
});

function json(status: number, body: unknown): Handler {
  return (res) => {
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body));
  };
}

function delayed(ms: number, handler: Handler): Handler {
  return (res) => {
    const t = setTimeout(() => {
      timers.delete(t);
      if (!res.destroyed) handler(res);
    }, ms);
    timers.add(t);
  };
}

function completion(content: string | null, extra: Record<string, unknown> = {}, model = 'served-model') {
  return json(200, {
    id: 'chatcmpl-1',
    object: 'chat.completion',
    created: 0,
    model,
    choices: [{ index: 0, finish_reason: 'stop', message: { role: 'assistant', content, ...extra } }],
    usage: { prompt_tokens: 12, completion_tokens: 7, total_tokens: 19 },
  });
}

const SCHEMA = {
  name: 'proposal',
  schema: { type: 'object', properties: { cell: { type: 'integer' } }, required: ['cell'] },
};

function ask(jsonSchema?: ChatRequest['jsonSchema']): ChatRequest {
  return {
    messages: [
      { role: 'system', content: 'You propose architectures.' },
      { role: 'user', content: 'Propose one.' },
    ],
    jsonSchema,
  };
}

function provider(config: Partial<OpenAiProviderConfig> = {}, env: NodeJS.ProcessEnv = {}) {
  return openAiProvider({ baseUrl, model: 'test-model', timeoutMs: 300, ...config }, env);
}

/** Asserts the promise rejects with an LlmError and hands it back for more checks. */
async function llmError(promise: Promise<unknown>): Promise<LlmError> {
  try {
    await promise;
  } catch (err) {
    assert.ok(err instanceof LlmError, `expected LlmError, got ${String(err)}`);
    return err;
  }
  assert.fail('expected the call to fail');
}

function systemPrompt(r: Received | undefined): string {
  const messages = r?.body['messages'] as { role: string; content: string }[];
  return messages.filter((m) => m.role === 'system').map((m) => m.content).join('\n');
}

describe('openAiProvider', () => {
  test('structured answer: sends json_schema response_format and parses the JSON', async () => {
    script = [completion('{"cell": 3}')];
    const p = provider();
    const res = await p.chat({ ...ask(SCHEMA), temperature: 0.2, maxTokens: 50, seed: 7 });
    assert.deepEqual(res.json, { cell: 3 });
    assert.equal(res.text, '{"cell": 3}');
    assert.equal(res.model, 'served-model');
    assert.equal(res.tokensIn, 12);
    assert.equal(res.tokensOut, 7);
    assert.equal(res.reasoning, undefined);
    assert.ok(res.latencyMs >= 0);
    assert.equal(p.id, `openai:test-model@${baseUrl}`);

    const body = received[0]?.body;
    assert.deepEqual(body?.['response_format'], {
      type: 'json_schema',
      json_schema: { name: 'proposal', schema: SCHEMA.schema, strict: false },
    });
    assert.equal(body?.['model'], 'test-model');
    assert.equal(body?.['temperature'], 0.2);
    assert.equal(body?.['max_tokens'], 50);
    assert.equal(body?.['seed'], 7);
    // No key in the environment: the placeholder that local servers accept.
    assert.equal(received[0]?.authorization, 'Bearer not-needed');
  });

  test('no jsonSchema: plain request, no json in the response', async () => {
    script = [completion('{"cell": 3}', {}, '')];
    const res = await provider({ temperature: 0.9 }).chat(ask());
    assert.equal(res.json, undefined);
    assert.equal(res.model, 'test-model', 'falls back to the configured model name');
    assert.equal(received[0]?.body['response_format'], undefined);
    assert.equal(received[0]?.body['temperature'], 0.9);
  });

  test('malformed JSON: json undefined, text kept', async () => {
    const content = 'Sure! {"cell": 3, "op": }';
    script = [completion(content)];
    const res = await provider().chat(ask(SCHEMA));
    assert.equal(res.json, undefined);
    assert.equal(res.text, content);
  });

  test('<think> preamble is separated from a fenced JSON answer', async () => {
    script = [completion('<think>Cell 3 looks {promising}.</think>\n\nHere:\n```json\n{"cell": 3}\n```')];
    const res = await provider().chat(ask(SCHEMA));
    assert.equal(res.reasoning, 'Cell 3 looks {promising}.');
    assert.ok(!res.text.includes('think'), res.text);
    assert.deepEqual(res.json, { cell: 3 });
  });

  test('reasoning_content field goes to reasoning', async () => {
    script = [completion('{"cell": 5}', { reasoning_content: 'Try cell 5.' })];
    const res = await provider().chat(ask(SCHEMA));
    assert.equal(res.reasoning, 'Try cell 5.');
    assert.equal(res.text, '{"cell": 5}');
    assert.deepEqual(res.json, { cell: 5 });
  });

  test('400 on response_format: steps down to json_object with the schema, and remembers', async () => {
    script = [
      json(400, { error: { message: "response_format 'json_schema' is not supported", type: 'invalid_request_error' } }),
      completion('The answer is {"cell": 1}.'),
      completion('{"cell": 2}'),
    ];
    const p = provider();
    const first = await p.chat(ask(SCHEMA));
    assert.deepEqual(first.json, { cell: 1 });
    const second = await p.chat(ask(SCHEMA));
    assert.deepEqual(second.json, { cell: 2 });

    assert.equal(received.length, 3, 'one rejected request, then two in the next mode');
    assert.equal((received[0]?.body['response_format'] as { type: string }).type, 'json_schema');
    for (const r of received.slice(1)) {
      assert.deepEqual(r.body['response_format'], { type: 'json_object', schema: SCHEMA.schema });
      assert.ok(systemPrompt(r).includes(JSON.stringify(SCHEMA.schema)), 'schema described in the prompt');
      const messages = r.body['messages'] as { role: string }[];
      assert.equal(messages.filter((m) => m.role === 'system').length, 1, 'merged into the one system message');
    }
  });

  test("llama-cpp-python's 500 refusal of json_schema is a refusal, not a server failure: json_object, remembered per endpoint", async () => {
    script = [
      json(500, { error: { message: "response_format.type: Input should be 'text' or 'json_object'" } }),
      completion('{"cell": 3}'),
      completion('{"cell": 4}'),
    ];
    assert.deepEqual((await provider().chat(ask(SCHEMA))).json, { cell: 3 });
    // Another provider instance on the same worker and endpoint: no refused request again.
    assert.deepEqual((await provider({ temperature: 0.1 }).chat(ask(SCHEMA))).json, { cell: 4 });
    assert.deepEqual(
      received.map((r) => (r.body['response_format'] as { type: string } | undefined)?.type),
      ['json_schema', 'json_object', 'json_object'],
    );
    assert.deepEqual(received[1]?.body['response_format'], { type: 'json_object', schema: SCHEMA.schema });
  });

  test('auto on a llama.cpp server (/props): the compact grammar, max_tokens within what n_ctx leaves', async () => {
    routes['/props'] = json(200, { default_generation_settings: { n_ctx: 600 }, total_slots: 1 });
    script = [completion('{"cell":5}'), completion('{"cell":6}')];
    const p = provider({ maxTokens: 4096 });
    assert.deepEqual((await p.chat(ask(SCHEMA))).json, { cell: 5 });
    await p.chat({ ...ask(SCHEMA), maxTokens: 50 });
    assert.equal(probed.filter((u) => u === '/props').length, 1, 'probed once per worker and endpoint');
    const body = received[0]!.body;
    assert.equal(body['response_format'], undefined);
    assert.match(String(body['grammar']), /^root ::= /m);
    assert.ok(!/\[ \\t\\n\]/.test(String(body['grammar'])), 'the grammar admits no whitespace');
    const maxTokens = body['max_tokens'] as number;
    assert.ok(maxTokens > 32 && maxTokens < 600 - 60, `max_tokens ${maxTokens} leaves the prompt its room in 600`);
    assert.equal(received[1]!.body['max_tokens'], 50, 'a smaller wish is kept');
  });

  test('reasoningTokens adds room to think before the answer, still within the context', async () => {
    routes['/v1/models'] = json(200, { object: 'list', data: [{ id: 'test-model', max_model_len: 2048 }] });
    script = [completion('{"cell":1}'), completion('{"cell":2}')];
    await provider({ reasoningTokens: 1000 }).chat({ ...ask(SCHEMA), maxTokens: 300 });
    assert.equal(received[0]!.body['max_tokens'], 1300);
    await provider({ reasoningTokens: 4000 }).chat({ ...ask(SCHEMA), maxTokens: 300 });
    const capped = received[1]!.body['max_tokens'] as number;
    assert.ok(capped < 2048 && capped > 1800, `max_tokens ${capped}: what the context leaves`);
  });

  test("the context from /v1/models (vLLM's max_model_len) or the config bounds max_tokens", async () => {
    routes['/v1/models'] = json(200, { object: 'list', data: [{ id: 'test-model', max_model_len: 1024 }] });
    script = [completion('{"cell":1}'), completion('{"cell":2}')];
    await provider({ maxTokens: 4096 }).chat(ask(SCHEMA));
    const fromServer = received[0]!.body['max_tokens'] as number;
    assert.ok(fromServer < 1024 && fromServer > 800, `max_tokens ${fromServer}`);
    assert.equal((received[0]!.body['response_format'] as { type: string }).type, 'json_schema');
    await provider({ maxTokens: 4096, contextTokens: 700, structuredOutput: 'json_schema' }).chat(ask(SCHEMA));
    const fromConfig = received[1]!.body['max_tokens'] as number;
    assert.ok(fromConfig < 700 && fromConfig > 500, `max_tokens ${fromConfig}`);
  });

  test('a context-overflow refusal: the answer is sized from the stated context, then the history trimmed; never the same request again', async () => {
    const tooLong = json(400, { error: { message: 'request (8265 tokens) exceeds the available context size (8192 tokens), try increasing it' } });
    const long = 'x '.repeat(3000);
    const conversation: ChatRequest = {
      messages: [
        { role: 'system', content: 'You plan.' },
        { role: 'user', content: `old results ${long}` },
        { role: 'assistant', content: 'old strategy' },
        { role: 'user', content: 'new results' },
      ],
      maxTokens: 8000,
    };
    script = [tooLong, completion('planned')];
    const res = await provider({ structuredOutput: 'prompt' }).chat(conversation);
    assert.equal(res.text, 'planned');
    assert.equal(received.length, 2);
    assert.equal(received[0]!.body['max_tokens'], 8000);
    const second = received[1]!.body;
    assert.ok((second['max_tokens'] as number) < 8192 - 3000, 'the answer sized from the stated context');
    assert.notDeepEqual(second, received[0]!.body);

    // A prompt that leaves no room even trimmed: refused before it is sent, not retryable.
    received = [];
    const err = await llmError(provider({ contextTokens: 1000 }).chat({ messages: [{ role: 'user', content: long }] }));
    assert.equal(err.kind, 'context_overflow');
    assert.equal(err.retryable, false);
    assert.equal(received.length, 0);
    assert.match(err.message, /context of 1000 tokens/);
  });

  test('a conversation over the context is trimmed oldest exchange first, the system prompt and the last exchange kept', async () => {
    const tooLong = json(400, { error: { message: 'This model maximum context length is 4096 tokens' } });
    const messages = [
      { role: 'system' as const, content: 'sys' },
      { role: 'user' as const, content: 'u1' },
      { role: 'assistant' as const, content: 'a1' },
      { role: 'user' as const, content: 'u2' },
      { role: 'assistant' as const, content: 'a2' },
      { role: 'user' as const, content: 'u3' },
    ];
    script = [tooLong, completion('ok')];
    await provider({ structuredOutput: 'prompt' }).chat({ messages, maxTokens: 100 });
    const sent = received.map((r) => (r.body['messages'] as { content: string }[]).map((m) => m.content).join(','));
    assert.deepEqual(sent, ['sys,u1,a1,u2,a2,u3', 'sys,u2,a2,u3']);

    // Only the last exchange left and still too long: the search is told, once, with no retry.
    received = [];
    script = [tooLong, tooLong];
    const err = await llmError(provider({ structuredOutput: 'prompt' }).chat({ messages: messages.slice(3), maxTokens: 100 }));
    assert.equal(err.kind, 'context_overflow');
    assert.equal(err.retryable, false);
    assert.equal(received.length, 1);
  });

  test('a 500 whose message says the request is malformed is bad_request, not retried', async () => {
    script = [json(500, { detail: [{ loc: ['body', 'temperature'], msg: 'Input should be less than or equal to 2' }] })];
    const err = await llmError(provider().chat(ask()));
    assert.equal(err.kind, 'bad_request');
    assert.equal(err.retryable, false);
  });

  test("structuredOutput 'grammar' sends the compact GBNF; 'json_schema' never steps down", async () => {
    script = [completion('{"cell":8}')];
    assert.deepEqual((await provider({ structuredOutput: 'grammar' }).chat(ask(SCHEMA))).json, { cell: 8 });
    assert.match(String(received[0]!.body['grammar']), /root ::=/);
    assert.equal(received[0]!.body['response_format'], undefined);

    received = [];
    script = [json(400, { error: { message: "response_format 'json_schema' is not supported" } })];
    const err = await llmError(provider({ structuredOutput: 'json_schema' }).chat(ask(SCHEMA)));
    assert.equal(err.kind, 'bad_request');
    assert.equal(received.length, 1, 'the configured mode is the only one sent');
  });

  test('vLLM-style top-level error message is still recognised for the fallback', async () => {
    script = [
      json(400, { object: 'error', message: 'guided decoding backend does not support this json_schema', code: 400 }),
      completion('{"cell": 4}'),
    ];
    const res = await provider().chat(ask(SCHEMA));
    assert.deepEqual(res.json, { cell: 4 });
    assert.equal(received.length, 2);
  });

  test("structuredOutput 'json_schema' does not fall back", async () => {
    script = [json(400, { error: { message: 'response_format json_schema is not supported' } })];
    const err = await llmError(provider({ structuredOutput: 'json_schema' }).chat(ask(SCHEMA)));
    assert.equal(err.kind, 'bad_request');
    assert.equal(err.retryable, false);
    assert.match(err.message, /json_schema is not supported/);
    assert.equal(received.length, 1);
  });

  test("structuredOutput 'none' and 'json_object' put the schema in the prompt", async () => {
    script = [completion('{"cell": 6}'), completion('{"cell": 7}')];
    const none = await provider({ structuredOutput: 'none' }).chat(ask(SCHEMA));
    const object = await provider({ structuredOutput: 'json_object' }).chat(ask(SCHEMA));
    assert.deepEqual(none.json, { cell: 6 });
    assert.deepEqual(object.json, { cell: 7 });
    assert.equal(received[0]?.body['response_format'], undefined);
    assert.deepEqual(received[1]?.body['response_format'], { type: 'json_object', schema: SCHEMA.schema });
    for (const r of received) assert.ok(systemPrompt(r).includes('"required":["cell"]'));
  });

  test('429: rate_limit, retryable, and the provider still works afterwards', async () => {
    script = [json(429, { error: { message: 'slow down' } }), completion('{"cell": 8}')];
    const p = provider();
    const err = await llmError(p.chat(ask(SCHEMA)));
    assert.equal(err.kind, 'rate_limit');
    assert.equal(err.status, 429);
    assert.equal(err.retryable, true);
    const res = await p.chat(ask(SCHEMA));
    assert.deepEqual(res.json, { cell: 8 });
    assert.equal(received.length, 2, 'the client itself must not retry');
  });

  test('slow server: timeout, retryable', async () => {
    script = [delayed(2000, completion('{"cell": 1}'))];
    const started = Date.now();
    const err = await llmError(provider({ timeoutMs: 300 }).chat(ask(SCHEMA)));
    assert.equal(err.kind, 'timeout');
    assert.equal(err.retryable, true);
    assert.ok(Date.now() - started < 1500, 'gave up near timeoutMs, without client retries');
  });

  test('caller abort: timeout kind', async () => {
    script = [delayed(2000, completion('{"cell": 1}'))];
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 50);
    const err = await llmError(provider({ timeoutMs: 5000 }).chat(ask(SCHEMA), controller.signal));
    assert.equal(err.kind, 'timeout');
  });

  test('401: auth, not retryable, names the variable, never shows the key', async () => {
    const secret = 'sk-test-S3CRET-0123456789abcdef';
    script = [json(401, { error: { message: `Incorrect API key provided: ${secret}`, type: 'invalid_request_error' } })];
    const p = provider({ apiKeyEnv: 'COLLM_TEST_KEY' }, { COLLM_TEST_KEY: secret });
    const err = await llmError(p.chat(ask(SCHEMA)));
    assert.equal(received[0]?.authorization, `Bearer ${secret}`);
    assert.equal(err.kind, 'auth');
    assert.equal(err.retryable, false);
    assert.match(err.message, /COLLM_TEST_KEY/);
    assert.ok(!err.message.includes(secret), err.message);
    assert.ok(!err.message.includes('S3CRET'), err.message);
    assert.ok(!JSON.stringify(p).includes('S3CRET'));
    assert.ok(!p.id.includes('S3CRET'));
  });

  test('an endpoint that echoes the key into its answer: redacted before the answer leaves the provider', async () => {
    const secret = 'sk-test-ECHOED-0123456789abcdef';
    script = [completion(`{"cell": 3, "debug": "Authorization: Bearer ${secret}"}`, { reasoning_content: `the header was ${secret}` }, `model-${secret}`)];
    const res = await provider({ apiKeyEnv: 'COLLM_LLM_API_KEY' }, { COLLM_LLM_API_KEY: secret }).chat(ask(SCHEMA));
    assert.equal(received[0]?.authorization, `Bearer ${secret}`, 'the key was sent');
    assert.ok(!JSON.stringify(res).includes(secret), JSON.stringify(res));
    assert.deepEqual(res.json, { cell: 3, debug: 'Authorization: Bearer [redacted]' });
    assert.equal(res.reasoning, 'the header was [redacted]');
  });

  test('404: not_found names the model and base URL', async () => {
    script = [json(404, { error: { message: 'The model `test-model` does not exist.' } })];
    const err = await llmError(provider().chat(ask()));
    assert.equal(err.kind, 'not_found');
    assert.equal(err.retryable, false);
    assert.ok(err.message.includes('test-model') && err.message.includes(baseUrl), err.message);
  });

  test('500: server, retryable', async () => {
    script = [json(500, { error: { message: 'CUDA out of memory' } })];
    const err = await llmError(provider().chat(ask()));
    assert.equal(err.kind, 'server');
    assert.equal(err.status, 500);
    assert.equal(err.retryable, true);
    assert.match(err.message, /CUDA out of memory/);
  });

  test('connection refused: server, retryable', async () => {
    const closed = http.createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    const err = await llmError(provider({ baseUrl: `http://127.0.0.1:${port}/v1` }).chat(ask()));
    assert.equal(err.kind, 'server');
    assert.equal(err.retryable, true);
    assert.match(err.message, /ECONNREFUSED/, 'the useful cause, not just "fetch failed"');
  });
});

describe('stripReasoning', () => {
  test('removes <think> blocks', () => {
    assert.deepEqual(stripReasoning('<think>a</think>answer<think>b</think>'), { text: 'answer', reasoning: 'a\n\nb' });
  });
  test('an unterminated leading <think> is all reasoning', () => {
    assert.deepEqual(stripReasoning('  <think>still going {"cell":'), { text: '', reasoning: 'still going {"cell":' });
  });
  test('closing tag only (template opened <think>)', () => {
    assert.deepEqual(stripReasoning('hmm\n</think>\n{"a":1}'), { text: '{"a":1}', reasoning: 'hmm' });
  });
  test('no reasoning: text trimmed, no reasoning key', () => {
    assert.deepEqual(stripReasoning(' plain \n'), { text: 'plain' });
  });
});

describe('extractJson', () => {
  test('whole text', () => {
    assert.deepEqual(extractJson(' {"a": [1, 2]} '), { a: [1, 2] });
  });
  test('fenced block wins over earlier braces', () => {
    assert.deepEqual(extractJson('Set {x} to:\n```json\n{"a": 1}\n```\nand {"b": 2}'), { a: 1 });
  });
  test('unlabelled fence', () => {
    assert.deepEqual(extractJson('```\n[1, 2]\n```'), [1, 2]);
  });
  test('balanced braces with braces and quotes inside strings', () => {
    const text = 'Answer: {"s": "a } b { \\" }", "n": {"m": [1, {"k": "]"}]}} trailing }';
    assert.deepEqual(extractJson(text), { s: 'a } b { " }', n: { m: [1, { k: ']' }] } });
  });
  test('array', () => {
    assert.deepEqual(extractJson('ops: [{"op": "swap"}, {"op": "drop"}] done'), [{ op: 'swap' }, { op: 'drop' }]);
  });
  test('skips bracketed prose that is not JSON', () => {
    assert.deepEqual(extractJson('[see below] {not json} then {"ok": true}'), { ok: true });
  });
  test('nothing parseable', () => {
    assert.equal(extractJson('no json {here, really] [nor here'), undefined);
    assert.equal(extractJson('42'), undefined);
    assert.equal(extractJson(''), undefined);
  });
});
