// A pg_dump file of the repository as a stream of plain SQL. A plain dump (optionally
// gzip-compressed) is read from disk; a custom-format dump ("PGDMP") is turned into plain SQL
// by `pg_restore -f -` in a throwaway container of the clone's own PostgreSQL image (no
// network), the file copied in and the SQL streamed out: the unscrubbed plain SQL never lands
// on the developer's disk. The path is the manifest's, relative to the repository (worktree)
// root, and must stay inside it (no "..", no absolute path, no link leading out).
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { PassThrough, Transform, type Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import type Docker from 'dockerode';
import { runJob } from './engineJobs';
import { gated, tarStream } from './streams';

/** A source's SQL, open: read `stream` to the end, then close() (removes any helper container). */
export interface OpenedSql {
  stream: Readable;
  close(): Promise<void>;
}

/** A source could not be read; the message holds no data value and no secret. */
export class DataSourceError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DataSourceError';
  }
}

/** The file a manifest path names, refusing anything that leads outside `root`. */
export function resolveInside(root: string, rel: string): string {
  if (!rel || path.isAbsolute(rel) || /^[A-Za-z]:/.test(rel)) {
    throw new DataSourceError(`The dump path "${rel}" must be relative to the repository root.`);
  }
  const realRoot = fs.realpathSync(root);
  const joined = path.resolve(realRoot, rel);
  const inside = (p: string) => p === realRoot || p.startsWith(realRoot + path.sep);
  if (!inside(joined)) throw new DataSourceError(`The dump path "${rel}" leads outside the repository root.`);
  let real: string;
  try {
    real = fs.realpathSync(joined);
  } catch {
    throw new DataSourceError(`The dump file "${rel}" does not exist in ${root}.`);
  }
  if (!inside(real)) throw new DataSourceError(`The dump path "${rel}" is a link that leads outside the repository root.`);
  if (!fs.statSync(real).isFile()) throw new DataSourceError(`The dump path "${rel}" is not a file.`);
  return real;
}

/**
 * sha256 of a file, remembered for as long as the file is the same one (device, inode, size,
 * change and modification times to the nanosecond, as git's index and make judge it): a
 * reproduction names its dump's identity up to three times (the coverage gate, the data
 * folder's seeding, then the clone), and a dump of hundreds of MB takes a noticeable part of a
 * second to hash each time. A read of the same file already under way is waited for, not
 * repeated.
 */
export async function fileSha256(file: string, signal?: AbortSignal): Promise<string> {
  const id = statId(file);
  const known = digestMemo.get(file);
  if (known?.id === id) return known.sha;
  const running = reading.get(file);
  if (running?.id === id) {
    try { return await running.sha; } catch { /* that read stopped, or saw the file change: read it here */ }
  }
  return (await readHashed(file, async (bytes) => { for await (const _ of bytes); }, signal)).sha;
}

/**
 * Reads a file once for two things: what `consume` does with its bytes (it must read them to the
 * end) and their sha256, remembered as fileSha256's answer. The coverage gate reads a dump this
 * way, so the dump's identity costs no second pass over it.
 */
export async function readHashed<T>(file: string, consume: (bytes: Readable) => Promise<T>, signal?: AbortSignal): Promise<{ sha: string; result: T }> {
  const startedNs = BigInt(Date.now()) * 1_000_000n;
  const id = statId(file);
  const h = createHash('sha256');
  let sha: string | undefined;
  let settle!: { resolve: (sha: string) => void; reject: (e: Error) => void };
  const mine = { id, sha: new Promise<string>((resolve, reject) => { settle = { resolve, reject }; }) };
  mine.sha.catch(() => undefined); // nobody may be waiting
  reading.set(file, mine);
  try {
    const tap = new Transform({
      transform(chunk: Buffer, _enc, cb) { h.update(chunk); cb(null, chunk); },
      flush(cb) { sha = h.digest('hex'); cb(); },
    });
    const raw = fs.createReadStream(file, { highWaterMark: 1024 * 1024, ...(signal ? { signal } : {}) });
    raw.on('error', (e) => tap.destroy(e));
    tap.on('close', () => raw.destroy()); // a consumer that stops early closes the file too
    const result = await consume(raw.pipe(tap));
    if (sha === undefined) throw new Error(`${path.basename(file)} was not read to its end`);
    const after = fs.statSync(file, { bigint: true });
    if (statId(file, after) !== id) {
      settle.reject(new Error('the file changed while it was read'));
      return { sha, result };
    }
    settle.resolve(sha);
    // Remembered only if a write after the read began would show in the file's times: one in
    // the same tick as the last change, at the same size, would look unchanged (git's "racy"
    // entries, handled the same way).
    if (after.ctimeNs + racyMarginNs(after.ctimeNs) < startedNs) {
      if (digestMemo.size >= 256) digestMemo.delete(digestMemo.keys().next().value!);
      digestMemo.set(file, { id, sha });
    }
    return { sha, result };
  } catch (e) {
    settle.reject(e as Error);
    throw e;
  } finally {
    if (reading.get(file) === mine) reading.delete(file);
  }
}

