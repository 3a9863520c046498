// Each parameter of a reproduce link: its bound, its form, and its check. A link is untrusted
// input (anyone can send one, and clicking it is all it takes), so each value is checked
// against a strict form, and an error names the parameter, says what is wrong and what form
// is expected.
import { checkFrame, type RawFrame } from './frameCheck';
import { HTTP_METHODS, LIMITS, isName, isRelease, isSha, ID_PATTERN, type HttpMethod, type StackFrame } from './model';
import { headerValueProblem, isHeaderName, isSecretHeader, normaliseMethod, pathProblem } from './request';
import { normaliseRemoteUrl } from '../git/remoteUrl';
import { cleanText, hasControlChars, hideCredentials, httpUrl, isObj, normaliseTime, quote } from './values';

export type Check<T> = { ok: true; value: T; warnings?: string[] } | { ok: false; error: string };

/** Text that still looks like the alert tool's template: the tool had no value for it. */
const TEMPLATE_LEFTOVER = /\{\{|\}\}|\$\{|^\$[A-Z][A-Z0-9_]*$/;
export const leftover = (v: string): string => (TEMPLATE_LEFTOVER.test(v) ? ' (it looks like a template variable the alert tool did not fill in)' : '');

const fail = <T>(error: string): Check<T> => ({ ok: false, error });

/** Parameter name -> largest value accepted, in characters, checked before anything else. */
export const MAX_CHARS: Record<string, number> = {
  incident: 128, title: 1024, commit: 40, release: 128, env: 100, service: 100, time: 40,
  frames: 200 * 1024, method: 7, path: LIMITS.pathChars, headers: 32 * 1024, body: LIMITS.bodyBytes, url: LIMITS.urlChars, payload: LIMITS.urlChars, repo: 512,
};

export const EXPECTED: Record<string, string> = {
  incident: 'the alert\'s id: 1 to 128 letters, digits and . _ : -, starting with a letter or digit, e.g. incident=INC-1234',
  title: 'one line of text, at most 1024 characters',
  commit: 'a git commit sha: 7 to 40 hexadecimal digits, e.g. commit=4f2c9a1',
  release: 'a tag or version: letters, digits and . _ / @ + -, starting with a letter or digit, at most 128, no "..", e.g. release=v1.4.2',
  env: 'an environment name: letters, digits and . _ -, starting with a letter or digit, e.g. env=production',
  service: 'a service name: letters, digits and . _ -, starting with a letter or digit, e.g. service=checkout',
  time: 'an ISO-8601 time with a zone, e.g. time=2024-05-01T12:30:00Z, or epoch seconds or milliseconds',
  frames: `a JSON array of {"file","line","column"?,"function"?,"inApp"?} or "file:line:column;file:line", at most ${LIMITS.frames} frames`,
  method: `one of ${HTTP_METHODS.join(', ')}`,
  path: `the request path starting with "/", percent-encoded, at most ${LIMITS.pathChars} characters, e.g. path=/orders/42?expand=items`,
  headers: `a JSON object of header names to string values, at most ${LIMITS.headers} headers, e.g. headers={"accept":"application/json"}`,
  body: `the request body as text, at most ${LIMITS.bodyBytes / 1024} KB`,
  url: 'the alert\'s http(s) address, e.g. url=https://grafana.example.com/alerting/...',
  repo: 'the git repository the incident is about, as a clone URL: repo=https://github.com/org/shop.git or repo=git@github.com:org/shop.git',
  payload: 'an https:// address of the alert payload on a trusted host, e.g. payload=https://alerts.example.com/incidents/INC-1234.json',
};

export function checkIncidentId(v: string): Check<string> {
  return ID_PATTERN.test(v) ? { ok: true, value: v } : fail(`incident: ${quote(v)} is not an incident id${leftover(v)}; expected ${EXPECTED.incident}`);
}

export function checkTitle(v: string): Check<string> {
  if (hasControlChars(v)) return fail(`title: ${quote(v)} has a NUL, a line break or another control character; expected ${EXPECTED.title}`);
  const t = cleanText(v, LIMITS.titleChars);
  return t ? { ok: true, value: t } : fail(`title: is blank; expected ${EXPECTED.title}`);
}

export function checkCommit(v: string): Check<string> {
  const c = v.toLowerCase();
  return isSha(c) ? { ok: true, value: c } : fail(`commit: ${quote(v)} is not a git commit sha${leftover(v)}; expected ${EXPECTED.commit}`);
}

export function checkRelease(v: string, decoded: boolean): Check<string> {
  // In a link read as text, form decoding turned '+' (semver build metadata, 1.4.2+abc) into a
  // space; a release has no spaces, so each one was a '+'. VS Code's Uri keeps '+' as it is.
  const r = decoded ? v : v.replace(/ /g, '+');
  if (isRelease(r)) return { ok: true, value: r };
  const why = r.includes('..') ? ' (".." is not allowed: a release may name a git ref)' : /^[^A-Za-z0-9]/.test(r) ? ' (it must start with a letter or digit)' : '';
  return fail(`release: ${quote(v)} is not a release${why}${leftover(v)}; expected ${EXPECTED.release}`);
}

export function checkName(param: 'env' | 'service', v: string): Check<string> {
  return isName(v) ? { ok: true, value: v } : fail(`${param}: ${quote(v)} is not ${param === 'env' ? 'an environment' : 'a service'} name${leftover(v)}; expected ${EXPECTED[param]}`);
}

export function checkTime(v: string): Check<string> {
  // A '+' before the zone offset may have become a space on the way (form encoding).
  const t = normaliseTime(v.replace(/ (\d{2}:?\d{2})$/, '+$1'));
  return t ? { ok: true, value: t } : fail(`time: ${quote(v)} is not a time${leftover(v)}; expected ${EXPECTED.time}`);
}

export function checkMethod(v: string): Check<HttpMethod> {
  const m = normaliseMethod(v);
  return m ? { ok: true, value: m } : fail(`method: ${quote(v)} is not an HTTP method Repro replays; expected ${EXPECTED.method}`);
}

export function checkPath(v: string): Check<string> {
  const problem = pathProblem(v);
  return problem ? fail(`path: ${problem}; expected ${EXPECTED.path}`) : { ok: true, value: v };
}

export function checkUrl(v: string): Check<string> {
  const u = httpUrl(v);
  return u ? { ok: true, value: u } : fail(`url: ${quote(hideCredentials(v))} is not an http(s) address without credentials; expected ${EXPECTED.url}`);
}

export function checkRepo(v: string): Check<string> {
  const bad = (why: string): Check<string> => fail(`repo: ${quote(hideCredentials(v))} ${why}; expected ${EXPECTED.repo}`);
  if (hasControlChars(v) || /\s/.test(v)) return bad('has spaces or control characters');
  if (v.startsWith('-')) return bad('starts with "-"');
  // Only compared with the clone's remotes, never fetched; still, a password in a link is
  // refused so that it is not echoed back in a dialog or a receipt.
  // The user info ends at the authority's last '@' (https://a@b:c@host has the password c).
  const authority = /^[a-z][a-z0-9+.-]*:\/\/([^/?#]*)/i.exec(v)?.[1] ?? '';
  if (authority.slice(0, Math.max(0, authority.lastIndexOf('@'))).includes(':')) return bad('carries a password');
  const n = normaliseRemoteUrl(v);
  if (!n || n.startsWith('file:')) return bad('is not a remote repository URL');
  return { ok: true, value: v };
}

export function checkBody(v: string): Check<string> {
  if (Buffer.byteLength(v, 'utf8') > LIMITS.bodyBytes) return fail(`body: is larger than ${LIMITS.bodyBytes / 1024} KB; put large bodies in a payload file (payload=https://...)`);
  if (v.includes('\u0000')) return fail('body: has a NUL character; expected text (binary bodies cannot be replayed from a link)');
  return { ok: true, value: v };
}

export function checkHeaders(v: string): Check<Record<string, string>> {
  let data: unknown;
  try {
    data = JSON.parse(v);
  } catch (e) {
    return fail(`headers: is not valid JSON (${(e as Error).message}); expected ${EXPECTED.headers}`);
  }
  if (!isObj(data)) return fail(`headers: is ${Array.isArray(data) ? 'an array' : `a ${data === null ? 'null' : typeof data}`}; expected ${EXPECTED.headers}`);
  const entries = Object.entries(data);
  if (entries.length > LIMITS.headers) return fail(`headers: has ${entries.length} headers; at most ${LIMITS.headers} are accepted`);
  const out: Record<string, string> = {};
  const dropped: string[] = [];
  for (const [name, value] of entries) {
    if (!isHeaderName(name)) return fail(`headers: ${quote(name, 40)} is not a header name (letters, digits and ! # $ % & ' * + . ^ _ \` | ~ -)`);
    if (typeof value !== 'string') return fail(`headers: the value of ${name} is ${value === null ? 'null' : `a ${typeof value}`}; expected a string`);
    const problem = headerValueProblem(value);
    if (problem) return fail(`headers: the value of ${name} ${problem}`);
    const lower = name.toLowerCase();
    if (lower in out) return fail(`headers: ${name} is given twice (header names are case-insensitive)`);
    if (isSecretHeader(lower)) { dropped.push(lower); continue; }
    out[lower] = value;
  }
  return { ok: true, value: out, ...(dropped.length ? { warnings: [`headers: removed because they may hold credentials (Repro never replays them): ${dropped.join(', ')}`] } : {}) };
}

/**
 * frames: a JSON array of frame objects, or "file:line:column;file:line" (Windows drive
 * letters work: the line and column are the last numbers).
 */
export function checkFrames(v: string): Check<StackFrame[]> {
  const t = v.trim();
  let raws: { raw: RawFrame; label: string }[];
  if (t.startsWith('[')) {
    let data: unknown;
    try {
      data = JSON.parse(t);
    } catch (e) {
      return fail(`frames: is not valid JSON (${(e as Error).message}); expected ${EXPECTED.frames}`);
    }
    if (!Array.isArray(data)) return fail(`frames: expected ${EXPECTED.frames}`);
    if (data.length > LIMITS.frames) return fail(`frames: has ${data.length} frames; at most ${LIMITS.frames} are accepted (the innermost ones matter most)`);
    raws = [];
    for (const [i, f] of data.entries()) {
      if (!isObj(f)) return fail(`frames[${i}]: is not an object; expected {"file": "src/app.ts", "line": 12}`);
      raws.push({ raw: { file: f.file, line: f.line, column: f.column, function: f.function, inApp: f.inApp }, label: `frames[${i}]` });
    }
  } else {
    const entries = t.split(';').map((e) => e.trim()).filter((e) => e);
    if (entries.length > LIMITS.frames) return fail(`frames: has ${entries.length} frames; at most ${LIMITS.frames} are accepted (the innermost ones matter most)`);
    raws = [];
    for (const [i, e] of entries.entries()) {
      const m = /^(.+?):(\d{1,9})(?::(\d{1,9}))?$/.exec(e);
      if (!m) return fail(`frames[${i}]: ${quote(e)} is not file:line or file:line:column; expected ${EXPECTED.frames}`);
      raws.push({ raw: { file: m[1], line: Number(m[2]), ...(m[3] ? { column: Number(m[3]) } : {}) }, label: `frames[${i}]` });
    }
  }
  if (!raws.length) return fail(`frames: is empty; expected ${EXPECTED.frames}`);
  const frames: StackFrame[] = [];
  for (const { raw, label } of raws) {
    const c = checkFrame(raw, true);
    if ('problem' in c) return fail(`${label}: ${c.problem}; expected a file path without ".." segments (absolute build paths are fine) and a line from 1`);
    frames.push(c.frame);
  }
  return { ok: true, value: frames };
}
