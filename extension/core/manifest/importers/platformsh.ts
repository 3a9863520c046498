// The older Platform.sh layout: one .platform.app.yaml per app (at the root or in sub-folders),
// or .platform/applications.yaml, plus .platform/services.yaml and .platform/routes.yaml.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { MAX_ALIASES, parseYaml } from '../yamlDocument';
import { mapUpsunDocuments, type Mapped, type Section } from './upsun';
import { isRecord, yamlLocator, type Findings } from './types';

export const PLATFORM_APP = '.platform.app.yaml';
export const PLATFORM_APPLICATIONS = path.join('.platform', 'applications.yaml');
export const PLATFORM_SERVICES = path.join('.platform', 'services.yaml');
export const PLATFORM_ROUTES = path.join('.platform', 'routes.yaml');

/** The Platform.sh files of a project: app files at the root and one level down. */
export function platformFiles(dir: string): string[] {
  const found: string[] = [];
  for (const rel of [PLATFORM_APPLICATIONS, PLATFORM_APP]) if (fs.existsSync(path.join(dir, rel))) found.push(path.join(dir, rel));
  let entries: fs.Dirent[] = [];
  try { entries = fs.readdirSync(dir, { withFileTypes: true }); } catch { /* unreadable: nothing found */ }
  for (const e of entries.sort((a, b) => a.name.localeCompare(b.name))) {
    if (!e.isDirectory() || e.name.startsWith('.') || e.name === 'node_modules') continue;
    const f = path.join(dir, e.name, PLATFORM_APP);
    if (fs.existsSync(f)) found.push(f);
  }
  if (found.length && fs.existsSync(path.join(dir, PLATFORM_SERVICES))) found.push(path.join(dir, PLATFORM_SERVICES));
  return found;
}

export function importPlatformsh(f: Findings, dir: string, files: string[]): Mapped | undefined {
  const sections: Section[] = [];
  const services: Section[] = [];
  for (const file of files) {
    const parsed = parseYaml(fs.readFileSync(file, 'utf8'), file);
    f.diagnostics.push(...parsed.diagnostics);
    if (parsed.diagnostics.some((d) => d.severity === 'error')) continue;
    const data: unknown = parsed.doc.toJS({ maxAliasCount: MAX_ALIASES });
    const locate = yamlLocator(parsed);
    if (data === null || data === undefined) continue; // an empty services.yaml is common
    if (!isRecord(data) && !Array.isArray(data)) {
      f.error(file, locate, [], 'not-a-mapping', `${path.basename(file)} is not a YAML mapping`);
      continue;
    }
    const rel = path.relative(dir, file);
    if (rel === PLATFORM_SERVICES) services.push({ file, locate, at: [], map: data });
    else if (rel === PLATFORM_APPLICATIONS) sections.push({ file, locate, at: [], map: data });
    else {
      // One app per file, named by its "name:" key; its folder is its root.
      const name = isRecord(data) && typeof data.name === 'string' ? data.name : path.basename(path.dirname(file)) === path.basename(dir) ? 'app' : path.basename(path.dirname(file));
      const sub = path.relative(dir, path.dirname(file));
      sections.push({ file, locate, at: [], flat: true, map: { [name]: data }, ...(sub ? { rootDir: sub.split(path.sep).join('/') } : {}) });
    }
  }
  const routes = path.join(dir, PLATFORM_ROUTES);
  if (sections.length && fs.existsSync(routes)) {
    // As in .upsun/config.yaml's "routes:": said, so that nothing is dropped silently.
    const parsed = parseYaml(fs.readFileSync(routes, 'utf8'), routes);
    f.warn(routes, yamlLocator(parsed), [], 'not-carried-over', 'routes are not carried over: a reproduction publishes each app on 127.0.0.1');
  }
  return mapUpsunDocuments(f, sections, services);
}
