import { z } from 'zod';
import { clip, EXPLAINED } from '../lib/zod-messages';
import { LLM_PROVIDERS } from './registry';
import type { ResolvedLlm } from './types';

/**
 * The `llm` field of a search config, resolved for each role a strategy
 * plays: `{provider, temperature?, maxTokens?, ...the provider's options,
 * roles?: {navigator: {...}, generator: {...}}}`. A role's entry overrides
 * the shared settings (it may even name another provider).
 *
 * Defaults, lowest first: GENERIC below, the provider's, the provider's for
 * the role, then what the config says. This file and each provider's
 * plug-in are the only places LLM defaults live.
 */
const GENERIC = { temperature: 0.6 };

/** The LLM a search gets when its config names none: the embedded model. */
export const DEFAULT_LLM = { provider: 'local' } as const;

const sampling = z
  .object({
    provider: z.string({ error: `must name an LLM provider; ${LLM_PROVIDERS.hint}` }).optional(),
    temperature: z.number().min(0).max(2).optional(),
    maxTokens: z.number().int().positive().optional(),
  })
  .loose();

/** The config must never carry a key: it is workflow input, stored in history. */
const SECRET_FIELDS = ['apiKey', 'api_key', 'key', 'token', 'password'];

function describeField(path: readonly PropertyKey[]): string {
  return path.map((p, i) => (typeof p === 'number' ? `[${p}]` : i === 0 ? String(p) : `.${String(p)}`)).join('');
}

/**
 * Each role's LLM, or the problems found, each naming its field under `llm`.
 * `roles` are the strategy's (empty: it talks to no LLM, and `llm` must be absent).
 */
export function resolveLlms(
  raw: unknown,
  roles: readonly string[],
  strategy: string,
): { llm: Record<string, ResolvedLlm>; problems: string[] } {
  const problems: string[] = [];
  const llm: Record<string, ResolvedLlm> = {};
  if (roles.length === 0) {
    if (raw !== undefined) problems.push(`llm: strategy ${strategy} talks to no LLM; remove llm or choose a strategy that does (e.g. collm)`);
    return { llm, problems };
  }
  const base = raw ?? DEFAULT_LLM;
  if (base === null || typeof base !== 'object' || Array.isArray(base)) {
    return { llm, problems: [`llm: must be an object such as {"provider": "local"} or {"provider": "openai", "baseUrl": "...", "model": "..."}`] };
  }
  const { roles: roleEntries = {}, ...shared } = base as Record<string, unknown>;
  if (roleEntries === null || typeof roleEntries !== 'object' || Array.isArray(roleEntries)) {
    return { llm, problems: [`llm.roles: must be an object with an entry per role (${roles.join(', ')})`] };
  }
  for (const name of Object.keys(roleEntries)) {
    // The unknown name goes in the message, not the field path: a key may be any text (':' or '.', say).
    if (!roles.includes(name)) problems.push(`llm.roles: strategy ${strategy} has no role ${JSON.stringify(name)}; its roles are ${roles.join(', ')}`);
  }
  for (const role of roles) {
    const own = (roleEntries as Record<string, unknown>)[role] ?? {};
    const where = role in roleEntries ? ['llm', 'roles', role] : ['llm'];
    const merged = { ...shared, ...(typeof own === 'object' && own !== null ? own : {}) };
    const secret = SECRET_FIELDS.find((f) => f in merged);
    if (secret) {
      problems.push(
        `${describeField([...where, secret])}: never put an API key in a search config (it would be stored in the workflow history); ` +
          'set apiKeyEnv to the name of an environment variable of the worker that calls the LLM',
      );
      continue;
    }
    const generic = sampling.safeParse(merged, EXPLAINED);
    if (!generic.success) {
      problems.push(...generic.error.issues.map((i) => `${describeField([...where, ...i.path])}: ${i.message}`));
      continue;
    }
    const { provider: name = DEFAULT_LLM.provider, temperature, maxTokens, ...rest } = generic.data;
    if (!LLM_PROVIDERS.has(name)) {
      problems.push(`${describeField([...where, 'provider'])}: unknown LLM provider '${clip(name)}'; ${LLM_PROVIDERS.hint}`);
      continue;
    }
    const provider = LLM_PROVIDERS.get(name);
    const options = provider.options.safeParse(rest, EXPLAINED);
    if (!options.success) {
      problems.push(
        ...options.error.issues.map((i) =>
          i.code === 'unrecognized_keys'
            ? `${describeField([...where, ...i.path])}: unknown field(s) ${i.keys.map((k) => `'${clip(k)}'`).join(', ')} for provider ${name}; remove them or check the spelling`
            : `${describeField([...where, ...i.path])}: ${i.message}`,
        ),
      );
      continue;
    }
    const roleDefaults = provider.roleDefaults?.[role] ?? {};
    const { model, capabilities } = provider.describe(options.data);
    llm[role] = {
      provider: name,
      model,
      temperature: temperature ?? roleDefaults.temperature ?? provider.defaults.temperature ?? GENERIC.temperature,
      maxTokens: maxTokens ?? roleDefaults.maxTokens ?? provider.defaults.maxTokens,
      options: options.data as Record<string, unknown>,
      capabilities,
    };
  }
  return { llm, problems };
}
