// The local side of drift, beyond the session on the engine: the compose files in the
// workspace, the toolchain on this machine (node, python, go, java) and the version files that
// pin it (.nvmrc, .node-version, .tool-versions, .python-version, package.json engines). A
// compose file that does not parse makes its side unavailable with the parser's words.
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { composeFiles } from '../manifest/importers/compose';
import { interpolate, readDotEnv } from '../manifest/importers/interpolate';
import { parseImageRef, runtimeFromImage, serviceFromImage } from '../manifest/importers/names';
import type { Manifest } from '../manifest/schema';
import { splitTypeVersion } from '../manifest/versions';
import { MAX_ALIASES, parseYaml, positionOf } from '../manifest/yamlDocument';
import { subjectOf, type Fact, type Facts, type Side } from './model';
import { canonicalRuntime, canonicalService } from './sides';
import { versionFromOutput } from './stackState';

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The workspace's compose files as a side: services (and runtime images) at the versions their images pin. */
export function composeSide(dir: string, m: Manifest): Side | undefined {
  const files = composeFiles(dir);
  if (!files.length) return undefined;
  const label = files.map((f) => path.basename(f)).join(' + ');
  const facts: Facts = {};
  const byType = new Map<string, string[]>();
  for (const [name, s] of Object.entries(m.services ?? {})) {
    const t = canonicalService(splitTypeVersion(s.type).type);
    byType.set(t, [...(byType.get(t) ?? []), name]);
  }
  for (const file of files) {
    let text: string;
    try { text = fs.readFileSync(file, 'utf8'); } catch (e) {
      return { id: 'compose', kind: 'compose', label, kinds: ['type', 'version'], partial: true, facts: {}, unavailable: `cannot read ${path.basename(file)} (${(e as NodeJS.ErrnoException).code ?? String(e)})` };
    }
    const parsed = parseYaml(text, file);
    const bad = parsed.diagnostics.find((d) => d.severity === 'error');
    if (bad) {
      return { id: 'compose', kind: 'compose', label, kinds: ['type', 'version'], partial: true, facts: {}, unavailable: `${path.basename(file)} does not parse (line ${bad.line}: ${bad.message}); fix it to compare it` };
    }
    const data: unknown = parsed.doc.toJS({ maxAliasCount: MAX_ALIASES });
    if (!isRecord(data) || !isRecord(data.services)) continue;
    for (const [raw, spec] of Object.entries(data.services)) {
      if (!isRecord(spec) || typeof spec.image !== 'string') continue;
      // "${PG_IMAGE:-postgres:15}": as compose reads it, with the .env beside the file.
      const image = interpolate(spec.image, readDotEnv(path.join(path.dirname(file), '.env'))).value;
      const ref = parseImageRef(image);
      if (!ref) continue;
      const p = positionOf(parsed, ['services', raw, 'image']);
      const at = { file, line: p.line, column: p.column };
      const svc = serviceFromImage(ref);
      const rt = svc ? undefined : runtimeFromImage(ref);
      if (!svc && !rt) continue;
      const fact = (value: string): Fact => ({ value, at, detail: `${path.basename(file)}: image ${image}` });
      if (svc) {
        // The manifest's name for it: the same name, else the only service of that type.
        const same = byType.get(svc.type) ?? [];
        const name = m.services?.[raw] ? raw : same.length === 1 ? same[0]! : raw;
        facts[subjectOf.service(name)] = { type: fact(svc.type), ...(svc.version ? { version: fact(svc.version) } : {}) };
      } else if (rt && m.apps?.[raw]) {
        facts[subjectOf.app(raw)] = { runtime: fact(rt.type), ...(rt.version ? { version: fact(rt.version) } : {}) };
      }
    }
  }
  return { id: 'compose', kind: 'compose', label, kinds: ['type', 'version'], partial: true, facts };
}

const TOOLS: Record<string, { cmd: string; args: string[]; toolVersions: string[] }> = {
  nodejs: { cmd: 'node', args: ['--version'], toolVersions: ['nodejs', 'node'] },
  python: { cmd: 'python3', args: ['--version'], toolVersions: ['python'] },
  golang: { cmd: 'go', args: ['version'], toolVersions: ['golang', 'go'] },
  java: { cmd: 'java', args: ['-version'], toolVersions: ['java'] },
};

