// A warm reproduction's PostgreSQL data folder, put in place before the service first starts:
// the session's container is created, not started; when a physical snapshot of the same data
// (source, rules) for the same image and settings is cached and intact, it is extracted into
// the container's data volume (putArchive: Docker and Podman), and PostgreSQL starts on ready
// data (no initdb, no restore). The data step then only checks the row counts (clone.ts).
//
// Anything that stops this (no snapshot for this image, a damaged one, an engine error) is said
// in one line and leaves the volume empty: PostgreSQL initialises as usual and the data step
// clones from the SQL snapshot or the source. A snapshot whose size or sha256 is not the one
// written is removed before any byte reaches the volume; a failure while extracting empties the
// volume again (a throwaway container of the service's own image) before the service starts.
import * as fs from 'node:fs';
import { PassThrough } from 'node:stream';
import { createGunzip } from 'node:zlib';
import type Docker from 'dockerode';
import { serviceKind } from '../manifest/catalogue';
import type { Manifest } from '../manifest/schema';
import { splitTypeVersion } from '../manifest/versions';
import { LABEL } from '../stack/labels';
import { sourceIdentity } from './clone';
import { runJob } from './engineJobs';
import type { SecretLookup } from './liveSource';
import { checkPhysical, lookupPhysical, physicalKey, settingsOf, type PhysicalMeta } from './physicalSnapshot';
import { compileScrubPlan } from './rules';

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
  const problem = await checkPhysical(entry, o.signal);
  if (problem) {
    entry.remove();
    log(`the ${name} is damaged (${problem}): it was removed, and the data comes from SQL`);
    return undefined;
  }

  // Gunzipped here, so that a damaged stream is an error of ours (the engine would take a
  // cut-off tar at a file boundary for a complete one); it then ends the upload, and is the
  // verdict whatever the engine answers.
  let failure: Error | undefined;
  const tar = new PassThrough({ highWaterMark: 1024 * 1024 });
  const gunzip = createGunzip({ chunkSize: 256 * 1024 });
  const raw = fs.createReadStream(entry.file, { highWaterMark: 1024 * 1024 });
  const fail = (e: Error) => { failure ??= e; raw.destroy(); if (!tar.writableEnded) tar.end(); };
  raw.on('error', fail);
  gunzip.on('error', fail);
  const onAbort = () => fail(new Error('cancelled'));
  o.signal?.addEventListener('abort', onAbort, { once: true });
  raw.pipe(gunzip).pipe(tar);
  try {
    await container.putArchive(tar, { path: pgdata });
  } catch (e) {
    failure ??= e as Error;
  } finally {
    o.signal?.removeEventListener('abort', onAbort);
  }
  o.signal?.throwIfAborted();
  if (!failure) {
    log(`data folder from the ${name} (${(entry.meta.bytes / 1024 ** 2).toFixed(1)} MB, PostgreSQL ${entry.meta.pgMajor}, made ${entry.meta.createdAt}; checked and extracted in ${((performance.now() - t0) / 1000).toFixed(2)} s)`);
    return entry.meta;
  }
  await emptyVolume(docker, info.Image, volume.Name, info.Config.Labels ?? {}, o.signal);
  entry.remove();
  log(`the ${name} could not be extracted (${failure.message}): it was removed, the data volume emptied again, and the data comes from SQL`);
  return undefined;
}

/** Removes everything in a volume, from a throwaway container of `image` (which has a shell). */
async function emptyVolume(docker: Docker, image: string, volume: string, labels: Record<string, string>, signal?: AbortSignal): Promise<void> {
  const job = await runJob(docker, {
    image, entrypoint: ['/bin/sh', '-c'], cmd: ['find /seed -mindepth 1 -delete && [ -z "$(ls -A /seed)" ]'],
    labels: Object.fromEntries([LABEL.session, LABEL.project, LABEL.service].flatMap((k) => (labels[k] ? [[k, labels[k]]] : []))),
    volumes: [{ name: volume, target: '/seed' }],
  });
  const onAbort = () => { void job.dispose(); };
  signal?.addEventListener('abort', onAbort, { once: true });
  try {
    job.stdout.resume();
    const code = await job.exit;
    await job.gone;
    if (code !== 0) throw new Error(`emptying the data volume ${volume} failed (exit ${code}): ${job.stderr.text().trim().slice(0, 300)}`);
  } finally {
    signal?.removeEventListener('abort', onAbort);
  }
}
