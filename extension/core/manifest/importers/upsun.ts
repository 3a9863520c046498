// .upsun/config.yaml: applications, services and routes in one file.
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { App, Service } from '../schema';
import { MAX_ALIASES, parseYaml } from '../yamlDocument';
import { mapUpsunApp, mapUpsunService, resolveRelationships, type UpsunApp } from './upsunModel';
import { isRecord, yamlLocator, type Findings } from './types';


export interface Mapped {
  apps: Record<string, App>;
  services: Record<string, Service>;
}

/** Upsun reads every YAML file in .upsun/ as one configuration. */
export function upsunFiles(dir: string): string[] {
  const folder = path.join(dir, '.upsun');
  try {
    return fs.readdirSync(folder).filter((n) => /\.ya?ml$/.test(n)).sort().map((n) => path.join(folder, n)).filter((f) => fs.statSync(f).isFile());
  } catch {
    return [];
  }
}

export function importUpsun(f: Findings, files: string[]): Mapped | undefined {
  const apps: Section[] = [];
  const services: Section[] = [];
  for (const file of files) {
    const parsed = parseYaml(fs.readFileSync(file, 'utf8'), file);
    f.diagnostics.push(...parsed.diagnostics);
    if (parsed.diagnostics.some((d) => d.severity === 'error')) return undefined;
    const data: unknown = parsed.doc.toJS({ maxAliasCount: MAX_ALIASES });
    const locate = yamlLocator(parsed);
    if (data === null || data === undefined) continue;
    if (!isRecord(data)) {
      f.error(file, locate, [], 'not-a-mapping', 'the Upsun configuration is not a YAML mapping', 'It should hold "applications:", "services:" and "routes:".');
      return undefined;
    }
    for (const k of Object.keys(data)) {
      if (k === 'applications' || k === 'services') continue;
      if (k === 'routes') f.warn(file, locate, [k], 'not-carried-over', 'routes are not carried over: a reproduction publishes each app on 127.0.0.1');
      else f.warn(file, locate, [k], 'not-carried-over', `"${k}" is not carried over`);
    }
    if (data.applications !== undefined) apps.push({ file, locate, at: ['applications'], map: data.applications });
    if (data.services !== undefined) services.push({ file, locate, at: ['services'], map: data.services });
  }
  return mapUpsunDocuments(f, apps, services);
}

export interface Section { file: string; locate: ReturnType<typeof yamlLocator>; at: (string | number)[]; map: unknown; rootDir?: string; flat?: boolean }

/** Maps application and service sections (from one file or several) into one model. */
export function mapUpsunDocuments(f: Findings, appSections: Section[], serviceSections: Section[]): Mapped {
  const services: Record<string, Service> = {};
  for (const section of serviceSections) {
    if (!isRecord(section.map)) continue;
    for (const [raw, spec] of Object.entries(section.map)) {
      const s = mapUpsunService(f, raw, spec, section);
      if (s) services[s.name] = s.service;
    }
  }
  const apps: UpsunApp[] = [];
  for (const section of appSections) {
    const entries: [string, unknown][] = Array.isArray(section.map)
      ? section.map.map((spec, i) => [isRecord(spec) && typeof spec.name === 'string' ? spec.name : `app${i + 1}`, spec])
      : isRecord(section.map) ? Object.entries(section.map) : [];
    for (const [raw, spec] of entries) {
      // In a list the name comes from the item's "name:" key; diagnostics point at the item.
      const origin = Array.isArray(section.map) ? { ...section, at: [...section.at, entries.findIndex((e) => e[1] === spec)], flat: true } : section;
      const a = mapUpsunApp(f, raw, spec, origin, section.rootDir);
      if (a) apps.push(a);
    }
  }
  const names = new Set([...Object.keys(services), ...apps.filter((a) => a.app).map((a) => a.name)]);
  resolveRelationships(f, apps, names);
  const out: Record<string, App> = {};
  for (const a of apps) {
    if (!a.app) continue;
    if (a.name in services || a.name in out) {
      f.warn(a.origin.file, a.origin.locate, a.segs, 'duplicate-name', `application "${a.name}" has the same name as another app or service; skipped`, 'Rename one of them in repro.yaml.');
      continue;
    }
    out[a.name] = a.app;
  }
  return { apps: out, services };
}
