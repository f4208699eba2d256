import { redactUrlsIn } from '../lib/url-secrets';

/**
 * API keys never enter a search's history (configs name the variable that
 * holds one, and URLs with credentials are refused), but histories recorded
 * before that check may still hold such a URL, e.g. an endpoint's
 * `https://user:token@host/v1` or `?api_key=`. A report is a file people pass
 * around, so every text in it has its URLs' credentials redacted.
 */
export function redactSecrets<T>(value: T): T {
  if (typeof value === 'string') return redactUrlsIn(value) as T;
  if (Array.isArray(value)) return value.map((v: unknown) => redactSecrets(v)) as T;
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, redactSecrets(v)])) as T;
  }
  return value;
}
