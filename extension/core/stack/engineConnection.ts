// Finds the container engine (Docker or Podman, anything that speaks the Docker Engine API)
// and connects dockerode to it. Where it looks, in order, like the docker CLI:
//   1. an explicit host (the repro.engine.host setting / the CLI's --engine): only that one;
//   2. DOCKER_HOST (+ DOCKER_TLS_VERIFY / DOCKER_CERT_PATH for tcp): only that one;
//   3. the current Docker context (DOCKER_CONTEXT, else currentContext in
//      ~/.docker/config.json -> ~/.docker/contexts/meta/<sha256 of name>/meta.json);
//   4. the default sockets: /var/run/docker.sock, $XDG_RUNTIME_DIR/podman/podman.sock,
//      /run/podman/podman.sock, ~/.docker/run/docker.sock (the first that answers).
// No vscode import here: the CLI and the plain node tests use this module unchanged.
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as https from 'node:https';
import * as os from 'node:os';
import * as path from 'node:path';
import Docker from 'dockerode';

export type EngineKind = 'docker' | 'podman';
export type EndpointSource = 'setting' | 'DOCKER_HOST' | 'context' | 'default';

export interface EngineCandidate {
  /** unix:///path, npipe:////./pipe/name, tcp://host:port, ssh://user@host[:port] */
  endpoint: string;
  source: EndpointSource;
  /** the Docker context it came from */
  context?: string;
  /** for tcp: directory with ca.pem / cert.pem / key.pem, and whether to use TLS */
  tls?: { certDir?: string; verify: boolean };
}

export interface ConnectOptions {
  /** explicit endpoint (repro.engine.host); empty or undefined: look it up */
  host?: string;
  /** per-endpoint limit for _ping + version (default 5 s; 15 s over ssh) */
  timeoutMs?: number;
  /** defaults to process.env */
  env?: NodeJS.ProcessEnv;
  /** defaults to os.homedir() */
  homeDir?: string;
}

export interface EngineConnection {
  docker: Docker;
  endpoint: string;
  source: EndpointSource;
  engine: EngineKind;
  version: string;
  apiVersion: string;
  /** sources that were skipped on the way (e.g. a Docker context without an endpoint) */
  notes: string[];
}

export interface EngineAttempt {
  endpoint: string;
  source: EndpointSource;
  /** ENOENT, ECONNREFUSED, EACCES, timeout after 5000 ms, ... */
  reason: string;
}

export const START_ENGINE_HINT =
  'Start Docker (sudo systemctl start docker / `dockerd`), or Podman ' +
  '(`podman system service --time=0 unix:///run/podman/podman.sock`), or set repro.engine.host / DOCKER_HOST.';

export class EngineUnavailableError extends Error {
  constructor(readonly attempts: EngineAttempt[], readonly notes: string[] = []) {
    super(EngineUnavailableError.format(attempts, notes));
    this.name = 'EngineUnavailableError';
  }

  static format(attempts: EngineAttempt[], notes: string[]): string {
    const where = attempts.map((a) => `${a.endpoint} (${a.reason}${a.source === 'default' ? '' : `; from ${sourceLabel(a.source)}`})`);
    const extra = [...notes];
    if (attempts.some((a) => a.reason.startsWith('EACCES'))) {
      extra.push('Permission denied on a socket: add your user to the `docker` group (then log in again), or use rootless Docker / Podman.');
    }
    return `No container engine answered at ${where.join(', ') || 'any known endpoint'}. ${START_ENGINE_HINT}${extra.length ? ` ${extra.join(' ')}` : ''}`;
  }
}

function sourceLabel(s: EndpointSource): string {
  return s === 'setting' ? 'repro.engine.host' : s === 'context' ? 'the Docker context' : s;
}

