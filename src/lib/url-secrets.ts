/**
 * Credentials written into a URL: user info (`https://user:pass@host`) and
 * query or fragment parameters whose name says they hold a secret
 * (`?key=`, `?api_key=`, `?token=`, `#access_token=`...). A URL in a search
 * config is stored in the workflow history, its memo and every error that
 * quotes it, so such a URL is refused; text that may quote one is redacted.
 */

/** Parameter names that carry a secret; `api-version`, `model`, `format` do not match. */
const SECRET_PARAM = /key|token|secret|passw|pwd|auth|sig|credential|session|cookie/i;

const REDACTED = '[redacted]';

function params(part: string): URLSearchParams {
  return new URLSearchParams(part.replace(/^[?#]/, ''));
}

/**
 * What credentials `url` carries, in words that quote none of them (e.g.
 * "user info (user:password@)", "the query parameter 'key'"), or undefined.
 * Text that does not parse as a URL carries none as far as this can tell.
 */
export function urlCredentials(url: string): string | undefined {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return undefined;
  }
  if (parsed.username !== '' || parsed.password !== '') return 'user info (user:password@ before the host)';
  for (const [where, part] of [['query', parsed.search], ['fragment', parsed.hash]] as const) {
    const name = [...params(part).keys()].find((k) => SECRET_PARAM.test(k));
    if (name !== undefined) return `the ${where} parameter '${name.slice(0, 40)}'`;
  }
  return undefined;
}

function redactParams(part: string): string {
  if (part.length <= 1) return part;
  const pairs = part.slice(1).split('&').map((pair) => {
    const eq = pair.indexOf('=');
    const name = eq < 0 ? pair : pair.slice(0, eq);
    let decoded = name;
    try {
      decoded = decodeURIComponent(name.replace(/\+/g, ' '));
    } catch {
      // A malformed escape: judge the name as written.
    }
    return SECRET_PARAM.test(decoded) ? `${name}=${REDACTED}` : pair;
  });
  return `${part[0]}${pairs.join('&')}`;
}

/** `url` with its user info and secret parameters replaced by "[redacted]"; other text unchanged. */
export function redactUrl(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return url;
  }
  if (urlCredentials(url) === undefined) return url;
  const auth = parsed.username !== '' || parsed.password !== '' ? `${REDACTED}@` : '';
  const search = redactParams(parsed.search);
  const hash = redactParams(parsed.hash);
  return `${parsed.protocol}//${auth}${parsed.host}${parsed.pathname}${search}${hash}`;
}

/** Every URL in `text` redacted (error messages, server answers that quote a request). */
export function redactUrlsIn(text: string): string {
  return text.replace(/\b[a-z][a-z0-9+.-]*:\/\/[^\s"'<>`]+/gi, (url) => redactUrl(url));
}
