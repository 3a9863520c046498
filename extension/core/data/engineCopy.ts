// The engine's copy of a physical snapshot: the same data folder, unpacked once into a volume
// of the engine, so that a later session copies it volume to volume (`cp -a` in a throwaway
// container of the service's own image) instead of streaming the archive through the engine's
// API and unpacking it again. The engine's archive endpoint unpacks at about 170 MB/s here
// (Docker 20.10 and Podman alike, with 2.5 CPU-s of the engine's for a 417 MB data folder),
// where the volume copy takes a third of that time; see the clone bench (c).
//
// The file in REPRO_HOME stays the reference: a copy is made from it after its sha256 was
// checked, in the background (the reproduction that kept it does not wait), and is used only
// when its labels name that file's key and sha256 and its completion mark, written last and
// holding the sha256, is in it. Anything else and the copy is removed and the file serves.
// Copies carry no session label (a session's teardown leaves them); a copy whose file this
// REPRO_HOME no longer holds is removed at the next fill, and so is a fill's container left
// by a process that stopped mid-way.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type Docker from 'dockerode';
import { LABEL } from '../stack/labels';
import { lastLogLines } from '../stack/containerIo';
import { runJob } from './engineJobs';
import { formatBytes } from './cache';
import { CACHE_SIZE_WHERE } from './cacheSize';
import { checkPhysical, lookupPhysical, type PhysicalEntry, type PhysicalMeta } from './physicalSnapshot';
import { emptyVolume, putSnapshot } from './snapshotArchive';

export const COPY_ROLE = 'data-copy';
const FILL_ROLE = 'data-copy-fill';
const COPY_LABEL = { key: 'dev.repro.copy.key', sha256: 'dev.repro.copy.sha256', home: 'dev.repro.copy.home' } as const;
const MARK = '.repro-complete';
/** Copies one REPRO_HOME keeps on an engine, the most recently used (the one being made counts). */
export const MAX_COPIES = 3;

/** The volume holding the engine's copy of the physical snapshot `key`. */
export const engineCopyName = (key: string): string => `repro-data-${key.slice(0, 32)}`;

/**
 * Which REPRO_HOME made a copy ("host:path"): only that one prunes it (engines can be shared),
 * or any process on that host once the folder is gone.
 */
const homeId = (home: string): string => `${os.hostname()}:${path.resolve(home)}`;

/** Fills under way in this process, by copy name: a seed finding one incomplete leaves it be. */
const filling = new Map<string, Promise<void>>();

/** How many fills this process started are under way. */
export const engineCopiesPending = (): number => filling.size;

/** Resolves once every fill this process started has ended (a CLI before it exits, the bench, tests). */
export async function engineCopiesSettled(): Promise<void> {
  while (filling.size) await Promise.all([...filling.values()]);
}

/** A copy's labels, or undefined when the engine has no such volume. */
async function copyLabels(docker: Docker, name: string): Promise<Record<string, string> | undefined> {
  try {
    return (await docker.getVolume(name).inspect()).Labels ?? {};
  } catch (e) {
    if ((e as { statusCode?: number }).statusCode === 404) return undefined;
    throw e;
  }
}

/** Whether a copy's labels name this very snapshot file (its key and sha256). */
const isCopyOf = (labels: Record<string, string>, entry: PhysicalEntry): boolean =>
  labels[COPY_LABEL.key] === entry.meta.key && labels[COPY_LABEL.sha256] === entry.meta.sha256;

export type CopyOutcome =
  | { copied: true; ms: number }
  | { copied: false; reason?: string };

/**
 * Copies the engine's copy of `entry` into `volume` (empty, of a created container) when there
 * is a complete one; otherwise says why not (nothing when there is none). A copy found
 * incomplete or mislabelled is removed; a failure while copying empties `volume` again.
 */
export async function seedFromEngineCopy(
  docker: Docker, o: { entry: PhysicalEntry; image: string; volume: string; labels: Record<string, string>; signal?: AbortSignal },
): Promise<CopyOutcome> {
  const name = engineCopyName(o.entry.meta.key);
  const labels = await copyLabels(docker, name);
  if (!labels) return { copied: false };
  if (!isCopyOf(labels, o.entry)) {
    if (!filling.has(name)) await removeCopy(docker, name);
    return { copied: false, reason: 'the engine\'s copy was of another snapshot: it was removed' };
  }
  const t0 = performance.now();
  const job = await runJob(docker, {
    image: o.image,
    // Exit 3: no completion mark (a fill under way, or one that stopped).
    entrypoint: ['/bin/sh', '-c', `[ "$(cat /from/${MARK} 2>/dev/null)" = "$1" ] || exit 3; cp -a /from/. /to/ && rm -f /to/${MARK}`, 'sh', o.entry.meta.sha256],
    cmd: [],
    labels: o.labels,
    volumes: [{ name, target: '/from', readOnly: true }, { name: o.volume, target: '/to' }],
  });
  const onAbort = () => { void job.dispose(); };
  o.signal?.addEventListener('abort', onAbort, { once: true });
  let code: number;
  try {
    job.stdout.resume();
    code = await job.exit;
    await job.gone;
  } finally {
    o.signal?.removeEventListener('abort', onAbort);
  }
  o.signal?.throwIfAborted();
  if (code === 0) return { copied: true, ms: performance.now() - t0 };
  if (code === 3) {
    if (filling.has(name)) return { copied: false, reason: 'the engine\'s copy is still being made' };
    const removed = await removeCopy(docker, name);
    return { copied: false, reason: `the engine's copy was incomplete: ${removed ? 'it was removed' : 'another process is still making it'}` };
  }
  const why = job.stderr.text().trim().split('\n').pop()?.slice(0, 300) ?? '';
  await emptyVolume(docker, o.image, o.volume, o.labels, o.signal);
  await removeCopy(docker, name);
  return { copied: false, reason: `copying from the engine's copy failed (exit ${code}${why ? `: ${why}` : ''}): it was removed` };
}

