// Compose files: services whose image is a database, cache or queue Repro knows become
// services at the image's version; services that build the project's own code become apps,
// their runtime read from the Dockerfile's base image. Everything else is reported.
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { App, Service } from '../schema';
import { MAX_ALIASES, parseYaml } from '../yamlDocument';
import { readDockerfile, joinArgs } from './dockerfile';
import { interpolate, readDotEnv } from './interpolate';
import { parseImageRef, runtimeFromImage, safeName, serviceFromImage } from './names';
import { isRecord, yamlLocator, type Findings, type Locate } from './types';
import type { Mapped } from './upsun';

export const COMPOSE_FILES = ['compose.yaml', 'compose.yml', 'docker-compose.yaml', 'docker-compose.yml'];
const OVERRIDES = ['compose.override.yaml', 'compose.override.yml', 'docker-compose.override.yaml', 'docker-compose.override.yml'];

/** The compose file of a folder and its override, as compose itself would pick them. */
export function composeFiles(dir: string): string[] {
  const main = COMPOSE_FILES.find((n) => fs.existsSync(path.join(dir, n)));
  if (!main) return [];
  const override = OVERRIDES.find((n) => fs.existsSync(path.join(dir, n)));
  return [path.join(dir, main), ...(override ? [path.join(dir, override)] : [])];
}

interface Entry { spec: Record<string, unknown>; file: string; locate: Locate; composeDir: string }

export interface ComposeOptions {
  /** The project root (app roots are relative to it). */
  projectDir: string;
  /** The dev container's own service: its runtime comes from the dev container image. */
  devService?: string;
}

export function importCompose(f: Findings, files: string[], opts: ComposeOptions): Mapped | undefined {
  const entries = new Map<string, Entry>();
  for (const file of files) {
    let text: string;
    try { text = fs.readFileSync(file, 'utf8'); } catch (e) {
      f.error(file, () => ({ line: 0, column: 0 }), [], 'unreadable', `cannot read the compose file (${(e as NodeJS.ErrnoException).code ?? String(e)})`, 'Check the path in dockerComposeFile and the file\'s permissions.');
      continue;
    }
    const parsed = parseYaml(text, file);
    f.diagnostics.push(...parsed.diagnostics);
    if (parsed.diagnostics.some((d) => d.severity === 'error')) continue;
    const data: unknown = parsed.doc.toJS({ maxAliasCount: MAX_ALIASES });
    const locate = yamlLocator(parsed);
    if (!isRecord(data) || !isRecord(data.services)) {
      f.error(file, locate, [], 'no-services', 'the compose file has no "services:" mapping', 'A compose file lists its containers under "services:".');
      continue;
    }
    const composeDir = path.dirname(file);
    for (const [name, spec] of Object.entries(data.services)) {
      if (!isRecord(spec)) continue;
      const prev = entries.get(name);
      // A later file (an override) replaces the keys it sets, as compose merges them.
      entries.set(name, { spec: { ...(prev?.spec ?? {}), ...spec }, file: prev?.file ?? file, locate: prev?.locate ?? locate, composeDir: prev?.composeDir ?? composeDir });
    }
  }
  if (!entries.size) return undefined;

  const services: Record<string, Service> = {};
  const apps: Record<string, App> = {};
  const deps = new Map<string, string[]>();
  const names = new Map<string, string>();
  for (const [raw, e] of entries) {
    const name = safeName(raw);
    names.set(raw, name);
    const at = ['services', raw];
    const vars = readDotEnv(path.join(e.composeDir, '.env'));
    const warn = (segs: (string | number)[], code: string, msg: string, hint?: string) => f.warn(e.file, e.locate, [...at, ...segs], code, msg, hint);
    if (name !== raw) warn([], 'renamed', `service "${raw}" is named "${name}" in repro.yaml (names become host names)`);
    const str = (v: unknown, segs: (string | number)[]): string | undefined => {
      if (typeof v !== 'string' && typeof v !== 'number') return undefined;
      const r = interpolate(String(v), vars);
      if (r.missing.length) warn(segs, 'unresolved-variable', `\${${r.missing.join('}, ${')}} has no value in .env and no default`, 'Set it in the .env file next to the compose file, or write the value in repro.yaml.');
      return r.missing.length ? undefined : r.value;
    };
    deps.set(name, dependsOn(e.spec.depends_on, e.spec.links));

    const imageText = str(e.spec.image, ['image']);
    const ref = imageText ? parseImageRef(imageText) : undefined;
    const svc = ref ? serviceFromImage(ref) : undefined;
    if (svc && !e.spec.build) {
      if (!svc.version) {
        warn(['image'], 'unpinned-image', `service "${raw}" runs ${imageText} with no version tag, so the version production runs is unknown; skipped`,
          `Pin the image (e.g. "${ref!.repo}:16") or add it to repro.yaml as "${name}: { type: ${svc.type}:<version> }".`);
        continue;
      }
      services[name] = { type: `${svc.type}:${svc.version}`, ...(svc.image ? { image: svc.image } : {}) };
      const lost = Object.keys(e.spec).filter((k) => !['image', 'depends_on', 'links', 'container_name', 'restart', 'healthcheck', 'expose', 'ports', 'networks', 'hostname'].includes(k));
      if (lost.length) warn([], 'not-carried-over', `service "${raw}": ${lost.join(', ')} ${lost.length === 1 ? 'is' : 'are'} not carried over (Repro runs ${svc.type} with its own settings)`);
      continue;
    }

    const app = appFrom(raw, e, opts, imageText, str, warn);
    if (app) { apps[name] = app; continue; }
  }

  // Relationships: depends_on/links targets that were imported.
  const imported = new Set([...Object.keys(services), ...Object.keys(apps)]);
  for (const [name, app] of Object.entries(apps)) {
    const rels: Record<string, string> = {};
    for (const d of deps.get(name) ?? []) {
      const target = names.get(d) ?? safeName(d);
      if (imported.has(target) && target !== name) rels[target] = target;
    }
    if (Object.keys(rels).length) app.relationships = rels;
  }
  return { apps, services };
}

