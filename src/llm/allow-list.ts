import { envList, nameMatches } from '../lib/env-lists';
import { LLM_PROVIDERS } from './registry';
import { LlmError, type ResolvedLlm } from './types';

/**
 * Which LLM endpoints a worker contacts and which of its environment
 * variables it sends there as API keys. A search config names both
 * (`llm.baseUrl`, `llm.apiKeyEnv`) and anyone who may start a search writes
 * it, so without this list they could have the worker send any of its
 * variables (TEMPORAL_API_KEY, a cloud token) to any host. The list belongs
 * to the worker, in its environment, never to the search:
 *
 *   COLLM_LLM_ALLOWED_HOSTS     comma-separated: "host", "host:port",
 *                               "*.example.com"; "*" allows every host
 *   COLLM_LLM_ALLOWED_KEY_ENVS  comma-separated variable names; "PREFIX_*"
 *                               allows every name that starts with PREFIX_
 *
 * Each replaces its default. The worker's own COLLM_LLM_BASE_URL host and
 * COLLM_LLM_API_KEY_ENV variable are allowed besides: whoever set them on
 * the worker chose that endpoint and key.
 */
export interface LlmAllowList {
  hosts: readonly string[];
  keyEnvs: readonly string[];
}

/** Local servers (vLLM, Ollama, llama.cpp) and OpenAI itself. */
export const DEFAULT_ALLOWED_HOSTS: readonly string[] = ['127.0.0.1', 'localhost', '::1', 'api.openai.com'];
/** OpenAI's conventional variable, and a family of names meant for LLM keys only. */
export const DEFAULT_ALLOWED_KEY_ENVS: readonly string[] = ['OPENAI_API_KEY', 'COLLM_LLM_API_KEY', 'COLLM_LLM_API_KEY_*'];

const HOST_ENTRY = /^(\*|(\*\.)?[a-z0-9_-]+(\.[a-z0-9_-]+)*|\[[0-9a-f:.]+\]|[0-9a-f:]*:[0-9a-f:.]*)(:\d{1,5})?$/i;
const KEY_ENTRY = /^(\*|[A-Za-z_][A-Za-z0-9_]*\*?)$/;

/** The worker's allow-list from its environment; a malformed entry stops the worker at start-up, naming it. */
export function llmAllowListFromEnv(env: NodeJS.ProcessEnv = process.env): LlmAllowList {
  const hosts = envList(env.COLLM_LLM_ALLOWED_HOSTS) ?? [...DEFAULT_ALLOWED_HOSTS];
  const keyEnvs = envList(env.COLLM_LLM_ALLOWED_KEY_ENVS) ?? [...DEFAULT_ALLOWED_KEY_ENVS];
  for (const h of hosts) {
    if (!HOST_ENTRY.test(h)) {
      throw new Error(
        `COLLM_LLM_ALLOWED_HOSTS: '${h}' is not a host; give hosts such as "api.example.com", "10.0.0.5:8000", "*.example.com" or "[::1]:8000", comma-separated, not URLs`,
      );
    }
  }
  for (const k of keyEnvs) {
    if (!KEY_ENTRY.test(k)) {
      throw new Error(`COLLM_LLM_ALLOWED_KEY_ENVS: '${k}' is not a variable name; give names such as "OPENAI_API_KEY" or "MY_LLM_KEY_*", comma-separated`);
    }
  }
  const own = env.COLLM_LLM_BASE_URL ? hostOf(env.COLLM_LLM_BASE_URL) : undefined;
  if (own) hosts.push(own.port ? `${own.host}:${own.port}` : own.host);
  if (env.COLLM_LLM_API_KEY_ENV && KEY_ENTRY.test(env.COLLM_LLM_API_KEY_ENV)) keyEnvs.push(env.COLLM_LLM_API_KEY_ENV);
  return { hosts, keyEnvs };
}

/** Host (lower case, IPv6 without brackets) and explicit port of a URL, or undefined when it is none. */
function hostOf(url: string): { host: string; port: string; defaultPort: string } | undefined {
  try {
    const u = new URL(url);
    if (u.hostname === '') return undefined;
    return { host: u.hostname.toLowerCase().replace(/^\[|\]$/g, ''), port: u.port, defaultPort: u.protocol === 'https:' ? '443' : '80' };
  } catch {
    return undefined;
  }
}

function hostMatches(entry: string, target: { host: string; port: string; defaultPort: string }): boolean {
  if (entry === '*') return true;
  // "[::1]:8000", "host:8000"; a bare IPv6 address has colons but no port.
  const m = /^\[([^\]]+)\](?::(\d+))?$/.exec(entry) ?? (/^[^:]+:\d+$/.test(entry) ? /^([^:]+):(\d+)$/.exec(entry) : null);
  const host = (m ? m[1]! : entry).toLowerCase();
  const port = m?.[2];
  if (port !== undefined && port !== (target.port || target.defaultPort)) return false;
  return host.startsWith('*.') ? target.host.endsWith(host.slice(1)) : target.host === host;
}

/** Why this worker refuses what a call would send out, naming the host or variable and how to allow it; undefined if allowed. */
export function egressProblem(reach: { endpoints: readonly string[]; keyEnvs: readonly string[] }, allow: LlmAllowList): string | undefined {
  const where = 'in the environment of the worker that calls the LLM (never in the search config)';
  for (const endpoint of reach.endpoints) {
    const target = hostOf(endpoint);
    if (!target) return `the endpoint is not a URL with a host; give one such as "http://127.0.0.1:8000/v1"`;
    if (!allow.hosts.some((h) => hostMatches(h, target))) {
      const shown = target.host.includes(':') ? `[${target.host}]` : target.host;
      return (
        `this worker does not send LLM requests to host '${shown}' (allowed: ${allow.hosts.join(', ')}); ` +
        `to allow it, add "${shown}${target.port ? `:${target.port}` : ''}" to COLLM_LLM_ALLOWED_HOSTS ${where}`
      );
    }
  }
  for (const name of reach.keyEnvs) {
    if (!allow.keyEnvs.some((k) => nameMatches(k, name))) {
      return (
        `this worker does not send its variable ${name} to LLM endpoints (allowed: ${allow.keyEnvs.join(', ')}); ` +
        `set apiKeyEnv to one of those, or add ${name} to COLLM_LLM_ALLOWED_KEY_ENVS ${where}`
      );
    }
  }
  return undefined;
}

/**
 * Checks one call's LLM against the worker's allow-list before anything is
 * read or sent. The options are checked again here: they come from workflow
 * history, which someone may have written without the client's checks.
 */
export function checkLlmAllowed(llm: ResolvedLlm, allow: LlmAllowList): void {
  if (!LLM_PROVIDERS.has(llm.provider)) throw new LlmError('config', `unknown LLM provider '${llm.provider}'; ${LLM_PROVIDERS.hint}`);
  const plugin = LLM_PROVIDERS.get(llm.provider);
  const options = plugin.options.safeParse(llm.options);
  if (!options.success) {
    throw new LlmError('config', `the ${llm.provider} options are invalid: ${options.error.issues.map((i) => `${i.path.join('.') || '(options)'}: ${i.message}`).join('; ')}`);
  }
  const problem = plugin.reaches ? egressProblem(plugin.reaches(options.data), allow) : undefined;
  if (problem) throw new LlmError('not_allowed', problem);
}
