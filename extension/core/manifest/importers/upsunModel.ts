// The application and service model Upsun and Platform.sh share (.upsun/config.yaml and the
// older .platform.app.yaml / .platform/services.yaml), mapped onto repro.yaml. Anything with no
// local meaning (mounts, crons, workers, disk sizes, routes) is reported, never silently lost.
import { runtimeKind, serviceKind } from '../catalogue';
import type { App, Service } from '../schema';
import { parseVersion, splitTypeVersion } from '../versions';
import { safeName, safeRelationName } from './names';
import { isRecord, type Findings, type Locate } from './types';

/** Where one YAML map of apps or services came from, for diagnostics. */
export interface Origin {
  file: string;
  locate: Locate;
  /** Path of the map inside its file, e.g. ["applications"] or []. */
  at: (string | number)[];
  /** The file holds one app at its top level (.platform.app.yaml). */
  flat?: boolean;
}

/** Upsun listens on $PORT; locally Repro sets it, so the app and its health check agree. */
export const UPSUN_APP_PORT = 8080;

const APP_KEYS_MAPPED = new Set(['name', 'type', 'stack', 'source', 'hooks', 'web', 'variables', 'relationships']);
// Keys that describe the hosting, not the program: reported in one line per app.
const HOOKS_MAPPED = new Set(['build']);

export interface UpsunApp {
  name: string;
  app?: App;
  /** Relationship name -> raw target, checked once every service is known. */
  relationships: Record<string, string>;
  origin: Origin;
  segs: (string | number)[];
}

export function mapUpsunApp(f: Findings, rawName: string, spec: unknown, origin: Origin, rootDir?: string): UpsunApp | undefined {
  const segs = origin.flat ? [...origin.at] : [...origin.at, rawName];
  const { file, locate } = origin;
  if (!isRecord(spec)) {
    f.warn(file, locate, segs, 'unmapped-app', `application "${rawName}" is not a mapping; skipped`);
    return undefined;
  }
  const name = safeName(typeof spec.name === 'string' ? spec.name : rawName);
  if (name !== (typeof spec.name === 'string' ? spec.name : rawName)) {
    f.warn(file, locate, segs, 'renamed', `application "${rawName}" is named "${name}" in repro.yaml (names become host names)`);
  }
  const runtime = runtimeOf(spec);
  const out: UpsunApp = { name, relationships: {}, origin, segs };
  const rels = spec.relationships;
  if (isRecord(rels)) {
    for (const [rel, target] of Object.entries(rels)) {
      const t = relationshipTarget(rel, target);
      if (t) out.relationships[safeRelationName(rel)] = t;
      else f.warn(file, locate, [...segs, 'relationships', rel], 'unmapped-relationship', `relationship "${rel}" has a form Repro does not read; skipped`, 'Write it as "<service>:<endpoint>".');
    }
  }
  if (!runtime.type) {
    f.warn(file, locate, [...segs, 'type'], 'unmapped-app', `application "${rawName}" names no runtime Repro knows (${runtime.raw ?? 'none'}); skipped`,
      `Add it to repro.yaml under apps: with "runtime:" (one of nodejs, python, php, golang, java, ruby, elixir, bun, deno).`);
    return out;
  }
  const web = isRecord(spec.web) ? spec.web : {};
  const commands = isRecord(web.commands) ? web.commands : {};
  const start = typeof commands.start === 'string' ? commands.start.trim() : undefined;
  const run = start ?? defaultRun(runtime.type, web);
  if (!run) {
    f.warn(file, locate, [...segs, 'web', 'commands', 'start'], 'no-start-command', `application "${rawName}" has no web.commands.start; skipped`,
      `Add it to repro.yaml under apps.${name} with the command that serves it as "run:".`);
    return out;
  }
  if (!start) {
    f.warn(file, locate, [...segs, 'web'], 'substituted', `application "${rawName}" has no web.commands.start: it runs with "${run}" locally`);
  }
  const app: App = { runtime: `${runtime.type}:${runtime.version}`, run, port: UPSUN_APP_PORT, env: { PORT: String(UPSUN_APP_PORT) } };
  const source = isRecord(spec.source) && typeof spec.source.root === 'string' ? spec.source.root : undefined;
  const root = [rootDir, source].filter((p): p is string => !!p && p !== '.' && p !== '/').join('/').replace(/^\/+|\/+$/g, '');
  if (root) app.root = root;
  const hooks = isRecord(spec.hooks) ? spec.hooks : {};
  if (typeof hooks.build === 'string' && hooks.build.trim()) app.build = hooks.build.trim();
  const debugPort = runtimeKind(runtime.type)?.debug.port;
  if (runtime.type === 'nodejs' && debugPort) app.debug = { port: debugPort };
  const vars = isRecord(spec.variables) ? spec.variables : {};
  if (isRecord(vars.env)) {
    for (const [k, v] of Object.entries(vars.env)) {
      if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(k) || !['string', 'number', 'boolean'].includes(typeof v)) {
        f.warn(file, locate, [...segs, 'variables', 'env', k], 'unmapped-variable', `variable "${k}" is not a plain value; skipped`);
        continue;
      }
      app.env![k] = v as string | number | boolean;
    }
  }
  const lost = [
    ...Object.keys(spec).filter((k) => !APP_KEYS_MAPPED.has(k)),
    ...Object.keys(hooks).filter((k) => !HOOKS_MAPPED.has(k)).map((k) => `hooks.${k}`),
    ...Object.keys(vars).filter((k) => k !== 'env').map((k) => `variables.${k}`),
    ...Object.keys(web).filter((k) => k !== 'commands').map((k) => `web.${k}`),
  ];
  if (lost.length) {
    f.warn(file, locate, segs, 'not-carried-over', `application "${rawName}": ${lost.join(', ')} ${lost.length === 1 ? 'has' : 'have'} no local equivalent and ${lost.length === 1 ? 'is' : 'are'} not carried over`);
  }
  out.app = app;
  return out;
}