/**
 * Starts making the engine's copy of `entry` in the background (no-op when one exists or is
 * being made); what happens is said through `log`, never thrown. `image` is the service's image,
 * whose shell and `cp` the copy's containers run. `budget` is the data cache's size: the copies
 * of this REPRO_HOME on the engine take at most that much, unpacked (see pruneCopies), and a
 * snapshot whose data folder alone is larger gets no copy.
 */
export function startEngineCopy(docker: Docker, o: { home: string; entry: PhysicalEntry; image: string; budget: number; log?: (message: string) => void }): Promise<void> {
  const name = engineCopyName(o.entry.meta.key);
  const running = filling.get(name);
  if (running) return running;
  const log = o.log ?? (() => undefined);
  const short = o.entry.meta.key.slice(0, 12);
  const tooLarge = (bytes: number) => `no engine copy of the physical snapshot ${short} is kept: its data folder takes ${formatBytes(bytes)} unpacked, ` +
    `more than the data cache's size (${formatBytes(o.budget)}; ${CACHE_SIZE_WHERE}). The next session unpacks the file`;
  const fill = (async () => {
    try {
      const known = o.entry.meta.unpackedBytes;
      if (known !== undefined && known > o.budget) {
        await pruneCopies(docker, o.home, undefined, o.budget); // an earlier copy of it included
        log(tooLarge(known));
        return;
      }
      await pruneCopies(docker, o.home, name, o.budget - unpackedSize(o.entry.meta));
      const made = await fillCopy(docker, name, o);
      if (!made) return;
      if (made.unpacked !== undefined) {
        o.entry.recordUnpacked(made.unpacked);
        if (made.unpacked > o.budget) {
          await removeCopy(docker, name);
          log(tooLarge(made.unpacked));
          return;
        }
        // The room was made for an estimate: measured, the others may have to give more.
        if (known === undefined) await pruneCopies(docker, o.home, name, o.budget - made.unpacked);
      }
      log(`the engine now holds a copy of the physical snapshot ${short} (made in ${(made.ms / 1000).toFixed(2)} s): the next reproduction of this data starts its database from it`);
    } catch (e) {
      log(`no engine copy of the physical snapshot ${short} was made (the next session unpacks the file): ${(e as Error).message}`);
    }
  })().finally(() => filling.delete(name));
  filling.set(name, fill);
  return fill;
}

/**
 * What a copy of this snapshot takes on the engine: measured when one was made, else four
 * times the file (a gzip level 1 data folder of the sample's kind: 106 MB for 426 MB).
 */
const unpackedSize = (meta: PhysicalMeta): number => meta.unpackedBytes ?? 4 * meta.bytes;

/**
 * Makes the copy: its time and the data folder's size unpacked (when `du` could tell), or
 * undefined when a copy was already there.
 */