type Str = (v: unknown, segs: (string | number)[]) => string | undefined;
type Warn = (segs: (string | number)[], code: string, msg: string, hint?: string) => void;

function appFrom(raw: string, e: Entry, opts: ComposeOptions, imageText: string | undefined, str: Str, warn: Warn): App | undefined {
  const build = typeof e.spec.build === 'string' ? { context: e.spec.build } : isRecord(e.spec.build) ? e.spec.build : undefined;
  let base = imageText;
  let cmd: string | undefined;
  let port: number | undefined;
  let root = '.';
  if (build) {
    const context = path.resolve(e.composeDir, str(build.context, ['build', 'context']) ?? '.');
    const dockerfile = path.resolve(context, str(build.dockerfile, ['build', 'dockerfile']) ?? 'Dockerfile');
    root = path.relative(opts.projectDir, context).split(path.sep).join('/') || '.';
    if (root.startsWith('..')) {
      warn(['build', 'context'], 'unmapped-app', `service "${raw}" builds from ${root}, outside the project; skipped`);
      return undefined;
    }
    try {
      const facts = readDockerfile(fs.readFileSync(dockerfile, 'utf8'), typeof build.target === 'string' ? build.target : undefined);
      base = facts.from ?? base;
      cmd = facts.cmd;
      port = facts.port;
    } catch {
      // No Dockerfile in the repository (or not readable): the runtime may still come from the dev container image.
    }
  }
  const isDev = opts.devService === raw;
  if (isDev && opts.devService && e.spec.image && !build) base = imageText;
  const ref = base ? parseImageRef(base) : undefined;
  const runtime = ref ? runtimeFromImage(ref) : undefined;
  if (!runtime?.version) {
    if (!build && !isDev) {
      warn(['image'], 'unmapped-service', `service "${raw}" (${imageText ?? 'no image'}) is neither a service type Repro knows nor the project's code; skipped`,
        'If the reproduction needs it, add it to repro.yaml under services: with an explicit "image:".');
    } else {
      warn(build ? ['build'] : ['image'], 'unmapped-app', `service "${raw}" runs the project's code, but its runtime cannot be told from ${base ? `"${base}"` : 'its build'}; skipped`,
        `Add it to repro.yaml under apps.${safeName(raw)} with "runtime:" (e.g. nodejs:20) and "run:".`);
    }
    return undefined;
  }
  const command = e.spec.command;
  const composeCmd = Array.isArray(command) ? joinArgs(command.map(String)) : str(command, ['command']);
  // Dev containers keep the container alive with "sleep infinity": that is not how the app runs.
  const run = composeCmd && !/^(sleep|tail)\b/.test(composeCmd) ? composeCmd : cmd;
  if (!run) {
    warn(['command'], 'no-start-command', `service "${raw}" has no command that starts the app${composeCmd ? ` (it runs "${composeCmd}")` : ''}; skipped`,
      `Add it to repro.yaml under apps.${safeName(raw)} with "runtime: ${runtime.type}:${runtime.version}" and the command that serves it as "run:".`);
    return undefined;
  }
  const app: App = { runtime: `${runtime.type}:${runtime.version}`, run, ...(runtime.image && !isDev ? { image: runtime.image } : {}) };
  if (root !== '.') app.root = root;
  port = port ?? containerPort(e.spec.ports) ?? containerPort(e.spec.expose);
  if (port) app.port = port;
  if (runtime.type === 'nodejs' && port !== 9229) app.debug = { port: 9229 };
  const env = environment(e.spec.environment, str);
  if (Object.keys(env).length) app.env = env;
  return app;
}

function dependsOn(d: unknown, links: unknown): string[] {
  const out = Array.isArray(d) ? d.filter((x): x is string => typeof x === 'string') : isRecord(d) ? Object.keys(d) : [];
  if (Array.isArray(links)) for (const l of links) if (typeof l === 'string') out.push(l.split(':')[0]!);
  return out;
}

function containerPort(ports: unknown): number | undefined {
  if (!Array.isArray(ports) || !ports.length) return undefined;
  const p = ports[0];
  if (isRecord(p)) return typeof p.target === 'number' ? p.target : undefined;
  const m = /(\d+)(?:\/\w+)?$/.exec(String(p));
  const n = m ? Number(m[1]) : NaN;
  return n > 0 && n < 65536 ? n : undefined;
}

function environment(env: unknown, str: Str): Record<string, string> {
  const out: Record<string, string> = {};
  const put = (k: string, v: unknown) => {
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(k) || v === null || v === undefined) return;
    const s = str(v, ['environment', k]);
    if (s !== undefined) out[k] = s;
  };
  if (Array.isArray(env)) {
    for (const item of env) {
      const [k, ...v] = String(item).split('=');
      if (k && v.length) put(k, v.join('='));
    }
  } else if (isRecord(env)) {
    for (const [k, v] of Object.entries(env)) put(k, v);
  }
  return out;
}
