// "Replay Request": the incident's failing request, sent to the session's app on 127.0.0.1,
// so the debugger stops where production failed. The request comes from a receipt on disk (or
// what the user typed), so it is checked again here as at the incident's boundary: method from
// the list, a path that is a path, headers that cannot smuggle another header or a credential.
import { HTTP_METHODS, type IncidentRequest } from '../incident/model';
import { headerValueProblem, isHeaderName, isSecretHeader, normaliseMethod, pathProblem } from '../incident/request';
import { anySignal } from './probe';

/** Headers the HTTP client sets itself from the connection and the body. */
const HOP_BY_HOP = new Set(['host', 'content-length', 'connection', 'transfer-encoding', 'keep-alive', 'upgrade', 'te', 'trailer', 'expect']);

export interface ReplayResult {
  status: number;
  ms: number;
  /** The start of the answer's body, for the message (at most 2 KB). */
  body: string;
  contentType?: string;
}

export class ReplayTimeoutError extends Error {
  constructor(readonly ms: number) {
    super(`The app did not answer within ${(ms / 1000).toFixed(1)} s. If the debugger is paused, continue it; otherwise see the app's logs.`);
    this.name = 'ReplayTimeoutError';
  }
}

/** What is wrong with a request to replay, or undefined when it can be sent. */
export function replayProblem(r: unknown): string | undefined {
  if (typeof r !== 'object' || r === null) return 'no request';
  const q = r as Record<string, unknown>;
  if (typeof q.method !== 'string' || !(HTTP_METHODS as readonly string[]).includes(q.method)) return `method ${JSON.stringify(q.method)} is not one of ${HTTP_METHODS.join(', ')}`;
  if (typeof q.path !== 'string') return 'the request has no path';
  const p = pathProblem(q.path);
  if (p) return `path ${p}`;
  if (q.headers !== undefined && (typeof q.headers !== 'object' || q.headers === null || Array.isArray(q.headers))) return 'headers are not a name -> value object';
  for (const [k, v] of Object.entries((q.headers ?? {}) as Record<string, unknown>)) {
    if (!isHeaderName(k)) return `header name ${JSON.stringify(k)} is not a valid HTTP header name`;
    if (isSecretHeader(k)) return `header ${k} may hold a credential; Repro never replays credentials`;
    if (typeof v !== 'string' || headerValueProblem(v)) return `header ${k}: ${typeof v === 'string' ? headerValueProblem(v) : 'the value is not text'}`;
  }
  if (q.body !== undefined && typeof q.body !== 'string') return 'the body is not text';
  return undefined;
}

/**
 * "GET /customers/137/badge" (what a person types when a session has no incident) as a
 * request, or the problem in words.
 */
export function parseRequestLine(line: string): { request: IncidentRequest } | { error: string } {
  const m = /^\s*(?:([A-Za-z]+)\s+)?(\S+)\s*$/.exec(line);
  if (!m) return { error: 'expected a method and a path, e.g. GET /customers/137/badge' };
  const method = normaliseMethod(m[1] ?? 'GET');
  if (!method) return { error: `method "${m[1]}" is not one of ${HTTP_METHODS.join(', ')}` };
  const problem = pathProblem(m[2]!);
  if (problem) return { error: `the path ${problem}` };
  return { request: { method, path: m[2]!, headers: {} } };
}

/**
 * Sends `request` to `baseUrl` (http://127.0.0.1:<port>). Resolves with the answer, however
 * long a paused debugger holds it, up to `timeoutMs` (default 10 minutes).
 */
export async function replayRequest(baseUrl: string, request: IncidentRequest, opts: { signal?: AbortSignal; timeoutMs?: number } = {}): Promise<ReplayResult> {
  const problem = replayProblem(request);
  if (problem) throw new Error(`The request cannot be replayed: ${problem}.`);
  const base = new URL(baseUrl);
  if (base.protocol !== 'http:' || !['127.0.0.1', 'localhost', '[::1]'].includes(base.hostname)) {
    throw new Error(`Repro replays requests only to a session on this machine (http://127.0.0.1:<port>), not to ${base.origin}.`);
  }
  const url = new URL(request.path, base);
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(request.headers)) if (!HOP_BY_HOP.has(k.toLowerCase())) headers[k] = v;
  const timeoutMs = opts.timeoutMs ?? 10 * 60_000;
  const timeout = AbortSignal.timeout(timeoutMs);
  const started = performance.now();
  let res: Response;
  try {
    res = await fetch(url, {
      method: request.method,
      headers,
      redirect: 'manual',
      signal: opts.signal ? anySignal(opts.signal, timeout) : timeout,
      ...(request.body !== undefined && request.method !== 'GET' && request.method !== 'HEAD' ? { body: request.body } : {}),
    });
  } catch (e) {
    if (timeout.aborted) throw new ReplayTimeoutError(timeoutMs);
    if (opts.signal?.aborted) throw e;
    const code = (e as { cause?: { code?: string } }).cause?.code;
    throw new Error(`${request.method} ${url.pathname}${url.search} could not reach ${base.host}: ${code ?? (e as Error).message}. Is the session's app running?`);
  }
  const text = await res.text().catch(() => '');
  const contentType = res.headers.get('content-type');
  return { status: res.status, ms: performance.now() - started, body: text.slice(0, 2048), ...(contentType ? { contentType } : {}) };
}
