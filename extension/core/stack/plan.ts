// Manifest -> the containers, networks and volumes of one reproduction session. A pure
// function: no engine, no clock, no randomness, so `repro plan --json` is stable and the
// engine layer only executes what is written here.
//
// Isolation: every service and app joins one internal network only (no route out of the
// machine, so a clone can never send a production email or payment). What the host must reach
// (an app's port, its debugger) is published by a gateway container: a plain TCP forwarder that
// joins the internal network and an "edge" network, the only one with published ports, bound
// to 127.0.0.1. The app itself never touches a network with a way out. Host ports are chosen
// by the engine when the session starts (hostPort 0 here).
import { runtimeKind, serviceKind, shellPortCheck } from '../manifest/catalogue';
import { relationshipGraph, startWaves, targetName } from '../manifest/graph';
import type { App, Manifest, Service } from '../manifest/schema';
import { splitTypeVersion } from '../manifest/versions';
import { formatPublish, LABEL, sessionLabels } from './labels';
import { GO_DEBUG_BUILD_TIMEOUT_MS, GO_DEBUG_CAPABILITY, goDebugCommand, startsOwnDelve, startsUnderDlvDebug } from './goDebug';
import { javaDebugCommand, startsOwnJdwp } from './javaDebug';
import { inspectOption } from './nodeDebug';
import { PYTHON_DEBUG_VARIABLES, pythonDebugStart, startsOwnDebugpy } from './pythonDebug';

export interface PlannedPort {
  /** The app the port leads to. */
  entry: string;
  /** What the port is for: "http" or "debug". */
  name: string;
  /** The port the app listens on, inside its container. */
  targetPort: number;
  /** The port the gateway listens on, inside the gateway container. */
  containerPort: number;
  /** 0 = chosen by the engine when the session starts (a free port, never assumed). */
  hostPort: number;
  hostIp: '127.0.0.1';
}

export interface PlannedMount {
  type: 'volume' | 'bind';
  source: string;
  target: string;
  readOnly: boolean;
}

/**
 * A container's health check. While it starts, the check runs every `startIntervalMs` (a
 * session is ready as soon as its services are); once it has passed, every `intervalMs`,
 * which is only what the Sessions view shows: each check is an exec in the container, and at
 * the start-up pace an idle session of two services kept 0.6 of a core busy (measured).
 */
export interface PlannedHealth {
  test: string[];
  startIntervalMs: number;
  intervalMs: number;
  timeoutMs: number;
  /** Failures in a row, after the start period, that make the container unhealthy. */
  retries: number;
  /** How long start-up failures do not count (the longest a start is waited for). */
  startPeriodMs: number;
  /** What a failing check means, in the manifest's words, for the error. */
  failing?: string;
}

/** The pace of a started container's health check (see PlannedHealth). */
export const STEADY_HEALTH_INTERVAL_MS = 5000;

const health = (test: string[], startIntervalMs: number, startPeriodMs: number, timeoutMs = 5000): PlannedHealth =>
  ({ test, startIntervalMs, intervalMs: STEADY_HEALTH_INTERVAL_MS, timeoutMs, retries: 3, startPeriodMs });

export interface PlannedContainer {
  name: string;
  /** The manifest entry it comes from. */
  entry: string;
  role: 'service' | 'app' | 'gateway';
  /** "postgresql:15" or "nodejs:20". */
  type: string;
  image: string;
  /** Host name other containers reach it by on the internal network. */
  hostname: string;
  env: Record<string, string>;
  /** Exec-form command; undefined keeps the image's default. */
  cmd?: string[];
  workingDir?: string;
  networks: string[];
  ports: PlannedPort[];
  mounts: PlannedMount[];
  health?: PlannedHealth;
  resources: { memoryBytes?: number; nanoCpus?: number };
  /** Linux capabilities added to the engine's defaults (SYS_PTRACE for a Go app's debugger). */
  capAdd?: string[];
  /** How long it may take to become ready, when its start is known to be longer than an app's usual minute. */
  readyTimeoutMs?: number;
  dependsOn: string[];
  labels: Record<string, string>;
}

export interface PlannedNetwork {
  name: string;
  internal: boolean;
  labels: Record<string, string>;
}

export interface PlannedVolume {
  name: string;
  labels: Record<string, string>;
}

export interface Plan {
  session: string;
  project: string;
  networks: PlannedNetwork[];
  volumes: PlannedVolume[];
  containers: PlannedContainer[];
  /** Start order: each wave's containers depend only on earlier waves and start in parallel. */
  waves: string[][];
  /** What is reachable from the host, through the gateway. */
  published: PlannedPort[];
}

