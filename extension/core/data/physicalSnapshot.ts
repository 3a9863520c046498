// Physical snapshots: the data folder of a verified clone, so that a later reproduction of the
// same data starts PostgreSQL on it (no initdb, no restore, no verify beyond row counts):
//   <REPRO_HOME>/data/<key>.pg.tar.gz   pg_basebackup -Ft of the clone (WAL fetched into it),
//                                       gzip level 1 (by pg_basebackup, in the container)
//   <REPRO_HOME>/data/<key>.pg.json     its sha256 and size, the image, the rows per table and
//                                       what the clone's checks found when it was made
// key = sha256 of CACHE_FORMAT, the source's identity, the scrub plan's identity, the image id
// and the service's POSTGRES_* environment: a data folder is only ever given to the very image
// (hence PostgreSQL build and major) and settings that wrote it. Another image of the same
// major misses here and is served by the SQL snapshot (cache.ts), whose key holds the major.
// The backup is taken from the clone, after the checks passed: only scrubbed data is in it.
// Written to a temporary file and renamed with its meta (a crash leaves no half entry); pruned
// with the SQL entries (cache.ts pruneCache).
import { createHash, randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Transform } from 'node:stream';
import type Docker from 'dockerode';
import { CACHE_FORMAT, type CacheMeta, cacheDir } from './cache';
import { startExec } from './engineJobs';
import type { PgTarget } from './pg';
import type { VerifyReport } from './verify';

export interface PhysicalKeyParts {
  /** As cache.ts: "dump:<sha256>" or "live:...@<point in time>". */
  source: string;
  /** ScrubPlan.identity */
  plan: string;
  /** The service container's image id. */
  image: string;
  /** The container's POSTGRES_* and PGDATA settings ("NAME=value"), in any order. */
  settings: string[];
}

export function physicalKey(p: PhysicalKeyParts): string {
  return createHash('sha256').update(JSON.stringify({
    format: CACHE_FORMAT, kind: 'physical', source: p.source, plan: p.plan, image: p.image, settings: [...p.settings].sort(),
  })).digest('hex');
}

/** The container settings that shape a data folder (and its users): part of the key. */
export const settingsOf = (env: string[]): string[] => env.filter((e) => /^(POSTGRES_[A-Z_]+|PGDATA)=/.test(e));

export interface PhysicalMeta {
  format: number;
  kind: 'physical';
  key: string;
  createdAt: string;
  /** sha256 and size of the .pg.tar.gz file: checked before any byte of it reaches a volume. */
  sha256: string;
  bytes: number;
  image: string;
  pgMajor: number;
  /** sha256 of the scrubbed SQL the clone was made from (the snapshot's identity in receipts). */
  snapshot: string;
  rules: string;
  /** Rows per table ("schema.table") in the clone: checked again once PostgreSQL is up on it. */
  counts: [string, number][];
  foreignKeys: VerifyReport['foreignKeys'];
  fingerprints: VerifyReport['fingerprints'];
  /** Where the data came from (shown by the cache's listing). */
  origin?: CacheMeta['origin'];
  /**
   * The data folder's size unpacked (what an engine's copy of it takes), measured when the
   * first copy was made (engineCopy.ts): the copies' share of the cache size is counted in it.
   */
  unpackedBytes?: number;
}

function paths(home: string, key: string): { tar: string; meta: string } {
  if (!/^[0-9a-f]{64}$/.test(key)) throw new Error(`not a cache key: ${key}`);
  return { tar: path.join(cacheDir(home), `${key}.pg.tar.gz`), meta: path.join(cacheDir(home), `${key}.pg.json`) };
}

export interface PhysicalEntry {
  meta: PhysicalMeta;
  file: string;
  /** Removes the entry (a damaged one). */
  remove(): void;
  /** Writes the data folder's unpacked size into the meta (PhysicalMeta.unpackedBytes). */
  recordUnpacked(bytes: number): void;
}

