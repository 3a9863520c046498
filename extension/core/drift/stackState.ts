// What a running stack really runs, read from the engine: each service's and app's image, its
// digest, the version the program itself reports (exec "postgres --version", "node --version"),
// and the names (never the values) of the apps' environment variables. Both `repro state`
// (production's document, from the stack a pipeline deployed) and the local side of drift use it.
import type Docker from 'dockerode';
import { execIn } from '../stack/containerIo';
import { LABEL } from '../stack/labels';
import type { Manifest } from '../manifest/schema';
import { parseImageRef, runtimeFromImage, serviceFromImage, tagVersion } from '../manifest/importers/names';
import { splitTypeVersion } from '../manifest/versions';
import { canonicalRuntime, canonicalService } from './sides';
import type { RuntimeState, ServiceState } from './stateDocument';
import { besideAppEnv } from '../stack/nodeDebug';
import { addedForDebugger } from '../stack/plan';

/** The command that prints a program's version, per catalogue type. */
const VERSION_COMMANDS: Record<string, string[]> = {
  postgresql: ['postgres', '--version'], mysql: ['mysqld', '--version'], mariadb: ['mariadbd', '--version'],
  redis: ['redis-server', '--version'], valkey: ['valkey-server', '--version'], mongodb: ['mongod', '--version'],
  memcached: ['memcached', '--version'], nodejs: ['node', '--version'], python: ['python', '--version'],
  golang: ['go', 'version'], java: ['java', '-version'], php: ['php', '--version'], ruby: ['ruby', '--version'],
  bun: ['bun', '--version'], deno: ['deno', '--version'],
};

/** "postgres (PostgreSQL) 15.14 (Debian ...)" -> "15.14"; "Redis server v=7.0.15 sha=..." -> "7.0.15". */
export function versionFromOutput(text: string): string | undefined {
  return /(?:^|[\s=v(])(\d+\.\d+(?:\.\d+)?)(?=$|[\s,)+_-])/m.exec(text)?.[1];
}

/** Secrets by their names: what a person would not paste in a chat. */
export const looksSecret = (name: string): boolean => /(SECRET|TOKEN|PASSWORD|PASSWD|PRIVATE|CREDENTIAL|API_?KEY|_KEY$|^KEY$|DSN)/i.test(name);

export interface StackState {
  services: Record<string, ServiceState>;
  apps: Record<string, RuntimeState>;
  /** Services of the manifest with no container in the session. */
  absent: string[];
}

/** What the session's containers run; `m` gives each service's type (the image may be a custom one). */
export async function observeStack(docker: Docker, session: string, m: Manifest | undefined, signal?: AbortSignal): Promise<StackState> {
  const containers = await docker.listContainers({ all: true, filters: { label: [`${LABEL.session}=${session}`] } });
  const out: StackState = { services: {}, apps: {}, absent: [] };
  await Promise.all(containers.map(async (c) => {
    const role = c.Labels[LABEL.role];
    const name = c.Labels[LABEL.service];
    if (!name || (role !== 'service' && role !== 'app')) return;
    const [info, image] = await Promise.all([docker.getContainer(c.Id).inspect(), docker.getImage(c.ImageID).inspect().catch(() => undefined)]);
    const imageName = info.Config.Image;
    const ref = parseImageRef(imageName);
    const digest = image?.RepoDigests?.map((d) => d.split('@')[1]).find((d) => d && /^sha256:[0-9a-f]{64}$/.test(d)) ?? (/^sha256:[0-9a-f]{64}$/.test(c.ImageID) ? c.ImageID : undefined);
    const declared = role === 'service' ? m?.services?.[name]?.type : m?.apps?.[name]?.runtime;
    const type = declared ? splitTypeVersion(declared).type : (ref ? (role === 'service' ? serviceFromImage(ref) : runtimeFromImage(ref))?.type : undefined) ?? ref?.repo ?? 'unknown';
    const canonical = role === 'service' ? canonicalService(type) : canonicalRuntime(type);
    let version: string | undefined;
    const cmd = VERSION_COMMANDS[canonical];
    if (cmd && info.State.Running) {
      try {
        // Without the app's inspector: `node --version` would find its port taken and say so.
        const env = besideAppEnv(info.Config.Env ?? []);
        const r = await execIn(docker, c.Id, cmd, { ...(signal ? { signal } : {}), ...(env.length ? { env } : {}) });
        if (r.exitCode === 0) version = versionFromOutput(`${r.stdout}\n${r.stderr}`);
      } catch { /* an image without the program: the tag says what it can */ }
    }
    version ??= tagVersion(ref?.tag) ?? (declared ? splitTypeVersion(declared).version : undefined) ?? 'unknown';
    const base = { type: canonical, version, image: imageName, ...(digest ? { digest } : {}) };
    if (role === 'service') { out.services[name] = base; return; }
    // The app's configuration, not its image's defaults (PATH, NODE_VERSION: the same in every
    // container of that image) nor the debugger a session adds (Node's inspector flag in
    // NODE_OPTIONS, Python's debugpy variables).
    const inherited = new Set(image?.Config?.Env ?? []);
    const names = (info.Config.Env ?? [])
      .filter((e) => !inherited.has(e) && !addedForDebugger(e))
      .map((e) => e.slice(0, e.indexOf('=') < 0 ? undefined : e.indexOf('='))).filter((n) => /^[A-Za-z_][A-Za-z0-9_.-]*$/.test(n));
    const env = [...new Set(names)].sort();
    out.apps[name] = { ...base, env: env.filter((n) => !looksSecret(n)), secrets: env.filter(looksSecret) };
  }));
  for (const name of Object.keys(m?.services ?? {})) if (!out.services[name]) out.absent.push(name);
  for (const name of Object.keys(m?.apps ?? {})) if (!out.apps[name]) out.absent.push(name);
  return out;
}
