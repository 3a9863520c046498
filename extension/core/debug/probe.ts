// Is the app's debugger really there? The gateway accepts a TCP connection on the published
// port whether or not the app listens behind it, so "the port is open" proves nothing. For
// Node, the inspector must list a target (/json/list) and accept a WebSocket on its
// webSocketDebuggerUrl; JDWP must echo its handshake; for debugpy and Delve the connection
// must stay open (the gateway closes it at once when nothing listens behind it).
import * as net from 'node:net';
import WebSocket from 'ws';
import type { DebugProtocol } from './attachConfig';

export interface ProbeOptions {
  signal?: AbortSignal;
  /** How long to keep trying. Default 30 s. */
  timeoutMs?: number;
  /** Pause between attempts. Default 150 ms. */
  intervalMs?: number;
}

/** One inspector target (a Node process), as /json/list names it. */
export interface InspectorTarget {
  id: string;
  webSocketDebuggerUrl: string;
}

export interface ProbeResult {
  ms: number;
  attempts: number;
  /** Node only: the process the inspector belongs to (a new id means a new process). */
  target?: InspectorTarget;
}

export class DebuggerNotReadyError extends Error {
  constructor(readonly host: string, readonly port: number, readonly protocol: DebugProtocol, readonly lastProblem: string, ms: number) {
    super(`The ${protocol} debugger at ${host}:${port} did not answer within ${(ms / 1000).toFixed(0)} s (last attempt: ${lastProblem}). ` +
      'Check that the app started (its logs in the Sessions view) and that it listens for the debugger on the port repro.yaml gives in apps.<name>.debug.port.');
    this.name = 'DebuggerNotReadyError';
  }
}

export class ProbeCancelledError extends Error {
  constructor() { super('Waiting for the debugger was cancelled.'); this.name = 'ProbeCancelledError'; }
}

const ATTEMPT_MS = 2000;

/** Waits until the debugger at host:port answers for `protocol`; throws DebuggerNotReadyError. */
export async function waitForDebugger(protocol: DebugProtocol, host: string, port: number, opts: ProbeOptions = {}): Promise<ProbeResult> {
  const started = performance.now();
  const timeoutMs = opts.timeoutMs ?? 30000;
  const intervalMs = opts.intervalMs ?? 150;
  let attempts = 0;
  let last = 'no attempt made';
  for (;;) {
    if (opts.signal?.aborted) throw new ProbeCancelledError();
    attempts++;
    try {
      const target = await probeOnce(protocol, host, port, opts.signal);
      return { ms: performance.now() - started, attempts, ...(target ? { target } : {}) };
    } catch (e) {
      if (opts.signal?.aborted) throw new ProbeCancelledError();
      last = (e as Error).message;
    }
    if (performance.now() - started + intervalMs > timeoutMs) throw new DebuggerNotReadyError(host, port, protocol, last, timeoutMs);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

/** One attempt; resolves when the debugger answers, rejects with what was wrong. */
export function probeOnce(protocol: DebugProtocol, host: string, port: number, signal?: AbortSignal): Promise<InspectorTarget | undefined> {
  switch (protocol) {
    case 'inspector': return probeInspector(host, port, signal);
    case 'jdwp': return probeTcp(host, port, Buffer.from('JDWP-Handshake'), signal).then(() => undefined);
    default: return probeTcp(host, port, undefined, signal).then(() => undefined);
  }
}

/** The inspector's first target, after a WebSocket to it opened (and was closed again). */
export async function probeInspector(host: string, port: number, signal?: AbortSignal): Promise<InspectorTarget> {
  const target = await inspectorTarget(host, port, signal);
  // The URL names the host as the inspector saw it; keep only its path and use our address.
  const wsPath = new URL(target.webSocketDebuggerUrl).pathname;
  await new Promise<void>((resolve, reject) => {
    const ws = new WebSocket(`ws://${host}:${port}${wsPath}`, { handshakeTimeout: ATTEMPT_MS });
    const onAbort = () => ws.terminate();
    signal?.addEventListener('abort', onAbort, { once: true });
    ws.once('open', () => { ws.close(); resolve(); });
    ws.once('error', (e) => reject(new Error(`WebSocket ${wsPath}: ${e.message}`)));
    ws.once('close', () => { signal?.removeEventListener('abort', onAbort); reject(new Error('the WebSocket closed before it opened')); });
  });
  return target;
}

/** GET /json/list: the inspector's targets (one per Node process). */
export async function inspectorTarget(host: string, port: number, signal?: AbortSignal): Promise<InspectorTarget> {
  const timeout = AbortSignal.timeout(ATTEMPT_MS);
  const res = await fetch(`http://${host}:${port}/json/list`, { signal: signal ? anySignal(signal, timeout) : timeout }).catch((e: unknown) => {
    const cause = (e as { cause?: { code?: string } }).cause?.code;
    throw new Error(`GET /json/list: ${cause ?? (e as Error).message}`);
  });
  if (!res.ok) throw new Error(`GET /json/list answered ${res.status}`);
  let list: unknown;
  try { list = await res.json(); } catch { throw new Error('GET /json/list did not answer JSON: not a Node inspector'); }
  const first = Array.isArray(list) ? list[0] as Record<string, unknown> | undefined : undefined;
  if (!first || typeof first.id !== 'string' || typeof first.webSocketDebuggerUrl !== 'string' || !/^wss?:\/\//.test(first.webSocketDebuggerUrl)) {
    throw new Error('the inspector lists no debuggable target (is another debugger attached already?)');
  }
  return { id: first.id, webSocketDebuggerUrl: first.webSocketDebuggerUrl };
}

/**
 * A connection that stays open for a moment, and with `handshake` one that echoes it (JDWP).
 * The gateway's forwarder accepts and then closes at once when nothing listens behind it.
 */
export function probeTcp(host: string, port: number, handshake: Buffer | undefined, signal?: AbortSignal, settleMs = 300): Promise<void> {
  return new Promise((resolve, reject) => {
    const sock = net.connect({ host, port });
    let got = Buffer.alloc(0);
    let timer: NodeJS.Timeout | undefined;
    const done = (e?: Error) => {
      if (timer) clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      sock.destroy();
      if (e) reject(e); else resolve();
    };
    const onAbort = () => done(new ProbeCancelledError());
    signal?.addEventListener('abort', onAbort, { once: true });
    sock.setTimeout(ATTEMPT_MS, () => done(new Error(handshake ? 'no handshake answer' : 'connect timed out')));
    sock.once('connect', () => {
      if (handshake) sock.write(handshake);
      else timer = setTimeout(() => done(), settleMs);
    });
    sock.on('data', (d: Buffer) => {
      if (!handshake) return;
      got = Buffer.concat([got, d]);
      if (got.length >= handshake.length) done(got.subarray(0, handshake.length).equals(handshake) ? undefined : new Error('the port answered something other than the JDWP handshake'));
    });
    sock.once('end', () => done(new Error('the connection was closed at once: nothing listens behind the published port yet')));
    sock.once('error', (e) => done(new Error(`connect: ${(e as NodeJS.ErrnoException).code ?? e.message}`)));
  });
}

/** Aborts when either signal does (AbortSignal.any, which older hosts lack). */
export function anySignal(a: AbortSignal, b: AbortSignal): AbortSignal {
  const c = new AbortController();
  const abort = () => c.abort();
  if (a.aborted || b.aborted) c.abort();
  a.addEventListener('abort', abort, { once: true });
  b.addEventListener('abort', abort, { once: true });
  return c.signal;
}
