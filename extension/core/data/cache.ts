// The scrubbed snapshots, kept so that the next clone of the same data under the same rules
// restores without reading the source or scrubbing again:
//   <REPRO_HOME>/data/<key>.sql      the scrubbed plain SQL, uncompressed: it is written while the
//                                    clone streams into psql, and compressing it there cost more
//                                    than scrubbing (measured: gzip level 1 took about as long as
//                                    the scrubber on the same cores); the size cap bounds the disk
//   <REPRO_HOME>/data/<key>.json     what the scrubbing pass counted (rows, fingerprints)
// key = sha256 of the source's identity (a dump: its sha256; a live database: host, port and
// database without credentials, and the point in time the caller gives), the scrub plan's
// identity (its rules and key id), the PostgreSQL major version and CACHE_FORMAT. A change of
// any rule changes the key. Entries are written to a temporary file and renamed (a crash leaves
// no half entry), readable by the user only, and pruned oldest-first past a size cap.
import { createHash, randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Readable, type Writable } from 'node:stream';
import { DEFAULT_CACHE_BYTES } from './cacheSize';
import { fileSha256 } from './dumpSource';
import type { ScrubSummary } from './types';
import type { VerifyReport } from './verify';

/** Bumped when the snapshot's content or meta format changes: old entries then miss. */
export const CACHE_FORMAT = 3;

export interface CacheKeyParts {
  /** "dump:<sha256>" or "live:postgresql://host:port/db@<point in time>". */
  source: string;
  /** ScrubPlan.identity */
  plan: string;
  pgMajor: number;
}

export function cacheKey(p: CacheKeyParts): string {
  return createHash('sha256').update(JSON.stringify({ format: CACHE_FORMAT, source: p.source, plan: p.plan, pgMajor: p.pgMajor })).digest('hex');
}

/** What is stored next to a snapshot: the summary in JSON form. */
export interface CacheMeta {
  format: number;
  key: string;
  createdAt: string;
  /** sha256 of the scrubbed SQL: the snapshot's identity in receipts. */
  snapshot: string;
  rules: string;
  pgMajor: number;
  bytes: number;
  summary: SerialSummary;
  /** What the value check found when the snapshot was made (a snapshot is cached only if it passed). */
  verified: VerifyReport['fingerprints'];
  /** Where the data came from, for the cache's listing: the service, and its source without credentials. */
  origin?: { service: string; source: string };
}

export interface SerialSummary {
  tables: [string, { rowsIn: number; rowsOut: number }][];
  fingerprints: [string, string[]][];
  bytesIn: number;
  bytesOut: number;
}

export const serialSummary = (s: ScrubSummary): SerialSummary => ({
  tables: [...s.tables.entries()],
  fingerprints: [...s.fingerprints.entries()].map(([k, v]) => [k, [...v]]),
  bytesIn: s.bytesIn,
  bytesOut: s.bytesOut,
});

export const summaryOf = (s: SerialSummary): ScrubSummary => ({
  tables: new Map(s.tables),
  fingerprints: new Map(s.fingerprints.map(([k, v]) => [k, new Set(v)])),
  bytesIn: s.bytesIn,
  bytesOut: s.bytesOut,
});

export const cacheDir = (home: string): string => path.join(home, 'data');

function paths(home: string, key: string): { sql: string; meta: string } {
  if (!/^[0-9a-f]{64}$/.test(key)) throw new Error(`not a cache key: ${key}`);
  return { sql: path.join(cacheDir(home), `${key}.sql`), meta: path.join(cacheDir(home), `${key}.json`) };
}