export interface PlanOptions {
  /** Session id; names every resource. */
  session: string;
  /** Host folder holding the code the apps run (the incident's worktree); omitted = no bind mount. */
  sourceDir?: string;
  incident?: string;
  /** Image of the gateway that publishes ports; it needs a busybox-style `nc` with -ll and -e. */
  gatewayImage?: string;
}

export const DEFAULT_GATEWAY_IMAGE = 'busybox:1.36.1';

export const SESSION_ID = /^[a-z0-9][a-z0-9_.-]{0,40}$/;

/**
 * The session a project's own stack runs as (`repro up`, Start Session, parity, the CLI's
 * default): the project name with "_" as "-" (it names containers and host names), cut to
 * what the engine's names leave room for. A project name is always a valid session name this way.
 */
export function projectSessionName(project: string): string {
  return project.replace(/_/g, '-').slice(0, 41).replace(/[-._]+$/, '');
}

export function planSession(m: Manifest, opts: PlanOptions): Plan {
  if (!SESSION_ID.test(opts.session)) {
    throw new Error(`invalid session name "${opts.session}": use 1-41 lower-case letters, digits, ".", "_" or "-"`);
  }
  const prefix = `repro-${opts.session}`;
  const labels = sessionLabels({ session: opts.session, project: m.project.name, ...(opts.incident ? { incident: opts.incident } : {}) });
  const internal = `${prefix}-internal`;
  const edge = `${prefix}-edge`;
  const services = m.services ?? {};
  const apps = m.apps ?? {};
  const volumes: PlannedVolume[] = [];
  const containers: PlannedContainer[] = [];

  for (const [name, s] of Object.entries(services)) {
    const c = planService(name, s, prefix, internal, labels);
    if (c.mounts.length) volumes.push({ name: c.mounts[0]!.source, labels: { ...labels, [LABEL.service]: name } });
    containers.push(c);
  }
  const published: PlannedPort[] = [];
  for (const [name, a] of Object.entries(apps)) {
    containers.push(planApp(name, a, m, prefix, internal, labels, opts.sourceDir));
    if (a.port) published.push(port(published, name, 'http', a.port));
    if (a.debug) published.push(port(published, name, 'debug', a.debug.port));
  }

  const waves = startWaves(relationshipGraph({ ...services, ...apps }))
    .map((w) => w.map((entry) => `${prefix}-${entry}`));
  const networks: PlannedNetwork[] = [{ name: internal, internal: true, labels }];
  if (published.length) {
    networks.push({ name: edge, internal: false, labels });
    const gateway = planGateway(prefix, internal, edge, labels, published, opts.gatewayImage ?? DEFAULT_GATEWAY_IMAGE);
    containers.push(gateway);
    // The gateway resolves an app's name per connection, so it needs nothing started before
    // it: it starts with the first wave instead of after the apps (about 0.7 s less to wait).
    if (waves[0]) waves[0].push(gateway.name); else waves.push([gateway.name]);
  }
  return { session: opts.session, project: m.project.name, networks, volumes, containers, waves, published };
}

function port(taken: readonly PlannedPort[], entry: string, name: string, targetPort: number): PlannedPort {
  // The gateway listens on the app's own port unless another app already uses that number.
  let containerPort = targetPort;
  while (taken.some((p) => p.containerPort === containerPort)) containerPort = containerPort >= 65535 ? 20000 : containerPort + 1;
  return { entry, name, targetPort, containerPort, hostPort: 0, hostIp: '127.0.0.1' };
}

function planGateway(
  prefix: string, internal: string, edge: string, labels: Record<string, string>, published: PlannedPort[], image: string,
): PlannedContainer {
  // One persistent `nc -ll` listener per port; each connection runs `nc <app> <port>` on the
  // internal network. The trap makes the shell (PID 1) stop promptly on SIGTERM.
  const forwards = published.map((p) => `nc -ll -p ${p.containerPort} -e nc ${p.entry} ${p.targetPort} &`).join(' ');
  // Ready when every listener is up (a socket in state 0A, LISTEN, in /proc/net/tcp[6]): the
  // ports are usable the moment up() returns. Only grep, so any busybox-style image has it.
  const listening = published.map((p) => {
    const hex = p.containerPort.toString(16).toUpperCase().padStart(4, '0');
    return `grep -qsE '^ *[0-9]+: [0-9A-F]+:${hex} [0-9A-F]+:[0-9A-F]{4} 0A' /proc/net/tcp /proc/net/tcp6`;
  }).join(' && ');
  return {
    name: `${prefix}-gateway`,
    entry: 'gateway',
    role: 'gateway',
    type: 'gateway',
    image,
    hostname: 'gateway',
    env: {},
    cmd: ['sh', '-c', `trap 'exit 0' TERM INT; ${forwards} wait`],
    networks: [edge, internal],
    ports: published,
    mounts: [],
    health: health(['sh', '-c', listening], 100, 30_000, 2000),
    resources: { memoryBytes: 64 * 1024 ** 2 },
    dependsOn: [],
    labels: { ...labels, [LABEL.service]: 'gateway', [LABEL.role]: 'gateway', [LABEL.publish]: formatPublish(published) },
  };
}