/** Normalises what a user may type: a bare socket path means unix://, host:port means tcp://. */
export function normaliseEndpoint(raw: string): string {
  const s = raw.trim();
  if (s.startsWith('/')) return `unix://${s}`;
  if (/^\\\\\.\\pipe\\/.test(s) || s.startsWith('//./pipe/')) return `npipe://${s.replace(/\\/g, '/')}`;
  if (!/^[a-z][a-z0-9+.-]*:\/\//i.test(s)) return `tcp://${s}`;
  return s;
}

/** The docker CLI's config dir: $DOCKER_CONFIG, else ~/.docker. */
function dockerConfigDir(env: NodeJS.ProcessEnv, home: string): string {
  return env.DOCKER_CONFIG || path.join(home, '.docker');
}

function readJson(file: string): unknown {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8')) as unknown;
  } catch {
    return undefined;
  }
}

/** The current Docker context's endpoint, or why there is none (undefined: the "default" context). */
export function currentContext(env: NodeJS.ProcessEnv = process.env, home = os.homedir()):
  { name: string; candidate?: EngineCandidate; problem?: string } | undefined {
  const dir = dockerConfigDir(env, home);
  const cfg = readJson(path.join(dir, 'config.json')) as { currentContext?: unknown } | undefined;
  const name = env.DOCKER_CONTEXT || (typeof cfg?.currentContext === 'string' ? cfg.currentContext : '');
  if (!name || name === 'default') return undefined;
  const id = createHash('sha256').update(name).digest('hex');
  const metaFile = path.join(dir, 'contexts', 'meta', id, 'meta.json');
  const meta = readJson(metaFile) as { Endpoints?: { docker?: { Host?: unknown; SkipTLSVerify?: unknown } } } | undefined;
  const host = meta?.Endpoints?.docker?.Host;
  if (typeof host !== 'string' || !host) return { name, problem: `Docker context "${name}" has no readable endpoint (${metaFile}).` };
  const tlsDir = path.join(dir, 'contexts', 'tls', id, 'docker');
  const hasTls = fs.existsSync(path.join(tlsDir, 'ca.pem')) || fs.existsSync(path.join(tlsDir, 'cert.pem'));
  return {
    name,
    candidate: {
      endpoint: normaliseEndpoint(host),
      source: 'context',
      context: name,
      ...(hasTls ? { tls: { certDir: tlsDir, verify: meta?.Endpoints?.docker?.SkipTLSVerify !== true } } : {}),
    },
  };
}

/** The default sockets, in the order they are tried. */
export function defaultSockets(env: NodeJS.ProcessEnv = process.env, home = os.homedir()): string[] {
  const socks = ['/var/run/docker.sock'];
  if (env.XDG_RUNTIME_DIR) socks.push(path.join(env.XDG_RUNTIME_DIR, 'podman', 'podman.sock'));
  socks.push('/run/podman/podman.sock', path.join(home, '.docker', 'run', 'docker.sock'));
  return socks;
}

/** Where to look, in order, and notes about sources that were skipped. */
export function engineCandidates(opts: ConnectOptions = {}): { candidates: EngineCandidate[]; notes: string[] } {
  const env = opts.env ?? process.env;
  const home = opts.homeDir ?? os.homedir();
  const explicit = opts.host?.trim();
  if (explicit) return { candidates: [withEnvTls({ endpoint: normaliseEndpoint(explicit), source: 'setting' }, env, home)], notes: [] };
  if (env.DOCKER_HOST?.trim()) {
    return { candidates: [withEnvTls({ endpoint: normaliseEndpoint(env.DOCKER_HOST), source: 'DOCKER_HOST' }, env, home)], notes: [] };
  }
  const notes: string[] = [];
  const ctx = currentContext(env, home);
  if (ctx?.candidate) return { candidates: [ctx.candidate], notes };
  if (ctx?.problem) notes.push(`${ctx.problem} Fell back to the default sockets.`);
  return { candidates: defaultSockets(env, home).map((s) => ({ endpoint: `unix://${s}`, source: 'default' as const })), notes };
}