/** The entry, if complete and of this format; touched so that pruning keeps what is used. */
export function lookupCache(home: string, key: string): { meta: CacheMeta; open(): Readable } | undefined {
  const p = paths(home, key);
  let meta: CacheMeta;
  try {
    meta = JSON.parse(fs.readFileSync(p.meta, 'utf8')) as CacheMeta;
    const st = fs.statSync(p.sql);
    // A size that is not the one written: a damaged or cut-off entry, not to be restored.
    if (meta.format !== CACHE_FORMAT || meta.key !== key || !st.isFile() || st.size !== meta.bytes) return undefined;
  } catch {
    return undefined;
  }
  const now = new Date();
  try { fs.utimesSync(p.sql, now, now); fs.utimesSync(p.meta, now, now); } catch { /* pruned meanwhile: open() fails */ }
  return {
    meta,
    open: () => fs.createReadStream(p.sql, { highWaterMark: 256 * 1024 }),
  };
}

export interface CacheWriter {
  /** Write the scrubbed SQL here (end it when the SQL ended). */
  stream: Writable;
  /** After the stream finished: writes the meta and renames both into place. */
  commit(meta: Omit<CacheMeta, 'format' | 'key' | 'createdAt' | 'bytes'>): Promise<CacheMeta>;
  /**
   * After the stream finished: the sha256 of what was written, read back from the file. A clone
   * asks for it while its checks run (PostgreSQL's work), rather than hashing every chunk on
   * the thread that scrubs while the restore waits on it.
   */
  sha256(): Promise<string>;
  /**
   * What is written, from its start, as it is written: the reader waits for the writer when it
   * caught up and ends where the stream finished. It fails with the abort's reason when the
   * entry is aborted, or with the file's error.
   */
  follow(): Readable;
  /** Drops what was written (idempotent); a follower fails with `reason`. */
  abort(reason?: Error): void;
}

/** What a follower reads at a time. */
const FOLLOW_CHUNK = 256 * 1024;

