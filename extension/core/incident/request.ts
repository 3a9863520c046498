// The failed request as Repro keeps it to replay: a method from a fixed list, a path that is a
// path, headers that could not smuggle a second header or carry a credential, a bounded body.
// Credentials never reach a reproduction: production tokens are useless against scrubbed local
// data, and a receipt or a log line is the wrong place for them.
import { HTTP_METHODS, LIMITS, type HttpMethod, type IncidentRequest } from './model';
import { asArray, hasControlChars, isObj, quote } from './values';

/** Always removed, whatever the value. */
export const SECRET_HEADERS = ['authorization', 'proxy-authorization', 'cookie', 'set-cookie', 'x-api-key'];
/** Also removed: any header whose name mentions one of these (x-auth-token, x-session-id, x-csrf-token...). */
export const SECRET_HEADER_PATTERN = /token|secret|key|password|session|auth/i;

export const isSecretHeader = (name: string): boolean =>
  SECRET_HEADERS.includes(name.toLowerCase()) || SECRET_HEADER_PATTERN.test(name);

/** RFC 9110 token characters. */
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]{1,128}$/;
/**
 * RFC 3986 path characters, '/' and '?' (the query is part of the path replayed) and '%' for
 * escapes. No spaces, quotes, backslashes, angle brackets or backticks.
 */
const PATH_CHARS = /^\/[A-Za-z0-9\-._~!$&'()*+,;=:@/?%]*$/;

export const normaliseMethod = (v: string): HttpMethod | undefined =>
  (HTTP_METHODS as readonly string[]).includes(v.toUpperCase()) ? (v.toUpperCase() as HttpMethod) : undefined;

/** What is wrong with a request path, or undefined when it is usable. */
export function pathProblem(p: string): string | undefined {
  if (p.length > LIMITS.pathChars) return `is ${p.length} characters long; at most ${LIMITS.pathChars} are accepted`;
  if (!p.startsWith('/')) return `${quote(p)} does not start with "/"`;
  if (!PATH_CHARS.test(p)) return `${quote(p)} has characters a URL path cannot have (spaces, quotes, control characters...); percent-encode them`;
  const pathPart = p.split('?')[0]!;
  // A dot may be percent-encoded ('.%2e', '%2e.', '%2e%2e'): URL parsers and servers take each as "..".
  if (pathPart.split('/').some((s) => s.replace(/%2e/gi, '.') === '..')) return `${quote(p)} has a ".." segment`;
  return undefined;
}

/** What is wrong with a header value, or undefined. A CR or LF would start a second header. */
export function headerValueProblem(v: string): string | undefined {
  if (v.length > LIMITS.headerValueChars) return `is ${v.length} characters long; at most ${LIMITS.headerValueChars}`;
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u0008\u000a-\u001f\u007f]/.test(v)) return 'has a line break or another control character';
  return undefined;
}

export const isHeaderName = (n: string): boolean => HEADER_NAME.test(n);

/**
 * Headers from an alert tool ({name: value} or [[name, value], ...] as Sentry sends them):
 * lower-case names, secrets dropped, unusable entries dropped; each drop is a warning that
 * names the header (never its value).
 */
export function cleanHeaders(input: unknown, warnings: string[]): Record<string, string> {
  const entries: [unknown, unknown][] = isObj(input)
    ? Object.entries(input)
    : asArray(input).flatMap((e) => (Array.isArray(e) && e.length === 2 ? [[e[0], e[1]] as [unknown, unknown]] : []));
  const out: Record<string, string> = {};
  const secret: string[] = [];
  const bad: string[] = [];
  for (const [k, v] of entries) {
    if (typeof k !== 'string' || !isHeaderName(k)) { bad.push(typeof k === 'string' ? quote(k, 40) : String(k)); continue; }
    const name = k.toLowerCase();
    if (isSecretHeader(name)) { secret.push(name); continue; }
    if (typeof v !== 'string' || headerValueProblem(v)) { bad.push(name); continue; }
    if (Object.keys(out).length >= LIMITS.headers) { bad.push(name); continue; }
    out[name] = v;
  }
  if (secret.length) warnings.push(`request headers removed because they may hold credentials: ${secret.join(', ')}`);
  if (bad.length) warnings.push(`request headers dropped as unusable (bad name or value, or more than ${LIMITS.headers}): ${bad.join(', ')}`);
  return out;
}

/** Keys whose values are credentials in JSON request bodies. */
const SECRET_BODY_KEY = /passw(or)?d|^pass$|secret|token|api[_-]?key|authorization|private[_-]?key/i;

/**
 * A body to replay: text (objects from an alert tool as JSON), at most 64 KB, no NUL. Values
 * of credential-like keys in a JSON body are replaced, with a warning naming the keys.
 */
export function cleanBody(v: unknown, warnings: string[]): string | undefined {
  if (v === undefined || v === null || v === '') return undefined;
  let text: string;
  if (typeof v === 'string') text = v;
  else {
    try { text = JSON.stringify(v); } catch { warnings.push('the request body could not be read; it is not replayed'); return undefined; }
  }
  if (Buffer.byteLength(text, 'utf8') > LIMITS.bodyBytes) {
    warnings.push(`the request body is larger than ${LIMITS.bodyBytes / 1024} KB; it is not replayed`);
    return undefined;
  }
  if (text.includes('\u0000')) {
    warnings.push('the request body has NUL characters; it is not replayed');
    return undefined;
  }
  return redactJsonBody(text, warnings);
}

export function redactJsonBody(text: string, warnings: string[]): string {
  const t = text.trimStart();
  if (!t.startsWith('{') && !t.startsWith('[')) return text;
  let data: unknown;
  try { data = JSON.parse(text); } catch { return text; }
  const removed = new Set<string>();
  const walk = (x: unknown, depth: number): unknown => {
    if (depth > 32) return x;
    if (Array.isArray(x)) return x.map((e) => walk(e, depth + 1));
    if (!isObj(x)) return x;
    const out: Record<string, unknown> = {};
    for (const [k, val] of Object.entries(x)) {
      if (SECRET_BODY_KEY.test(k) && val !== null && typeof val !== 'object') { removed.add(k); out[k] = '[removed by Repro]'; } else out[k] = walk(val, depth + 1);
    }
    return out;
  };
  const redacted = walk(data, 0);
  if (!removed.size) return text;
  warnings.push(`request body values removed because they may be credentials: ${[...removed].join(', ')}`);
  return JSON.stringify(redacted);
}

/**
 * A request from an alert tool's fields, or undefined (with a warning) when the method or path
 * is unusable. Alert tools give a full URL; only its path and query are kept.
 */
export function requestFrom(parts: { method?: unknown; url?: unknown; headers?: unknown; body?: unknown }, warnings: string[]): IncidentRequest | undefined {
  if (typeof parts.method !== 'string') return undefined;
  const method = normaliseMethod(parts.method);
  if (!method) { warnings.push(`request method ${quote(parts.method)} is not one of ${HTTP_METHODS.join(', ')}; the request is not kept`); return undefined; }
  if (typeof parts.url !== 'string' || hasControlChars(parts.url)) return undefined;
  let p: string;
  try {
    const u = new URL(parts.url, 'http://placeholder.invalid');
    p = `${u.pathname}${u.search}`;
  } catch {
    return undefined;
  }
  const problem = pathProblem(p);
  if (problem) { warnings.push(`request path ${problem}; the request is not kept`); return undefined; }
  const body = cleanBody(parts.body, warnings);
  return { method, path: p, headers: cleanHeaders(parts.headers, warnings), ...(body !== undefined ? { body } : {}) };
}
