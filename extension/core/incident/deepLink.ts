// Reproduce links: vscode://reprokit.repro/reproduce?incident=...&commit=...&frames=... put in
// alert rules (linkTemplates.ts), or ?payload=https://... pointing at an alert's JSON on a
// trusted host. Whoever can send someone a link can fill every parameter, so the link is
// bounded as a whole before it is split (a 10 MB parameter is refused at once), each
// parameter is checked against a strict form (linkParams.ts), a repeated parameter is an
// error (which one would win is how filters get bypassed), and nothing in a link is ever run:
// values become Incident fields, and a payload URL is only returned for the caller to fetch.
import { createHash } from 'node:crypto';
import {
  EXPECTED, MAX_CHARS, leftover, checkBody, checkCommit, checkFrames, checkHeaders, checkIncidentId, checkMethod, checkName, checkPath,
  checkRelease, checkRepo, checkTime, checkTitle, checkUrl, type Check,
} from './linkParams';
import { splitQuery } from './linkQuery';
import { makeIncident, type Incident, type IncidentRequest } from './model';
import { redactJsonBody } from './request';
import { checkPayloadUrl } from './trustedHosts';
import { quote } from './values';
import { withCommitFromRelease } from './wellKnownLabels';

export { buildLinkTemplates, type LinkTemplate } from './linkTemplates';
export { TRUSTED_HOSTS_SETTING } from './trustedHosts';

export const LINK_AUTHORITY = 'reprokit.repro';
export const LINK_PATH = '/reproduce';
/** The whole query; an alert's fields and a short stack fit in a few kilobytes. */
export const MAX_QUERY_CHARS = 256 * 1024;

export const LINK_PARAMS = ['incident', 'title', 'commit', 'release', 'env', 'service', 'time', 'frames', 'method', 'path', 'headers', 'body', 'url', 'repo', 'payload'] as const;
type LinkParam = (typeof LINK_PARAMS)[number];

export interface LinkOptions {
  /** The repro.trustedAlertHosts setting: exact hosts or *.suffix patterns. */
  trustedHosts: readonly string[];
}

export type ReproduceLink =
  | { kind: 'incident'; incident: Incident; warnings: string[] }
  | { kind: 'payload-url'; url: string; warnings: string[] }
  | { kind: 'error'; errors: string[] };

/** A VS Code Uri's parts (uri.path, uri.query), the query already percent-decoded by VS Code. */
export interface UriParts { path: string; query: string }

const error = (...errors: string[]): ReproduceLink => ({ kind: 'error', errors });

/**
 * A link (as text, or as VS Code's Uri) -> an Incident, a payload URL to fetch, or the errors.
 * Never throws.
 */
export function parseReproduceLink(uri: string | UriParts, opts: LinkOptions): ReproduceLink {
  try {
    return parse(uri, opts);
  } catch (e) {
    return error(`internal error while reading the link (please report it): ${(e as Error)?.message ?? String(e)}`);
  }
}

