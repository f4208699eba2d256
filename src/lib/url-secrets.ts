/**
 * Credentials written into a URL: user info (`https://user:pass@host`) and
 * query, fragment or matrix parameters whose name says they hold a secret
 * (`?key=`, `?pass=`, `?pw=`, `;key=`, `#access_token=`...): one rule for
 * every URL a config or a message may carry. A URL in a search
 * config is stored in the workflow history, its memo and every error that
 * quotes it, so such a URL is refused; text that may quote one is redacted.
 */

/**
 * Parameter names that carry a secret (`pass`, `pw`, `api_key`, `access_token`,
 * `X-Amz-Signature`...); `api-version`, `model`, `format` do not match.
 */
const SECRET_PARAM = /key|token|secret|pass|pw|auth|sig|credential|session|cookie/i;

const REDACTED = '[redacted]';

/**
 * `name=value` pairs wherever a URL may carry them: the query and the
 * fragment (`?a=1&b=2`, also split on ';'), and matrix parameters in the path
 * (`/v1;key=abc`). Group 1 is the separator, 2 the name as written, 3 the value.
 */
const PARAM = /([?#&;])([^=&;?#/]*)=([^&;#/]*)/g;

function decodedName(name: string): string {
  try {
    return decodeURIComponent(name.replace(/\+/g, ' '));
  } catch {
    return name; // a malformed escape: judge the name as written
  }
}

const PLACES = [
  ['query', (u: URL) => u.search],
  ['fragment', (u: URL) => u.hash],
  ['path', (u: URL) => u.pathname],
] as const;

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
  for (const [where, part] of PLACES) {
    for (const [, , name] of part(parsed).matchAll(PARAM)) {
      if (SECRET_PARAM.test(decodedName(name!))) return `the ${where} parameter '${decodedName(name!).slice(0, 40)}'`;
    }
  }
  return undefined;
}

function redactParams(part: string): string {
  return part.replace(PARAM, (pair, sep: string, name: string) => (SECRET_PARAM.test(decodedName(name)) ? `${sep}${name}=${REDACTED}` : pair));
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
  return `${parsed.protocol}//${auth}${parsed.host}${redactParams(parsed.pathname)}${redactParams(parsed.search)}${redactParams(parsed.hash)}`;
}

/** Every URL in `text` redacted (error messages, server answers that quote a request). */
export function redactUrlsIn(text: string): string {
  return text.replace(/\b[a-z][a-z0-9+.-]*:\/\/[^\s"'<>`]+/gi, (url) => redactUrl(url));
}