/** The entry, if complete and of this format; touched (unless told not to) so that pruning keeps what is used. */
export function lookupPhysical(home: string, key: string, o: { touch?: boolean } = {}): PhysicalEntry | undefined {
  const p = paths(home, key);
  let meta: PhysicalMeta;
  try {
    meta = JSON.parse(fs.readFileSync(p.meta, 'utf8')) as PhysicalMeta;
    if (meta.format !== CACHE_FORMAT || meta.kind !== 'physical' || meta.key !== key || !fs.statSync(p.tar).isFile()) return undefined;
  } catch {
    return undefined;
  }
  const now = new Date();
  if (o.touch !== false) {
    try { fs.utimesSync(p.tar, now, now); fs.utimesSync(p.meta, now, now); } catch { /* pruned meanwhile: the check fails */ }
  }
  return {
    meta, file: p.tar,
    remove: () => { fs.rmSync(p.meta, { force: true }); fs.rmSync(p.tar, { force: true }); },
    recordUnpacked: (bytes) => {
      // A new file renamed over the meta, with the meta's time kept: it orders the pruning.
      const tmp = `${p.meta}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
      try {
        const st = fs.statSync(p.meta);
        meta.unpackedBytes = bytes;
        fs.writeFileSync(tmp, JSON.stringify(meta), { mode: 0o600 });
        fs.renameSync(tmp, p.meta);
        fs.utimesSync(p.meta, st.atime, st.mtime);
      } catch {
        fs.rmSync(tmp, { force: true }); // pruned meanwhile: nothing to record it in
      }
    },
  };
}

/**
 * Whether the file is the one the meta describes (size, then sha256): a truncated or altered
 * snapshot is found here, before anything is written to a volume. Returns the problem, if any.
 */
export async function checkPhysical(entry: PhysicalEntry, signal?: AbortSignal): Promise<string | undefined> {
  let size: number;
  try { size = fs.statSync(entry.file).size; } catch { return 'its file is gone'; }
  if (size !== entry.meta.bytes) return `its file has ${size} bytes, ${entry.meta.bytes} were written`;
  const hash = createHash('sha256');
  await pipeline(fs.createReadStream(entry.file, { highWaterMark: 1024 * 1024 }), hash, { ...(signal ? { signal } : {}) });
  const sum = hash.digest('hex');
  return sum === entry.meta.sha256 ? undefined : 'its sha256 is not the one written';
}

export class PhysicalSnapshotError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PhysicalSnapshotError';
  }
}

/** A physical snapshot taken and not yet in place: committed once the clone passed its checks. */
export interface TakenPhysical {
  /** Writes the meta and renames both files into place. */
  commit(m: Omit<PhysicalMeta, 'format' | 'kind' | 'key' | 'createdAt' | 'sha256' | 'bytes'>): PhysicalMeta;
  /** Removes what was taken (idempotent). */
  discard(): void;
}

/**
 * Takes a physical snapshot of the running clone: pg_basebackup through exec (a consistent copy
 * while the server runs, only the WAL it needs), into a temporary file. Nothing counts as an
 * entry until commit(): the clone may be taken while its checks still run.
 * pg_basebackup compresses (gzip level 1) in the service's container: a quarter of the bytes
 * cross the engine's API (and the network, for a remote engine), and PostgreSQL's zlib took a
 * third less CPU than Node's for the same output (measured on the bench's 426 MB data folder:
 * 4.1 s against 5.9 s, machine 5.7 against 8.5 CPU-s).
 */
export async function takePhysical(docker: Docker, t: PgTarget, home: string, key: string, signal?: AbortSignal): Promise<TakenPhysical> {
  const p = paths(home, key);
  fs.mkdirSync(cacheDir(home), { recursive: true, mode: 0o700 });
  const tmp = `${p.tar}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  const exec = await startExec(docker, t.id, ['pg_basebackup', '-U', t.user, '-D', '-', '-F', 't', '-X', 'fetch', '-c', 'fast', '--no-manifest', '-Z', '1']);
  const onAbort = () => exec.destroy();
  signal?.addEventListener('abort', onAbort, { once: true });
  const hash = createHash('sha256');
  let bytes = 0;
  const count = new Transform({ transform(c: Buffer, _e, cb) { hash.update(c); bytes += c.length; cb(null, c); } });
  try {
    await pipeline(exec.stdout, count, fs.createWriteStream(tmp, { mode: 0o600 }));
    const code = await exec.exit;
    signal?.throwIfAborted();
    if (code !== 0) {
      const why = exec.stderr.text().split('\n').find((l) => l.trim()) ?? `exit ${code}`;
      throw new PhysicalSnapshotError(`pg_basebackup failed in the clone (exit ${code}): ${why.trim().slice(0, 300)}`);
    }
  } catch (e) {
    exec.destroy();
    fs.rmSync(tmp, { force: true });
    if (signal?.aborted) throw signal.reason ?? e;
    throw e;
  } finally {
    signal?.removeEventListener('abort', onAbort);
  }
  const sha256 = hash.digest('hex');
  let done = false;
  return {
    commit(m) {
      if (done) throw new Error('the physical snapshot was already committed or discarded');
      done = true;
      const meta: PhysicalMeta = { format: CACHE_FORMAT, kind: 'physical', key, createdAt: new Date().toISOString(), sha256, bytes, ...m };
      const metaTmp = `${p.meta}.${process.pid}.tmp`;
      try {
        fs.writeFileSync(metaTmp, JSON.stringify(meta), { mode: 0o600 });
        // The archive first, then the meta: an entry only counts once its meta is there.
        fs.renameSync(tmp, p.tar);
        fs.renameSync(metaTmp, p.meta);
      } catch (e) {
        fs.rmSync(tmp, { force: true });
        fs.rmSync(metaTmp, { force: true });
        throw e;
      }
      return meta;
    },
    discard() {
      if (done) return;
      done = true;
      fs.rmSync(tmp, { force: true });
    },
  };
}
