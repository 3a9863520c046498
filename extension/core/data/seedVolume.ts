// A warm reproduction's PostgreSQL data folder, put in place before the service first starts:
// the session's container is created, not started; when a physical snapshot of the same data
// (source, rules) for the same image and settings is cached and intact, it is extracted into
// the container's data volume (putArchive: Docker and Podman), and PostgreSQL starts on ready
// data (no initdb, no restore). The data step then only checks the row counts (clone.ts).
//
// When the engine holds a copy of that snapshot (engineCopy.ts), the folder is copied from it,
// volume to volume; otherwise the file is unpacked, and the engine gets its copy afterwards, in
// the background, for the next session.
//
// Anything that stops this (no snapshot for this image, a damaged one, an engine error) is said
// in one line and leaves the volume empty: PostgreSQL initialises as usual and the data step
// clones from the SQL snapshot or the source. A snapshot whose size or sha256 is not the one
// written is removed before any byte reaches the volume; a failure while extracting empties the
// volume again (a throwaway container of the service's own image) before the service starts.
import type Docker from 'dockerode';
import { serviceKind } from '../manifest/catalogue';
import type { Manifest } from '../manifest/schema';
import { splitTypeVersion } from '../manifest/versions';
import { sourceIdentity } from './clone';
import { DEFAULT_CACHE_BYTES } from './cacheSize';
import { seedFromEngineCopy, startEngineCopy, type CopyOutcome } from './engineCopy';
import type { SecretLookup } from './liveSource';
import { checkPhysical, lookupPhysical, physicalKey, settingsOf, type PhysicalMeta } from './physicalSnapshot';
import { compileScrubPlan } from './rules';
import { emptyVolume, jobLabels, putSnapshot } from './snapshotArchive';

export interface SeedOptions {
  manifest: Manifest;
  service: string;
  /** The service's container: created, not started. */
  containerId: string;
  /** The worktree the manifest's paths are relative to. */
  root: string;
  /** REPRO_HOME */
  home: string;
  /** The scrubbing key (rules.scrubKeyFrom). */
  key: Buffer;
  pointInTime?: string;
  secrets?: SecretLookup;
  signal?: AbortSignal;
  /** One line per decision ("data folder from the physical snapshot ...", "no physical snapshot ..."). */
  log?: (message: string) => void;
  /** Whether the engine gets a copy of a snapshot unpacked from its file (default: yes). */
  engineCopy?: boolean;
  /** What becomes of that copy, later (default: `log`). */
  onEngineCopy?: (message: string) => void;
  /** The data cache's size, which bounds the engine's copies too (cacheSize.ts; default 2 GB). */
  cacheBytes?: number;
}

/** Whether a service's data would come from a SQL source (the only kind a physical snapshot serves). */
export function takesSqlData(manifest: Manifest, service: string): boolean {
  const svc = manifest.services?.[service];
  const source = svc?.data?.source;
  if (!svc || !source || !('dump' in source || 'live' in source)) return false;
  return serviceKind(splitTypeVersion(svc.type).type)?.type === 'postgresql';
}

/** Seeds the service's data volume from a physical snapshot; its meta when it did. */
export async function seedFromPhysical(docker: Docker, o: SeedOptions): Promise<PhysicalMeta | undefined> {
  const log = o.log ?? (() => undefined);
  const spec = o.manifest.services?.[o.service]?.data;
  if (!spec || !takesSqlData(o.manifest, o.service)) return undefined;
  let plan: string;
  try { plan = compileScrubPlan(spec, o.key).identity; } catch { return undefined; /* the data step says why */ }
  let source: string | undefined;
  try { source = await sourceIdentity(spec, o); } catch { return undefined; /* idem */ }
  if (!source) return undefined;

  const container = docker.getContainer(o.containerId);
  const info = await container.inspect();
  const env = info.Config.Env ?? [];
  const pgdata = env.find((e) => e.startsWith('PGDATA='))?.slice(7) || '/var/lib/postgresql/data';
  const volume = (info.Mounts ?? []).find((m) => m.Type === 'volume' && m.Destination === pgdata && m.Name);
  if (!volume?.Name) {
    log(`no physical snapshot used: the data folder ${pgdata} is not the service's data volume`);
    return undefined;
  }
  const key = physicalKey({ source, plan, image: info.Image, settings: settingsOf(env) });
  const entry = lookupPhysical(o.home, key);
  if (!entry) {
    log(`no physical snapshot of this data for image ${info.Image.replace(/^sha256:/, '').slice(0, 12)}: PostgreSQL initialises and the data comes from SQL`);
    return undefined;
  }
  const name = `physical snapshot ${key.slice(0, 12)}`;
  const t0 = performance.now();
  const labels = info.Config.Labels ?? {};
  // The engine's copy of the same snapshot, when it has one: a volume-to-volume copy.
  let copy: CopyOutcome;
  try {
    copy = await seedFromEngineCopy(docker, { entry, image: info.Image, volume: volume.Name, labels: jobLabels(labels), ...(o.signal ? { signal: o.signal } : {}) });
  } catch (e) {
    o.signal?.throwIfAborted();
    // A cache that cannot be read fails nothing: the volume is emptied, in case a copy began.
    await emptyVolume(docker, info.Image, volume.Name, labels, o.signal).catch(() => undefined);
    copy = { copied: false, reason: `the engine's copy could not be used (${(e as Error).message})` };
  }
  if (copy.copied) {
    log(`data folder from the engine's copy of the ${name} (PostgreSQL ${entry.meta.pgMajor}, made ${entry.meta.createdAt}; copied in ${(copy.ms / 1000).toFixed(2)} s)`);
    return entry.meta;
  }
  if (copy.reason) log(`${copy.reason}; the data folder comes from the file`);
  const problem = await checkPhysical(entry, o.signal);
  if (problem) {
    entry.remove();
    log(`the ${name} is damaged (${problem}): it was removed, and the data comes from SQL`);
    return undefined;
  }
  const failure = await putSnapshot(container, pgdata, entry, o.signal);
  o.signal?.throwIfAborted();
  if (!failure) {
    log(`data folder from the ${name} (${(entry.meta.bytes / 1024 ** 2).toFixed(1)} MB, PostgreSQL ${entry.meta.pgMajor}, made ${entry.meta.createdAt}; checked and extracted in ${((performance.now() - t0) / 1000).toFixed(2)} s)`);
    // The engine had no copy of it: the next session of this data gets one.
    if (o.engineCopy !== false) void startEngineCopy(docker, { home: o.home, entry, image: info.Image, budget: o.cacheBytes ?? DEFAULT_CACHE_BYTES, log: o.onEngineCopy ?? log });
    return entry.meta;
  }
  await emptyVolume(docker, info.Image, volume.Name, labels, o.signal);
  entry.remove();
  log(`the ${name} could not be extracted (${failure.message}): it was removed, the data volume emptied again, and the data comes from SQL`);
  return undefined;
}