async function fillCopy(docker: Docker, name: string, o: { home: string; entry: PhysicalEntry; image: string }): Promise<{ ms: number; unpacked?: number } | undefined> {
  const labels = await copyLabels(docker, name);
  if (labels && isCopyOf(labels, o.entry)) return undefined;
  if (labels) await removeCopy(docker, name);
  const t0 = performance.now();
  const problem = await checkPhysical(o.entry);
  if (problem) throw new Error(`the snapshot's file is not the one written (${problem})`);
  await docker.createVolume({
    Name: name,
    Labels: { [LABEL.role]: COPY_ROLE, [COPY_LABEL.key]: o.entry.meta.key, [COPY_LABEL.sha256]: o.entry.meta.sha256, [COPY_LABEL.home]: homeId(o.home) },
  });
  // A container that is created, filled through the archive endpoint, then started only to
  // write the completion mark (a copy without the mark is never used) and say what the copy
  // takes (`du` in KiB; a `du` that fails costs only the measure).
  let container: Docker.Container | undefined;
  let failed: unknown;
  let unpacked: number | undefined;
  try {
    container = await docker.createContainer({
      Image: o.image,
      Entrypoint: ['/bin/sh', '-c', `printf %s "$1" > /copy/${MARK} || exit 1; du -sk /copy 2>/dev/null || true`, 'sh', o.entry.meta.sha256],
      Cmd: [],
      Labels: { [LABEL.role]: FILL_ROLE, [COPY_LABEL.key]: o.entry.meta.key },
      HostConfig: { NetworkMode: 'none', Mounts: [{ Type: 'volume', Source: name, Target: '/copy' }] },
    });
    const failure = await putSnapshot(container, '/copy', o.entry);
    if (failure) throw new Error(`unpacking the snapshot failed: ${failure.message}`);
    await container.start();
    const { StatusCode } = await container.wait() as { StatusCode?: number };
    if (StatusCode !== 0) throw new Error(`writing the completion mark failed (exit ${StatusCode})`);
    const du = (await lastLogLines(docker, container.id, 5)).map((l) => /^(\d+)\s+\/copy\s*$/.exec(l)).find(Boolean);
    if (du) unpacked = Number(du[1]) * 1024;
  } catch (e) {
    failed = e;
  } finally {
    await container?.remove({ force: true, v: true }).catch(() => undefined);
  }
  if (failed) {
    await removeCopy(docker, name); // once the container that held it is gone
    throw failed;
  }
  return { ms: performance.now() - t0, ...(unpacked !== undefined ? { unpacked } : {}) };
}

/**
 * Removes this REPRO_HOME's copies whose snapshot file is gone (pruned, or the cache cleared),
 * those past the most recently used that fit in `room` bytes unpacked (at most MAX_COPIES with
 * `making`, the one about to be made), copies of a REPRO_HOME of this host that was deleted,
 * and fill containers left by a process that stopped (created more than ten minutes ago).
 */
async function pruneCopies(docker: Docker, home: string, making: string | undefined, room: number): Promise<void> {
  const stale = Date.now() / 1000 - 600;
  const fills = await docker.listContainers({ all: true, filters: { label: [`${LABEL.role}=${FILL_ROLE}`] } });
  for (const c of fills) {
    const mine = filling.has(engineCopyName(c.Labels[COPY_LABEL.key] ?? ''));
    if (!mine && c.Created < stale) await docker.getContainer(c.Id).remove({ force: true, v: true }).catch(() => undefined);
  }
  const { Volumes } = await docker.listVolumes({ filters: { label: [`${LABEL.role}=${COPY_ROLE}`] } });
  const host = `${os.hostname()}:`;
  /** This REPRO_HOME's copies with their file, when that file was last used, and their size. */
  const kept: { name: string; used: number; bytes: number }[] = [];
  for (const v of Volumes ?? []) {
    const key = v.Labels?.[COPY_LABEL.key] ?? '';
    const owner = v.Labels?.[COPY_LABEL.home] ?? '';
    if (owner === homeId(home)) {
      const entry = /^[0-9a-f]{64}$/.test(key) ? lookupPhysical(home, key, { touch: false }) : undefined;
      if (entry) {
        if (v.Name !== making) kept.push({ name: v.Name, used: fs.statSync(entry.file, { throwIfNoEntry: false })?.mtimeMs ?? 0, bytes: unpackedSize(entry.meta) });
      }
      else if (!filling.has(v.Name)) await removeCopy(docker, v.Name);
    } else if (owner.startsWith(host) && !fs.existsSync(owner.slice(host.length)) && !filling.has(v.Name)) {
      await removeCopy(docker, v.Name); // that REPRO_HOME was deleted
    }
  }
  // The most recently used ones only, beside the one being made: each takes its unpacked size
  // on the engine's disk.
  kept.sort((a, b) => b.used - a.used);
  let count = making ? 1 : 0;
  let total = 0;
  for (const c of kept) {
    total += c.bytes;
    if ((++count > MAX_COPIES || total > room) && !filling.has(c.name)) await removeCopy(docker, c.name);
  }
}

/** The volumes of the copies this REPRO_HOME made on the engine. */
export async function listEngineCopies(docker: Docker, home: string): Promise<string[]> {
  const { Volumes } = await docker.listVolumes({ filters: { label: [`${LABEL.role}=${COPY_ROLE}`, `${COPY_LABEL.home}=${homeId(home)}`] } });
  return (Volumes ?? []).map((v) => v.Name).sort();
}

/**
 * Removes every copy this REPRO_HOME made on the engine (with its cache, or to measure without).
 * Returns how many went; one in use (a session's start copying it now) stays.
 */
export async function removeEngineCopies(docker: Docker, home: string): Promise<number> {
  await engineCopiesSettled();
  let removed = 0;
  for (const name of await listEngineCopies(docker, home)) if (await removeCopy(docker, name)) removed++;
  return removed;
}

/** Removes a copy's volume; one still in use (a copy or fill under way elsewhere) stays: false. */
export async function removeCopy(docker: Docker, name: string): Promise<boolean> {
  return docker.getVolume(name).remove().then(() => true, (e: { statusCode?: number }) => {
    if (e.statusCode === 404) return true;
    if (e.statusCode === 409) return false;
    throw e;
  });
}