function planService(name: string, s: Service, prefix: string, internal: string, labels: Record<string, string>): PlannedContainer {
  const { type, version } = splitTypeVersion(s.type);
  const kind = serviceKind(type);
  const volume = kind?.dataDir ? `${prefix}-${name}-data` : undefined;
  return {
    name: `${prefix}-${name}`,
    entry: name,
    role: 'service',
    type: s.type,
    image: s.image ?? kind!.image(version), // the loader rejects an unknown type without image
    hostname: name,
    env: { ...(kind?.env ?? {}), ...stringEnv(s.env) },
    networks: [internal],
    ports: [],
    mounts: volume ? [{ type: 'volume', source: volume, target: kind!.dataDir!, readOnly: false }] : [],
    ...(kind ? { health: health(kind.health, 200, 120_000) } : {}),
    resources: resources(s.resources),
    dependsOn: Object.values(s.relationships ?? {}).map((r) => `${prefix}-${targetName(r)}`),
    labels: { ...labels, [LABEL.service]: name, [LABEL.role]: 'service' },
  };
}

/**
 * Whether a container's "NAME=value" was added by planApp for the app's debugger (Node's
 * inspector flag as the whole NODE_OPTIONS, debugpy's variables), not set by the app's config.
 */
export function addedForDebugger(entry: string): boolean {
  return /^NODE_OPTIONS=--inspect(?:-brk)?=\S+$/.test(entry) || PYTHON_DEBUG_VARIABLES.some((v) => entry.startsWith(`${v}=`));
}

function planApp(
  name: string, a: App, m: Manifest, prefix: string, internal: string,
  labels: Record<string, string>, sourceDir: string | undefined,
): PlannedContainer {
  const { type, version } = splitTypeVersion(a.runtime);
  const runtime = runtimeKind(type);
  const remoteRoot = a.debug?.remoteRoot ?? '/app';
  const workingDir = a.root && a.root !== '.' ? `${remoteRoot}/${a.root.replace(/^\.\/|\/$/g, '')}` : remoteRoot;
  const env: Record<string, string> = { ...relationshipEnv(a, m), ...stringEnv(a.env) };
  if (a.port) env.PORT = String(a.port);
  let prelude = '';
  // Repro execs the app's command itself (the app is the container's main process): an `exec`
  // the command starts with would become `exec exec …`, which sh cannot run.
  const run = a.run.trim().replace(/^exec\s+/, '');
  let start = `exec ${run}`;
  let capAdd: string[] | undefined;
  let readyTimeoutMs: number | undefined;
  if (a.debug) {
    const protocol = a.debug.protocol ?? runtime?.debug.protocol;
    // The debugger must listen on all interfaces inside the container to be published.
    if (protocol === 'inspector' && (type === 'nodejs' || type === 'node')) {
      env.NODE_OPTIONS = [env.NODE_OPTIONS, inspectOption(a.debug.port)].filter(Boolean).join(' ');
    }
    if (protocol === 'debugpy' && type === 'python' && !startsOwnDebugpy(run)) {
      const py = pythonDebugStart(a.debug.port);
      Object.assign(env, py.env);
      prelude = `${py.prelude} && `;
    }
    // An agent in the app's own environment (JAVA_TOOL_OPTIONS, JDK_JAVA_OPTIONS) counts as its own.
    const ownAgent = startsOwnJdwp(run) || Object.values(stringEnv(a.env)).some(startsOwnJdwp);
    if (protocol === 'jdwp' && type === 'java' && !ownAgent) start = javaDebugCommand(run, a.debug.port);
    if (protocol === 'delve' && (type === 'golang' || type === 'go') && !startsOwnDelve(run)) {
      start = goDebugCommand(run, a.debug.port, a.port);
      capAdd = [GO_DEBUG_CAPABILITY];
      if (startsUnderDlvDebug(run)) readyTimeoutMs = GO_DEBUG_BUILD_TIMEOUT_MS;
    }
  }
  // The build step (pip install, say) runs without the debugger: only `run` gets it.
  const command = `${a.build ? `${a.build} && ` : ''}${prelude}${start}`;
  return {
    name: `${prefix}-${name}`,
    entry: name,
    role: 'app',
    type: a.runtime,
    image: a.image ?? runtime!.image(version),
    hostname: name,
    env,
    cmd: ['sh', '-c', command],
    workingDir,
    networks: [internal],
    ports: [],
    mounts: sourceDir ? [{ type: 'bind', source: sourceDir, target: remoteRoot, readOnly: false }] : [],
    ...(a.port ? {
      health: { ...health((runtime?.portCheck ?? shellPortCheck)(a.port), 200, 60_000), failing: `nothing listened on port ${a.port} in the container (apps.${name}.port in repro.yaml: the port the app serves on)` },
    } : {}),
    resources: resources(a.resources),
    ...(capAdd ? { capAdd } : {}),
    ...(readyTimeoutMs ? { readyTimeoutMs } : {}),
    dependsOn: Object.values(a.relationships ?? {}).map((r) => `${prefix}-${targetName(r)}`),
    labels: { ...labels, [LABEL.service]: name, [LABEL.role]: 'app' },
  };
}