function runtimeOf(spec: Record<string, unknown>): { type?: string; version?: string; raw?: string } {
  const raw = typeof spec.type === 'string' ? spec.type.trim() : undefined;
  if (raw) {
    const { type, version } = splitTypeVersion(raw);
    const kind = runtimeKind(type);
    if (kind && parseVersion(version)) return { type: kind.type, version, raw };
    if (type !== 'composable') return { raw };
  }
  // Composable images: "stack: [nodejs@22, nodePackages.npm]" or "- php@8.3: {extensions: ...}".
  const stack = Array.isArray(spec.stack) ? spec.stack : [];
  for (const entry of stack) {
    const id = typeof entry === 'string' ? entry : isRecord(entry) ? Object.keys(entry)[0] : undefined;
    const m = id ? /^([a-z]+)@(\d+(?:\.\d+){0,2})$/.exec(id) : null;
    const kind = m ? runtimeKind(m[1]!) : undefined;
    if (kind) return { type: kind.type, version: m![2]!, raw: id! };
  }
  return { raw: raw ?? (stack.length ? `stack ${stack.map((s) => (typeof s === 'string' ? s : '…')).join(', ')}` : undefined) };
}

function defaultRun(runtime: string, web: Record<string, unknown>): string | undefined {
  // PHP apps are served by PHP-FPM behind the platform's web server; locally the built-in
  // server on the document root is the closest single-process equivalent.
  if (runtime !== 'php') return undefined;
  const locations = isRecord(web.locations) ? web.locations : {};
  const slash = isRecord(locations['/']) ? locations['/'] : {};
  const docRoot = typeof slash.root === 'string' && slash.root ? slash.root : '.';
  const passthru = typeof slash.passthru === 'string' ? slash.passthru.replace(/^\//, '') : undefined;
  return `php -S 0.0.0.0:${UPSUN_APP_PORT} -t ${docRoot}${passthru ? ` ${docRoot}/${passthru}` : ''}`;
}

/** "db:postgresql", null (a relationship named like its service), or {service, endpoint}. */
function relationshipTarget(rel: string, v: unknown): string | undefined {
  if (v === null || v === undefined) return safeName(rel);
  if (typeof v === 'string') {
    const [svc, endpoint] = v.split(':');
    if (!svc) return undefined;
    return endpoint ? `${safeName(svc)}:${safeName(endpoint)}` : safeName(svc);
  }
  if (isRecord(v) && typeof v.service === 'string') {
    return typeof v.endpoint === 'string' ? `${safeName(v.service)}:${safeName(v.endpoint)}` : safeName(v.service);
  }
  return undefined;
}

export function mapUpsunService(f: Findings, rawName: string, spec: unknown, origin: Origin): { name: string; service: Service } | undefined {
  const segs = [...origin.at, rawName];
  const { file, locate } = origin;
  const typeRaw = isRecord(spec) && typeof spec.type === 'string' ? spec.type.trim() : undefined;
  if (!typeRaw) {
    f.warn(file, locate, segs, 'unmapped-service', `service "${rawName}" has no "type"; skipped`);
    return undefined;
  }
  const { type, version } = splitTypeVersion(typeRaw);
  const kind = serviceKind(type);
  if (!kind) {
    f.warn(file, locate, [...segs, 'type'], 'unmapped-service', `service "${rawName}" (${typeRaw}) has no container image in Repro's catalogue; skipped`,
      `If it matters to the reproduction, add it to repro.yaml under services: with an explicit "image:".`);
    return undefined;
  }
  if (!parseVersion(version)) {
    f.warn(file, locate, [...segs, 'type'], 'unmapped-service', `service "${rawName}" has type "${typeRaw}" with no exact version; skipped`,
      `Add it to repro.yaml as "type: ${kind.type}:<version>".`);
    return undefined;
  }
  const name = safeName(rawName);
  if (name !== rawName) f.warn(file, locate, segs, 'renamed', `service "${rawName}" is named "${name}" in repro.yaml (names become host names)`);
  const lost = Object.keys(spec as Record<string, unknown>).filter((k) => k !== 'type' && k !== 'disk' && k !== 'size');
  if (lost.length) {
    f.warn(file, locate, segs, 'not-carried-over', `service "${rawName}": ${lost.join(', ')} ${lost.length === 1 ? 'is' : 'are'} not carried over (Repro runs the engine with its defaults)`);
  }
  return { name, service: { type: `${kind.type}:${version}` } };
}

/** Keeps the relationships whose target was imported; reports the others. */
export function resolveRelationships(f: Findings, apps: UpsunApp[], known: ReadonlySet<string>): void {
  for (const a of apps) {
    if (!a.app) continue;
    const kept: Record<string, string> = {};
    for (const [rel, target] of Object.entries(a.relationships)) {
      const svc = target.split(':')[0]!;
      if (known.has(svc) && svc !== a.name) kept[rel] = target;
      else f.warn(a.origin.file, a.origin.locate, [...a.segs, 'relationships', rel], 'unmapped-relationship', `relationship "${rel}" points at "${svc}", which was not imported; skipped`);
    }
    if (Object.keys(kept).length) a.app.relationships = kept;
  }
}