export type VersionOf = (cmd: string, args: string[]) => Promise<string | undefined>;

/** The version a program on PATH reports, or undefined when it is not installed (3 s at most). */
export const programVersion: VersionOf = (cmd, args) => new Promise((resolve) => {
  execFile(cmd, args, { timeout: 3000, maxBuffer: 64 * 1024, env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '' } }, (err, stdout, stderr) => {
    resolve(err ? undefined : versionFromOutput(`${stdout}\n${stderr}`));
  });
});

/** This machine's toolchain for each app's runtime. */
export async function toolchainSide(m: Manifest, versionOf: VersionOf = programVersion): Promise<Side> {
  const facts: Facts = {};
  await Promise.all(Object.entries(m.apps ?? {}).map(async ([name, a]) => {
    const rt = canonicalRuntime(splitTypeVersion(a.runtime).type);
    const tool = TOOLS[rt];
    if (!tool) return;
    const v = await versionOf(tool.cmd, tool.args);
    facts[subjectOf.app(name)] = { runtime: { value: rt }, ...(v ? { version: { value: v, detail: `${tool.cmd} on PATH` } } : {}) };
  }));
  return { id: 'toolchain', kind: 'toolchain', label: 'this machine', kinds: ['type', 'version'], partial: true, facts };
}

/** The versions the project's files pin for each app's runtime (its root, then the repository root). */
export function versionFilesSide(dir: string, m: Manifest): Side | undefined {
  const facts: Facts = {};
  for (const [name, a] of Object.entries(m.apps ?? {})) {
    const rt = canonicalRuntime(splitTypeVersion(a.runtime).type);
    const tool = TOOLS[rt];
    if (!tool) continue;
    const roots = [...new Set([path.resolve(dir, a.root ?? '.'), dir])];
    const pin = roots.map((r) => pinnedVersion(r, rt, tool.toolVersions)).find(Boolean);
    if (pin) facts[subjectOf.app(name)] = { version: { value: pin.version, at: { file: pin.file, line: pin.line, column: 1 }, detail: `from ${path.relative(dir, pin.file) || path.basename(pin.file)}` } };
  }
  return Object.keys(facts).length ? { id: 'pins', kind: 'toolchain', label: 'version files', kinds: ['version'], partial: true, facts } : undefined;
}

function pinnedVersion(root: string, runtime: string, toolNames: string[]): { version: string; file: string; line: number } | undefined {
  const read = (f: string) => { try { return fs.readFileSync(path.join(root, f), 'utf8'); } catch { return undefined; } };
  const clean = (v: string) => /^v?(\d+(?:\.\d+){0,2})$/.exec(v.trim().replace(/^[\^~=]+/, '').replace(/(\.x)+$/, ''))?.[1];
  const single = runtime === 'nodejs' ? ['.nvmrc', '.node-version'] : runtime === 'python' ? ['.python-version'] : runtime === 'golang' ? ['.go-version'] : ['.java-version'];
  for (const f of single) {
    const t = read(f);
    const v = t !== undefined ? clean(t.split('\n')[0] ?? '') : undefined;
    if (v) return { version: v, file: path.join(root, f), line: 1 };
  }
  const tv = read('.tool-versions');
  if (tv !== undefined) {
    const lines = tv.split('\n');
    for (let i = 0; i < lines.length; i++) {
      const [tool, ver] = lines[i]!.trim().split(/\s+/);
      const v = tool && ver && toolNames.includes(tool) ? clean(ver) : undefined;
      if (v) return { version: v, file: path.join(root, '.tool-versions'), line: i + 1 };
    }
  }
  if (runtime === 'nodejs') {
    const t = read('package.json');
    if (t !== undefined) {
      try {
        const engines = (JSON.parse(t) as { engines?: { node?: unknown } }).engines;
        const v = typeof engines?.node === 'string' ? clean(engines.node) : undefined;
        const line = t.split('\n').findIndex((l) => /"node"\s*:/.test(l)) + 1;
        if (v) return { version: v, file: path.join(root, 'package.json'), line: Math.max(line, 1) };
      } catch { /* not JSON: no pin */ }
    }
  }
  return undefined;
}
