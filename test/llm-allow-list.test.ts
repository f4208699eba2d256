/**
 * Where a worker may send LLM requests and keys, and credentials in endpoint
 * URLs. Pure: node --import tsx --test test/llm-allow-list.test.ts
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ConfigError, resolveSearchConfig } from '../src/config/resolve';
import { redactUrl, redactUrlsIn, urlCredentials } from '../src/lib/url-secrets';
import { checkLlmAllowed, DEFAULT_ALLOWED_HOSTS, DEFAULT_ALLOWED_KEY_ENVS, egressProblem, llmAllowListFromEnv } from '../src/llm/allow-list';
import { openAiProvider } from '../src/llm/openai';
import { LlmError, type ResolvedLlm } from '../src/llm/types';

const defaults = llmAllowListFromEnv({});
const reach = (endpoint: string, key = 'OPENAI_API_KEY') => egressProblem({ endpoints: [endpoint], keyEnvs: [key] }, defaults);

test('defaults: local servers and OpenAI, OPENAI_API_KEY and the COLLM_LLM_API_KEY family', () => {
  assert.deepEqual(defaults, { hosts: [...DEFAULT_ALLOWED_HOSTS], keyEnvs: [...DEFAULT_ALLOWED_KEY_ENVS] });
  for (const ok of ['http://127.0.0.1:8000/v1', 'http://localhost:11434/v1', 'http://[::1]:8080/v1', 'https://api.openai.com/v1', 'HTTPS://API.OPENAI.COM/v1']) {
    assert.equal(reach(ok), undefined, ok);
  }
  for (const key of ['OPENAI_API_KEY', 'COLLM_LLM_API_KEY', 'COLLM_LLM_API_KEY_VLLM']) assert.equal(reach('http://127.0.0.1/v1', key), undefined, key);
});

test('any other host is refused, naming it and the variable that allows it; look-alike hosts too', () => {
  for (const [url, host] of [
    ['https://evil.example.com/v1', 'evil.example.com'],
    ['https://api.openai.com.evil.example/v1', 'api.openai.com.evil.example'],
    ['http://127.0.0.2:8000/v1', '127.0.0.2'],
    ['http://localhost.evil.example/v1', 'localhost.evil.example'],
    ['http://10.0.0.5:8000/v1', '10.0.0.5'],
  ]) {
    const problem = reach(url!);
    assert.ok(problem, url);
    assert.match(problem, new RegExp(`host '${host!.replace(/\./g, '\\.')}'`));
    assert.match(problem, /add ".*" to COLLM_LLM_ALLOWED_HOSTS in the environment of the worker that calls the LLM/);
  }
  // User info must not pass for the host: the request would go to evil.example.
  assert.match(reach('http://127.0.0.1@evil.example/v1')!, /host 'evil\.example'/);
  assert.match(reach('not a url')!, /not a URL/);
});

test('a key variable not on the list is refused before it is read, naming it and how to allow it', () => {
  for (const key of ['TEMPORAL_API_KEY', 'AWS_SECRET_ACCESS_KEY', 'OPENAI_API_KEY_2', 'COLLM_LLM_API_KEYS', 'PATH']) {
    const problem = reach('https://api.openai.com/v1', key);
    assert.ok(problem, key);
    assert.match(problem, new RegExp(`its variable ${key} `));
    assert.match(problem, /add .* to COLLM_LLM_ALLOWED_KEY_ENVS in the environment of the worker that calls the LLM/);
  }
});

test('the worker sets its own lists: hosts with ports, wildcards, IPv6; key names and families', () => {
  const allow = llmAllowListFromEnv({
    COLLM_LLM_ALLOWED_HOSTS: ' gpu-box:8000, *.llm.internal ,[fd00::1]:9000',
    COLLM_LLM_ALLOWED_KEY_ENVS: 'VLLM_KEY,TEAM_LLM_*',
  });
  assert.deepEqual(allow.hosts, ['gpu-box:8000', '*.llm.internal', '[fd00::1]:9000']);
  const check = (url: string, key = 'VLLM_KEY') => egressProblem({ endpoints: [url], keyEnvs: [key] }, allow);
  assert.equal(check('http://gpu-box:8000/v1'), undefined);
  assert.match(check('http://gpu-box:8001/v1')!, /host 'gpu-box'/, 'another port of an allowed host:port');
  assert.equal(check('https://a.llm.internal/v1'), undefined);
  assert.match(check('https://llm.internal.evil/v1')!, /not send/);
  assert.equal(check('http://[fd00::1]:9000/v1'), undefined);
  assert.match(check('http://127.0.0.1:8000/v1')!, /host '127\.0\.0\.1'/, 'the list replaces the defaults');
  assert.equal(check('http://gpu-box:8000/v1', 'TEAM_LLM_PROD'), undefined);
  assert.match(check('http://gpu-box:8000/v1', 'OPENAI_API_KEY')!, /OPENAI_API_KEY/);
  assert.equal(egressProblem({ endpoints: ['https://anything.example/v1'], keyEnvs: ['ANY'] }, llmAllowListFromEnv({ COLLM_LLM_ALLOWED_HOSTS: '*', COLLM_LLM_ALLOWED_KEY_ENVS: '*' })), undefined);
});

test("the worker's own COLLM_LLM_BASE_URL and COLLM_LLM_API_KEY_ENV are allowed beside the list", () => {
  const allow = llmAllowListFromEnv({ COLLM_LLM_BASE_URL: 'http://vllm.lan:8000/v1', COLLM_LLM_API_KEY_ENV: 'VLLM_TOKEN' });
  assert.equal(egressProblem({ endpoints: ['http://vllm.lan:8000/v1'], keyEnvs: ['VLLM_TOKEN'] }, allow), undefined);
  assert.match(egressProblem({ endpoints: ['http://vllm.lan:9999/v1'], keyEnvs: ['VLLM_TOKEN'] }, allow)!, /vllm\.lan/);
});

test('a malformed list stops the worker at start-up, naming the entry', () => {
  assert.throws(() => llmAllowListFromEnv({ COLLM_LLM_ALLOWED_HOSTS: 'https://api.example.com/v1' }), /COLLM_LLM_ALLOWED_HOSTS: 'https:\/\/api\.example\.com\/v1' is not a host/);
  assert.throws(() => llmAllowListFromEnv({ COLLM_LLM_ALLOWED_KEY_ENVS: 'OK_KEY,not-a-name' }), /COLLM_LLM_ALLOWED_KEY_ENVS: 'not-a-name' is not a variable name/);
});

const llm = (options: Record<string, unknown>, provider = 'openai'): ResolvedLlm => ({
  provider, model: 'm', temperature: 0.6, maxTokens: 100, options, capabilities: { grammar: false },
});

test('checkLlmAllowed: the options from history are checked again, then the endpoint and key variable', () => {
  const refused = (l: ResolvedLlm) => {
    try {
      checkLlmAllowed(l, defaults);
    } catch (err) {
      assert.ok(err instanceof LlmError, String(err));
      return err;
    }
    return assert.fail('expected a refusal');
  };
  assert.doesNotThrow(() => checkLlmAllowed(llm({ baseUrl: 'http://127.0.0.1:8000/v1', model: 'm' }), defaults));
  assert.doesNotThrow(() => checkLlmAllowed(llm({}, 'local'), defaults), 'the embedded model sends nothing anywhere');
  const key = refused(llm({ baseUrl: 'http://127.0.0.1:8000/v1', model: 'm', apiKeyEnv: 'TEMPORAL_API_KEY' }));
  assert.equal(key.kind, 'not_allowed');
  assert.equal(key.retryable, false);
  assert.match(key.message, /TEMPORAL_API_KEY/);
  assert.equal(refused(llm({ baseUrl: 'https://evil.example/v1', model: 'm' })).kind, 'not_allowed');
  // Written into history by hand, past the client: a URL with credentials, an unknown provider.
  const creds = refused(llm({ baseUrl: 'https://user:hunter2@api.openai.com/v1', model: 'm' }));
  assert.equal(creds.kind, 'config');
  assert.doesNotMatch(creds.message, /hunter2/);
  assert.equal(refused(llm({}, 'nope')).kind, 'config');
});

test('URL credentials: found in user info and secret-named parameters, redacted wherever a URL is quoted', () => {
  assert.match(urlCredentials('https://user:pass@h.example/v1')!, /user info/);
  assert.match(urlCredentials('https://h.example/v1?key=abc')!, /query parameter 'key'/);
  assert.match(urlCredentials('https://h.example/v1?api-version=1&api_key=abc')!, /'api_key'/);
  assert.match(urlCredentials('https://h.example/v1?token=abc')!, /'token'/);
  assert.match(urlCredentials('https://h.example/v1#access_token=abc')!, /fragment parameter 'access_token'/);
  for (const clean of ['http://127.0.0.1:8000/v1', 'https://h.example/openai/v1?api-version=2024-06-01', 'not a url']) assert.equal(urlCredentials(clean), undefined, clean);
  assert.equal(redactUrl('https://user:pass@h.example/v1?api-version=1&key=abc'), 'https://[redacted]@h.example/v1?api-version=1&key=[redacted]');
  // Every name that suggests a secret, in the query (split on & and ;), the fragment or a matrix parameter.
  for (const [url, name] of [
    ['http://127.0.0.1:9/v1?pass=hunter2', 'pass'],
    ['http://127.0.0.1:9/v1?pw=hunter2', 'pw'],
    ['http://127.0.0.1:9/v1;key=hunter2', 'key'],
    ['http://127.0.0.1:9/v1;jsessionid=hunter2/chat', 'jsessionid'],
    ['http://127.0.0.1:9/v1?a=1;password=hunter2', 'password'],
    ['http://127.0.0.1:9/v1?X-Amz-Signature=hunter2', 'X-Amz-Signature'],
    ['http://127.0.0.1:9/v1?%70ass=hunter2', 'pass'],
  ] as const) {
    assert.match(urlCredentials(url) ?? '', new RegExp(`'${name}'`), url);
    assert.doesNotMatch(redactUrl(url), /hunter2/, url);
    assert.doesNotMatch(redactUrlsIn(`cannot reach ${url} (ECONNREFUSED)`), /hunter2/, url);
  }
  assert.equal(redactUrl('http://127.0.0.1:9/v1;key=abc?pw=x&model=m'), 'http://127.0.0.1:9/v1;key=[redacted]?pw=[redacted]&model=m');
  assert.equal(redactUrlsIn('cannot reach https://u:pw@h.example:8/v1?token=t0k (ECONNREFUSED)'), 'cannot reach https://[redacted]@h.example:8/v1?token=[redacted] (ECONNREFUSED)');
});

test('a search config with credentials in llm.baseUrl is refused by field, and no error quotes them', () => {
  for (const [baseUrl, what] of [
    ['https://alice:S3CRET-PW@llm.example/v1', /user info/],
    ['https://llm.example/v1?key=S3CRET-PW', /query parameter 'key'/],
    ['https://llm.example/v1?api_key=S3CRET-PW', /query parameter 'api_key'/],
    ['https://llm.example/v1?token=S3CRET-PW', /query parameter 'token'/],
  ] as const) {
    const err = (() => {
      try {
        resolveSearchConfig({ budget: 10, strategy: 'collm', llm: { provider: 'openai', baseUrl, model: 'm' } });
      } catch (e) {
        return e;
      }
      return assert.fail(`accepted ${baseUrl}`);
    })();
    assert.ok(err instanceof ConfigError);
    assert.match(err.message, /llm\.baseUrl: must not carry credentials/);
    assert.match(err.message, what);
    assert.match(err.message, /apiKeyEnv/);
    assert.doesNotMatch(err.message + JSON.stringify(err.problems), /S3CRET|alice/);
    // The provider refuses it too, whoever calls it.
    assert.throws(() => openAiProvider({ baseUrl, model: 'm' }, {}), (e: Error) => !/S3CRET/.test(e.message));
  }
  // Another problem in the same config that quotes a value redacts URLs in it.
  const other = (() => {
    try {
      resolveSearchConfig({ budget: 10, dataset: 'https://bob:PW-IN-URL@x.example/?token=T', strategy: 'collm' });
    } catch (e) {
      return e as ConfigError;
    }
    return assert.fail('accepted');
  })();
  assert.doesNotMatch(other.message, /PW-IN-URL|token=T\b/);
  assert.match(other.message, /dataset: unknown dataset/);
});