/** tcp endpoints: TLS as the docker CLI decides it (DOCKER_TLS_VERIFY, DOCKER_CERT_PATH, port 2376). */
function withEnvTls(c: EngineCandidate, env: NodeJS.ProcessEnv, home: string): EngineCandidate {
  if (!/^(tcp|https?):\/\//.test(c.endpoint)) return c;
  const url = new URL(c.endpoint.replace(/^tcp:/, 'http:'));
  const verify = env.DOCKER_TLS_VERIFY === '1';
  const certDir = env.DOCKER_CERT_PATH || dockerConfigDir(env, home);
  const haveCerts = fs.existsSync(path.join(certDir, 'ca.pem')) || fs.existsSync(path.join(certDir, 'cert.pem'));
  if (verify || url.port === '2376' || c.endpoint.startsWith('https:') || (env.DOCKER_CERT_PATH && haveCerts)) {
    return { ...c, tls: { ...(haveCerts ? { certDir } : {}), verify } };
  }
  return c;
}

function readIf(file: string): Buffer | undefined {
  try {
    return fs.readFileSync(file);
  } catch {
    return undefined;
  }
}

/**
 * A dockerode client for one endpoint. Every connection option is set explicitly, so
 * DOCKER_HOST & co. in the environment (which docker-modem also reads) cannot leak into it.
 */
export function dockerFor(c: EngineCandidate, env: NodeJS.ProcessEnv = process.env): Docker {
  const base: Docker.DockerOptions & Record<string, unknown> = {
    socketPath: undefined, host: undefined, port: undefined, protocol: undefined,
    ca: undefined, cert: undefined, key: undefined, username: undefined, timeout: undefined,
  };
  const ep = c.endpoint;
  if (ep.startsWith('unix://')) return new Docker({ ...base, socketPath: ep.slice('unix://'.length) || '/var/run/docker.sock' });
  if (ep.startsWith('npipe://')) return new Docker({ ...base, socketPath: ep.slice('npipe://'.length) || '//./pipe/docker_engine' });
  const url = new URL(ep.replace(/^tcp:/, 'http:'));
  if (url.protocol === 'ssh:') {
    return new Docker({
      ...base,
      protocol: 'ssh',
      host: url.hostname,
      port: url.port || 22,
      username: decodeURIComponent(url.username) || os.userInfo().username,
      sshOptions: { agent: env.SSH_AUTH_SOCK },
    } as Docker.DockerOptions);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error(`unsupported engine address ${ep}: use unix://, tcp://, ssh:// or npipe://`);
  const tls = c.tls;
  const d = tls?.certDir;
  const material = d ? { ca: readIf(path.join(d, 'ca.pem')), cert: readIf(path.join(d, 'cert.pem')), key: readIf(path.join(d, 'key.pem')) } : {};
  return new Docker({
    ...base,
    protocol: tls ? 'https' : 'http',
    host: url.hostname,
    port: url.port || (tls ? 2376 : 2375),
    ...material,
    // like the docker CLI with --tls but without DOCKER_TLS_VERIFY: encrypted, not verified
    ...(tls && !tls.verify ? { agent: new https.Agent({ rejectUnauthorized: false }), checkServerIdentity: () => undefined } : {}),
  } as Docker.DockerOptions);
}

function errorReason(e: unknown, timeoutMs: number): string {
  const err = e as { code?: unknown; name?: unknown; message?: unknown; statusCode?: unknown } | undefined;
  if (err?.name === 'AbortError' || err?.name === 'TimeoutError' || err?.code === 'ETIMEDOUT') return `timeout after ${timeoutMs} ms`;
  if (typeof err?.code === 'string' && /^E[A-Z]+$/.test(err.code)) return err.code;
  if (typeof err?.statusCode === 'number') return `HTTP ${err.statusCode}`;
  const msg = typeof err?.message === 'string' ? err.message : String(e);
  if (/Cannot find module 'ssh2'/.test(msg)) return 'ssh transport not available in this build';
  return msg.length > 120 ? `${msg.slice(0, 117)}...` : msg;
}

async function withTimeout<T>(ms: number, fn: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const ctl = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      ctl.abort();
      reject(Object.assign(new Error(`timeout after ${ms} ms`), { name: 'TimeoutError' }));
    }, ms);
  });
  try {
    return await Promise.race([fn(ctl.signal), expired]);
  } finally {
    clearTimeout(timer);
  }
}