/** Starts an entry: the SQL goes to a temporary file of the cache folder, renamed on commit. */
export function openCacheWriter(home: string, key: string): CacheWriter {
  const p = paths(home, key);
  fs.mkdirSync(cacheDir(home), { recursive: true, mode: 0o700 });
  const tmp = `${p.sql}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  // The bytes the file holds so far, counted as each write lands (fs overrides: the stream
  // says nothing per write), and who waits for more: followers.
  let landed = 0;
  let opened = false;
  let ended = false;
  let failure: Error | undefined;
  const waiting = new Set<() => void>();
  const wake = () => { for (const w of waiting) w(); waiting.clear(); };
  type Done = (err: NodeJS.ErrnoException | null, n: number, b: unknown) => void;
  const counted = (cb: Done): Done => (err, n, b) => {
    if (!err) landed += n;
    cb(err, n, b);
    wake();
  };
  const file = fs.createWriteStream(tmp, {
    mode: 0o600, highWaterMark: 1024 * 1024,
    fs: {
      open: fs.open, close: fs.close,
      write: (fd: number, b: Buffer, off: number, len: number, pos: number | null, cb: Done) => fs.write(fd, b, off, len, pos, counted(cb)),
      writev: (fd: number, bs: Buffer[], pos: number | null, cb: Done) => fs.writev(fd, bs, pos, counted(cb)),
    },
  });
  let aborted = false;
  const written = new Promise<void>((resolve, reject) => {
    file.on('finish', () => { ended = true; wake(); resolve(); });
    file.on('error', (e) => { failure ??= e; wake(); reject(e); });
  });
  written.catch(() => undefined);
  file.on('ready', () => { opened = true; wake(); });
  async function* follow(): AsyncGenerator<Buffer> {
    const failed = () => failure ?? (aborted ? new Error('the cache entry was aborted') : undefined);
    const more = () => new Promise<void>((resolve) => waiting.add(resolve));
    let err: Error | undefined;
    // (The file is there once the writer opened it.)
    while (!opened && !(err = failed())) await more();
    if ((err ??= failed())) throw err;
    // An abort while this opens removes the file: the abort's reason is the error, not ENOENT.
    const fh = await fs.promises.open(tmp, 'r').catch((e: Error) => { throw failed() ?? e; });
    try {
      for (let pos = 0; ;) {
        if ((err = failed())) throw err;
        if (pos < landed) {
          const n = Math.min(landed - pos, FOLLOW_CHUNK);
          const { bytesRead, buffer } = await fh.read(Buffer.allocUnsafe(n), 0, n, pos);
          if (bytesRead === 0) throw new Error('the cache file is shorter than what was written to it');
          pos += bytesRead;
          yield bytesRead === n ? buffer : buffer.subarray(0, bytesRead);
        } else if (ended) {
          return;
        } else {
          await more();
        }
      }
    } finally {
      await fh.close();
    }
  }
  return {
    stream: file,
    async commit(m) {
      await written;
      if (aborted) throw new Error('the cache entry was aborted');
      const meta: CacheMeta = { format: CACHE_FORMAT, key, createdAt: new Date().toISOString(), bytes: file.bytesWritten, ...m };
      const metaTmp = `${p.meta}.${process.pid}.tmp`;
      fs.writeFileSync(metaTmp, JSON.stringify(meta), { mode: 0o600 });
      // The SQL first, then the meta: an entry only counts once its meta is there.
      fs.renameSync(tmp, p.sql);
      fs.renameSync(metaTmp, p.meta);
      return meta;
    },
    async sha256() {
      await written;
      return fileSha256(tmp);
    },
    follow: () => Readable.from(follow(), { objectMode: false }),
    abort(reason) {
      if (aborted) return;
      aborted = true;
      failure ??= reason;
      file.destroy();
      fs.rmSync(tmp, { force: true });
      wake();
    },
  };
}

/** The files of each entry in the cache folder, by key; `temporary`: files being written (or left). */
function scanCache(home: string): { entries: Map<string, { bytes: number; used: number }>; temporary: { file: string; mtimeMs: number }[] } {
  const entries = new Map<string, { bytes: number; used: number }>();
  const temporary: { file: string; mtimeMs: number }[] = [];
  const dir = cacheDir(home);
  let names: string[];
  try { names = fs.readdirSync(dir); } catch { return { entries, temporary }; }
  for (const n of names) {
    const f = path.join(dir, n);
    let st: fs.Stats;
    try { st = fs.statSync(f); } catch { continue; }
    if (n.endsWith('.tmp')) {
      temporary.push({ file: f, mtimeMs: st.mtimeMs });
      continue;
    }
    const m = /^([0-9a-f]{64})\.(sql|sql\.gz|json|pg\.tar\.gz|pg\.json)$/.exec(n);
    if (!m) continue;
    const e = entries.get(m[1]!) ?? { bytes: 0, used: 0 };
    e.bytes += st.size;
    e.used = Math.max(e.used, st.mtimeMs);
    entries.set(m[1]!, e);
  }
  return { entries, temporary };
}

/**
 * Removes entries (SQL and physical snapshots alike), least recently used first, until the
 * folder holds at most `maxBytes`; `keep` (the entries just written) is never removed. Left-over
 * temporary files older than a day go too. Returns the keys removed.
 */
export function pruneCache(home: string, maxBytes = DEFAULT_CACHE_BYTES, keep?: string | string[]): string[] {
  const kept = new Set(typeof keep === 'string' ? [keep] : keep ?? []);
  const { entries, temporary } = scanCache(home);
  for (const t of temporary) if (Date.now() - t.mtimeMs > 24 * 3600e3) fs.rmSync(t.file, { force: true });
  let total = [...entries.values()].reduce((a, e) => a + e.bytes, 0);
  const removed: string[] = [];
  for (const [key, e] of [...entries].sort((a, b) => a[1].used - b[1].used)) {
    if (total <= maxBytes) break;
    if (kept.has(key)) continue;
    const p = paths(home, key);
    // The meta first: an entry without its meta no longer counts.
    const base = p.meta.slice(0, -'.json'.length);
    // (.sql.gz: an entry of an earlier cache format.)
    for (const f of [p.meta, p.sql, `${base}.sql.gz`, `${base}.pg.json`, `${base}.pg.tar.gz`]) fs.rmSync(f, { force: true });
    total -= e.bytes;
    removed.push(key);
  }
  return removed;
}

/** "812.3 MB", "1.2 GB": sizes of the cache as it is listed (parseByteSize reads them back). */
export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 ** 2) return `${(n / 1024).toFixed(1)} KB`;
  if (n < 1024 ** 3) return `${(n / 1024 ** 2).toFixed(1)} MB`;
  if (n < 1024 ** 4) return `${(n / 1024 ** 3).toFixed(1)} GB`;
  return `${(n / 1024 ** 4).toFixed(1)} TB`;
}

/** "1 snapshot", "2 snapshots", "1 engine copy": counts in the cache's messages. */
export const counted = (n: number, one: string, many = `${one}s`): string => `${n} ${n === 1 ? one : many}`;

/** An entry of the cache as `repro data cache` and the Clear Data Cache command show it. */
export interface CacheEntryInfo {
  key: string;
  /** Its files' bytes on disk. */
  bytes: number;
  /** When a clone last wrote or used it. */
  usedAt: Date;
  /** The scrubbed SQL is there. */
  sql: boolean;
  /** The physical snapshot (the data folder) is there. */
  physical: boolean;
  pgMajor?: number;
  /** Rows in the clone, all tables together, and how many tables. */
  rows?: number;
  tables?: number;
  origin?: CacheMeta['origin'];
  /** sha256 of the scrubbed SQL: the id a reproduction's receipt gives its data by. */
  snapshot?: string;
}

/** The cache's entries, the most recently used first. Reads the metas only, never a snapshot. */
export function listCache(home: string): CacheEntryInfo[] {
  const read = <T>(file: string): T | undefined => {
    try { return JSON.parse(fs.readFileSync(file, 'utf8')) as T; } catch { return undefined; }
  };
  const out: CacheEntryInfo[] = [];
  for (const [key, e] of scanCache(home).entries) {
    const base = path.join(cacheDir(home), key);
    const sql = read<CacheMeta>(`${base}.json`);
    // physicalSnapshot.ts writes it (PhysicalMeta); only what is shown is read.
    const phys = read<{ pgMajor?: number; counts?: [string, number][]; origin?: CacheMeta['origin']; snapshot?: string }>(`${base}.pg.json`);
    const counts = phys?.counts ?? sql?.summary.tables.map(([t, c]) => [t, c.rowsOut] as [string, number]);
    const pgMajor = sql?.pgMajor ?? phys?.pgMajor;
    const origin = sql?.origin ?? phys?.origin;
    const snapshot = sql?.snapshot ?? phys?.snapshot;
    out.push({
      key, bytes: e.bytes, usedAt: new Date(e.used),
      sql: Boolean(sql) && fs.existsSync(`${base}.sql`), physical: Boolean(phys) && fs.existsSync(`${base}.pg.tar.gz`),
      ...(pgMajor !== undefined ? { pgMajor } : {}),
      ...(counts ? { rows: counts.reduce((a, [, n]) => a + n, 0), tables: counts.length } : {}),
      ...(origin ? { origin } : {}),
      ...(snapshot ? { snapshot } : {}),
    });
  }
  return out.sort((a, b) => b.usedAt.getTime() - a.usedAt.getTime());
}

/** Removes every entry (a clone writing one now still completes it). Returns what was removed. */
export function clearCache(home: string): { entries: number; bytes: number } {
  const { entries } = scanCache(home);
  const removed = pruneCache(home, 0);
  return { entries: removed.length, bytes: removed.reduce((a, k) => a + (entries.get(k)?.bytes ?? 0), 0) };
}