export interface RelationshipInfo {
  service: string;
  scheme: string;
  host: string;
  port: number;
  username?: string;
  password?: string;
  path?: string;
  url: string;
}

/** What each relationship of an app resolves to (host names on the internal network). */
export function relationshipsOf(a: App, m: Manifest): Record<string, RelationshipInfo> {
  const out: Record<string, RelationshipInfo> = {};
  for (const [rel, ref] of Object.entries(a.relationships ?? {})) {
    const target = targetName(ref);
    const svc = m.services?.[target];
    const app = m.apps?.[target];
    const kind = svc ? serviceKind(splitTypeVersion(svc.type).type) : undefined;
    const port = kind?.port ?? app?.port ?? 80;
    const scheme = kind?.scheme ?? 'http';
    const c = kind?.credentials ?? {};
    const auth = c.username ? `${encodeURIComponent(c.username)}${c.password ? `:${encodeURIComponent(c.password)}` : ''}@` : '';
    out[rel] = {
      service: target, scheme, host: target, port,
      ...(c.username ? { username: c.username } : {}),
      ...(c.password ? { password: c.password } : {}),
      ...(c.path ? { path: c.path } : {}),
      url: `${scheme}://${auth}${target}:${port}${c.path ? `/${c.path}` : ''}`,
    };
  }
  return out;
}

/** DATABASE_URL, DATABASE_HOST, ... per relationship, and REPRO_RELATIONSHIPS with all of them as JSON. */
function relationshipEnv(a: App, m: Manifest): Record<string, string> {
  const rels = relationshipsOf(a, m);
  const env: Record<string, string> = {};
  for (const [rel, r] of Object.entries(rels)) {
    const p = rel.toUpperCase().replace(/[^A-Z0-9]/g, '_');
    env[`${p}_URL`] = r.url;
    env[`${p}_SCHEME`] = r.scheme;
    env[`${p}_HOST`] = r.host;
    env[`${p}_PORT`] = String(r.port);
    if (r.username) env[`${p}_USERNAME`] = r.username;
    if (r.password) env[`${p}_PASSWORD`] = r.password;
    if (r.path) env[`${p}_PATH`] = r.path;
  }
  if (Object.keys(rels).length) env.REPRO_RELATIONSHIPS = JSON.stringify(rels);
  return env;
}

function stringEnv(env: Record<string, string | number | boolean> | undefined): Record<string, string> {
  return Object.fromEntries(Object.entries(env ?? {}).map(([k, v]) => [k, String(v)]));
}

const UNITS: Record<string, number> = { '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 };

/** "512M" / "2G" / "1.5Gi" -> bytes (binary units, as Docker reads them). */
export function parseMemory(s: string): number {
  const m = /^([0-9]+(?:\.[0-9]+)?)\s*([kmg]?)i?b?$/i.exec(s.trim());
  if (!m) throw new Error(`cannot read memory size "${s}"`);
  return Math.round(Number(m[1]) * UNITS[m[2]!.toLowerCase()]!);
}

function resources(r: { memory?: string; cpus?: number } | undefined): PlannedContainer['resources'] {
  return {
    ...(r?.memory ? { memoryBytes: parseMemory(r.memory) } : {}),
    ...(r?.cpus ? { nanoCpus: Math.round(r.cpus * 1e9) } : {}),
  };
}