function parse(uri: string | UriParts, opts: LinkOptions): ReproduceLink {
  let path: string;
  let query: string;
  const decoded = typeof uri !== 'string';
  const warnings: string[] = [];
  if (typeof uri === 'string') {
    const q = uri.indexOf('?');
    const head = q < 0 ? uri : uri.slice(0, q);
    query = q < 0 ? '' : uri.slice(q + 1);
    if (head.length > 4096) return error(`the link's address part is ${head.length} characters long; expected ${LINK_AUTHORITY}${LINK_PATH}`);
    const m = /^([A-Za-z][A-Za-z0-9+.-]*):\/\/([^/?#]*)(\/[^?#]*)?$/.exec(head);
    if (!m) return error(`the link ${quote(head)} is not a reproduce link; expected <scheme>://${LINK_AUTHORITY}${LINK_PATH}?incident=...`);
    if (m[2]!.toLowerCase() !== LINK_AUTHORITY) return error(`the link is for ${quote(m[2]!)}, not for Repro (${LINK_AUTHORITY})`);
    path = m[3] ?? '';
  } else {
    if (!uri || typeof uri.path !== 'string' || typeof uri.query !== 'string') return error('the link has no path or query');
    path = uri.path;
    query = uri.query;
  }
  // Bounded before anything walks the text.
  if (query.length > MAX_QUERY_CHARS) {
    return error(`the link's query is ${query.length} characters long; Repro reads at most ${MAX_QUERY_CHARS} (256 KB). Put large data (long stacks, request bodies) in the alert's payload and link it with payload=https://...`);
  }
  // In text, '#' starts the fragment; in VS Code's Uri the fragment is apart already and a '#'
  // in the query is a decoded %23 that belongs to a value.
  const hash = decoded ? -1 : query.indexOf('#');
  if (hash >= 0) {
    if (query.length > hash + 1) warnings.push('the link\'s #fragment is ignored');
    query = query.slice(0, hash);
  }
  if (path.replace(/\/+$/, '') !== LINK_PATH) return error(`the link's path is ${quote(path)}; Repro handles ${LINK_PATH} (e.g. vscode://${LINK_AUTHORITY}${LINK_PATH}?incident=INC-1234&commit=4f2c9a1)`);

  const split = splitQuery(query, decoded);
  const errors = [...split.errors];
  const values = new Map<LinkParam, string>();
  const unknown: string[] = [];
  const counts = new Map<string, number>();
  for (const { name } of split.params) counts.set(name, (counts.get(name) ?? 0) + 1);
  for (const [name, n] of counts) {
    if (n > 1 && (LINK_PARAMS as readonly string[]).includes(name)) errors.push(`${name}: given ${n} times; give each parameter once`);
  }
  for (const { name, value } of split.params) {
    if (!(LINK_PARAMS as readonly string[]).includes(name)) {
      if (!unknown.includes(name)) unknown.push(name);
      continue;
    }
    const p = name as LinkParam;
    if (value.length > MAX_CHARS[p]!) {
      // An unrendered template expression is often longer than the value it stands for.
      errors.push(`${p}: is ${value.length} characters long; at most ${MAX_CHARS[p]} are accepted${leftover(value)}; expected ${EXPECTED[p]}`);
      continue;
    }
    // An empty value is what a template gives for a label the alert does not have.
    if (value !== '' && !values.has(p)) values.set(p, value);
  }
  if (unknown.length) {
    const names = unknown.slice(0, 10).map((n) => quote(n, 40)).join(', ');
    warnings.push(`unknown link parameters ignored: ${names}${unknown.length > 10 ? ` and ${unknown.length - 10} more` : ''} (Repro reads ${LINK_PARAMS.join(', ')})`);
  }
  if (errors.length) return error(...errors);

  const payload = values.get('payload');
  if (payload !== undefined) {
    const others = [...values.keys()].filter((k) => k !== 'payload');
    if (others.length) return error(`payload: cannot be combined with ${others.join(', ')}; a link either points at the alert's payload or carries the incident's fields`);
    const c = checkPayloadUrl(payload, opts?.trustedHosts ?? []);
    return c.ok ? { kind: 'payload-url', url: c.value, warnings: [...warnings, ...(c.warnings ?? [])] } : error(c.error);
  }
  if (!values.size) {
    return error(`the link has no incident in it: expected ${LINK_PATH}?incident=<id>&commit=<sha>... or ${LINK_PATH}?payload=https://<trusted host>/...`);
  }
  return buildIncident(values, decoded, warnings);
}

function buildIncident(values: Map<LinkParam, string>, decoded: boolean, warnings: string[]): ReproduceLink {
  const errors: string[] = [];
  const take = <T>(p: LinkParam, check: (v: string) => Check<T>): T | undefined => {
    const v = values.get(p);
    if (v === undefined) return undefined;
    const c = check(v);
    if (!c.ok) { errors.push(c.error); return undefined; }
    if (c.warnings) warnings.push(...c.warnings);
    return c.value;
  };
  const id = take('incident', checkIncidentId);
  const title = take('title', checkTitle);
  const commit = take('commit', checkCommit);
  const release = take('release', (v) => checkRelease(v, decoded));
  const environment = take('env', (v) => checkName('env', v));
  const service = take('service', (v) => checkName('service', v));
  const time = take('time', checkTime);
  const frames = take('frames', checkFrames);
  const method = take('method', checkMethod);
  const path = take('path', checkPath);
  const headers = take('headers', checkHeaders);
  const body = take('body', checkBody);
  const url = take('url', checkUrl);
  const repository = take('repo', checkRepo);
  const requestParams = (['method', 'path', 'headers', 'body'] as const).filter((p) => values.has(p));
  if (requestParams.length && (!values.has('method') || !values.has('path'))) {
    errors.push(`method, path: a request needs both (given: ${requestParams.join(', ')}); expected e.g. method=POST&path=/orders`);
  }
  if (errors.length) return error(...errors);

  let request: IncidentRequest | undefined;
  // A body's credential-like JSON values go as they do from a payload: a link is shown, kept
  // in the incident history and the receipt.
  if (method && path) request = { method, path, headers: headers ?? {}, ...(body !== undefined ? { body: redactJsonBody(body, warnings) } : {}) };
  const known = withCommitFromRelease({ commit, ...(release ? { release } : {}) }, warnings);
  // Without an id the link's own content names it, so the same link is the same incident.
  const incidentId = id ?? `link-${createHash('sha256').update(JSON.stringify([...values].sort())).digest('hex').slice(0, 16)}`;
  const incident = makeIncident({
    id: incidentId,
    source: 'link',
    title: title ?? `Incident ${incidentId}`,
    environment,
    service,
    time,
    commit: known.commit,
    release: known.release,
    frames: frames ?? [],
    request,
    url,
    repository,
    labels: {},
  });
  return { kind: 'incident', incident, warnings };
}