// @types/dockerode does not declare the options argument ping/version accept (abortSignal).
type Pingable = {
  ping(o: { abortSignal: AbortSignal }): Promise<unknown>;
  version(o: { abortSignal: AbortSignal }): Promise<Docker.DockerVersion & { Platform?: { Name?: string } }>;
};

export function engineKindOf(v: { Components?: { Name?: string }[]; Platform?: { Name?: string } }): EngineKind {
  const names = [v.Platform?.Name ?? '', ...(v.Components ?? []).map((c) => c.Name ?? '')];
  return names.some((n) => /podman/i.test(n)) ? 'podman' : 'docker';
}

/**
 * Whether readiness must be checked through exec: the engine does not run health checks at
 * start-up pace. Podman without systemd runs none; Docker before API 1.44 has no start
 * interval, so its first check would come only after the steady interval (plan.ts).
 */
export function selfHealthCheck(conn: Pick<EngineConnection, 'engine' | 'apiVersion'>): boolean {
  if (conn.engine === 'podman') return true;
  const [major = 0, minor = 0] = conn.apiVersion.split('.').map(Number);
  return major < 1 || (major === 1 && minor < 44);
}

/**
 * Connects to the first engine that answers _ping, and reads its version. Throws
 * EngineUnavailableError naming every endpoint tried, why each failed, and how to start one.
 */
export async function connectEngine(opts: ConnectOptions = {}): Promise<EngineConnection> {
  const env = opts.env ?? process.env;
  const { candidates, notes } = engineCandidates(opts);
  const attempts: EngineAttempt[] = [];
  for (const c of candidates) {
    const timeoutMs = opts.timeoutMs ?? (c.endpoint.startsWith('ssh://') ? 15_000 : 5_000);
    if (c.endpoint.startsWith('unix://') && !fs.existsSync(c.endpoint.slice('unix://'.length))) {
      attempts.push({ endpoint: c.endpoint, source: c.source, reason: 'ENOENT' });
      continue;
    }
    try {
      const docker = dockerFor(c, env);
      const api = docker as unknown as Pingable;
      const v = await withTimeout(timeoutMs, async (signal) => {
        await api.ping({ abortSignal: signal });
        return api.version({ abortSignal: signal });
      });
      return {
        docker,
        endpoint: c.endpoint,
        source: c.source,
        engine: engineKindOf(v),
        version: v.Version,
        apiVersion: v.ApiVersion,
        notes,
      };
    } catch (e) {
      attempts.push({ endpoint: c.endpoint, source: c.source, reason: errorReason(e, timeoutMs) });
    }
  }
  throw new EngineUnavailableError(attempts, notes);
}

/** A short human description of an endpoint, for the UI ("local socket /var/run/docker.sock"). */
export function describeEndpoint(endpoint: string, engine?: EngineKind): string {
  const who = engine === 'podman' ? 'Podman' : engine === 'docker' ? 'Docker' : 'engine';
  const ep = normaliseEndpoint(endpoint);
  if (ep.startsWith('unix://')) return `${who} on local socket ${ep.slice(7)}`;
  if (ep.startsWith('npipe://')) return `${who} on named pipe ${ep.slice(8)}`;
  try {
    const u = new URL(ep.replace(/^tcp:/, 'http:'));
    if (u.protocol === 'ssh:') return `${who} over SSH at ${u.username ? `${decodeURIComponent(u.username)}@` : ''}${u.host}`;
    return `${who} at ${u.host}${ep.startsWith('https:') || u.port === '2376' ? ' (TLS)' : ''}`;
  } catch {
    return `${who} at ${ep}`;
  }
}