/**
 * How long before a read a file must have last changed for the read's digest to be kept. Times
 * kept to the second (ext3, HFS+; FAT's tick two seconds) need two; finer ones (ext4, XFS, Btrfs,
 * APFS, NTFS) move every few milliseconds at most.
 */
function racyMarginNs(ctimeNs: bigint): bigint {
  return ctimeNs % 1_000_000_000n === 0n ? 2_000_000_000n : 100_000_000n;
}

function statId(file: string, st = fs.statSync(file, { bigint: true })): string {
  return `${st.dev}:${st.ino}:${st.size}:${st.mtimeNs}:${st.ctimeNs}`;
}
const digestMemo = new Map<string, { id: string; sha: string }>();
/** Reads under way (readHashed), for fileSha256 to wait for rather than repeat. */
const reading = new Map<string, { id: string; sha: Promise<string> }>();

/** A dump file's identity in the cache keys (and what the coverage gate proved covered). */
export const dumpIdentity = (sha: string) => `dump:${sha}`;

export type DumpFormat = 'plain' | 'gzip' | 'custom';

export function dumpFormat(file: string): DumpFormat {
  const fd = fs.openSync(file, 'r');
  try {
    const head = Buffer.alloc(5);
    const n = fs.readSync(fd, head, 0, 5, 0);
    if (n === 5 && head.toString('latin1') === 'PGDMP') return 'custom';
    if (n >= 2 && head[0] === 0x1f && head[1] === 0x8b) return 'gzip';
    return 'plain';
  } finally {
    fs.closeSync(fd);
  }
}

export interface DumpSourceOptions {
  /** The repository (worktree) root the manifest's path is relative to. */
  root: string;
  /** The manifest's `dump:` path. */
  file: string;
  /** The clone's PostgreSQL image (its id): pg_restore of the same version. */
  image: string;
  /** The session's labels: a helper container is collected with the session. */
  labels: Record<string, string>;
  signal?: AbortSignal;
}

/** Opens the dump as plain SQL. */
export async function openDumpSource(docker: Docker, o: DumpSourceOptions): Promise<OpenedSql> {
  const file = resolveInside(o.root, o.file);
  const format = dumpFormat(file);
  if (format === 'plain') {
    const stream = fs.createReadStream(file, { highWaterMark: 256 * 1024 });
    return { stream, close: async () => { stream.destroy(); } };
  }
  if (format === 'gzip') {
    const raw = fs.createReadStream(file, { highWaterMark: 256 * 1024 });
    const gunzip = createGunzip();
    const out = new PassThrough();
    raw.on('error', (e) => out.destroy(e));
    gunzip.on('error', (e) => out.destroy(new DataSourceError(`The dump ${o.file} is gzip-compressed but cannot be read (${e.message}): is it cut off?`)));
    raw.pipe(gunzip).pipe(out);
    return { stream: out, close: async () => { raw.destroy(); gunzip.destroy(); } };
  }
  // Custom format: pg_restore in a throwaway container, reading a seekable copy of the file.
  const size = fs.statSync(file).size;
  const job = await runJob(docker, {
    image: o.image,
    cmd: ['pg_restore', '--no-owner', '--no-privileges', '-f', '-', '/tmp/repro-dump'],
    labels: o.labels,
    network: 'none',
    archive: { path: '/tmp', tar: tarStream([{ name: 'repro-dump', file, size, mode: 0o644 }]) },
  });
  const onAbort = () => { void job.dispose(); };
  o.signal?.addEventListener('abort', onAbort, { once: true });
  const verdict = job.exit.then((code) => {
    if (code === 0) return;
    const err = job.stderr.text().split('\n').find((l) => /pg_restore: error:/.test(l))?.replace(/^.*pg_restore: error:\s*/, '') ?? '';
    const cut = /end of file|could not read|unexpected end|did not find magic|unsupported version|could not find block/i.test(err);
    throw new DataSourceError(cut
      ? `The custom-format dump ${o.file} is cut off or damaged: pg_restore stopped (${err.slice(0, 200)}).`
      : `pg_restore could not read the custom-format dump ${o.file} (exit ${code}${err ? `: ${err.slice(0, 200)}` : ''}).`);
  });
  return {
    stream: gated(job.stdout, verdict),
    close: async () => {
      o.signal?.removeEventListener('abort', onAbort);
      await job.dispose();
    },
  };
}
