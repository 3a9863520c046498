// Stream plumbing for the data clone's engine side: the engine's multiplexed stdout/stderr
// framing split with backpressure (dockerode's demuxStream ignores it, so a slow consumer of a
// large dump would pile the dump up in memory), a bounded tail for stderr, a stream whose end
// waits for the producing process's verdict, and a minimal tar writer for putArchive.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { PassThrough, Readable, Transform, type TransformCallback } from 'node:stream';

/**
 * Splits the engine's multiplexed attach/exec stream ([kind, 0, 0, 0, size BE32] + payload)
 * into stdout (this stream's output, with backpressure) and stderr (handed to `onStderr`).
 */
export class Demux extends Transform {
  private header = Buffer.alloc(8);
  private headerFill = 0;
  private remaining = 0;
  private kind = 0;

  constructor(private readonly onStderr: (chunk: Buffer) => void) {
    super();
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    let pos = 0;
    while (pos < chunk.length) {
      if (this.remaining === 0) {
        const take = Math.min(8 - this.headerFill, chunk.length - pos);
        chunk.copy(this.header, this.headerFill, pos, pos + take);
        this.headerFill += take;
        pos += take;
        if (this.headerFill < 8) break;
        this.headerFill = 0;
        this.kind = this.header[0]!;
        this.remaining = this.header.readUInt32BE(4);
        if (this.kind > 2) {
          done(new Error('the engine sent a stream that is not multiplexed (a TTY?)'));
          return;
        }
        continue;
      }
      const take = Math.min(this.remaining, chunk.length - pos);
      const payload = chunk.subarray(pos, pos + take);
      pos += take;
      this.remaining -= take;
      if (this.kind === 2) this.onStderr(payload);
      else if (this.kind === 1) this.push(payload);
    }
    done();
  }
}

/** Keeps the last `limit` bytes written to it (stderr of a long job), as text. */
export class Tail {
  private chunks: Buffer[] = [];
  private size = 0;
  /** Bytes dropped from the front. */
  dropped = 0;

  constructor(private readonly limit = 64 * 1024) {}

  push(b: Buffer): void {
    this.chunks.push(b);
    this.size += b.length;
    while (this.size > this.limit) {
      const first = this.chunks[0]!;
      const excess = this.size - this.limit;
      if (first.length <= excess) {
        this.chunks.shift();
        this.size -= first.length;
        this.dropped += first.length;
      } else {
        this.chunks[0] = first.subarray(excess);
        this.size -= excess;
        this.dropped += excess;
      }
    }
  }

  text(): string {
    return Buffer.concat(this.chunks).toString('utf8');
  }
}

/**
 * A stream that passes `input` through but only ends once `verdict` resolves: it fails with
 * the verdict's error instead when the producer (pg_dump, pg_restore) exits with an error, so
 * that a consumer never takes a cut-off output for a complete one.
 */
export function gated(input: Readable, verdict: Promise<void>): PassThrough {
  const out = new PassThrough();
  input.on('error', (e) => out.destroy(e));
  input.pipe(out, { end: false });
  const ended = new Promise<void>((resolve) => input.once('end', resolve));
  Promise.all([verdict, ended]).then(
    () => { if (!out.destroyed) out.end(); },
    (e: unknown) => out.destroy(e instanceof Error ? e : new Error(String(e))),
  );
  return out;
}

/** Collects a stream's bytes up to `limit` (the rest is counted, not kept). */
export async function collect(stream: Readable, limit = 1024 * 1024): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const c of stream) {
    const b = c as Buffer;
    if (size < limit) chunks.push(b.subarray(0, limit - size));
    size += b.length;
  }
  return Buffer.concat(chunks).toString('utf8');
}

// ------------------------------------------------------------------------------------ tar

function octal(n: number, width: number): string {
  return n.toString(8).padStart(width - 1, '0') + '\0';
}

/** One ustar header block; sizes past 8 GiB use the GNU base-256 form. */
function tarHeader(name: string, size: number, mode: number, type: '0' | '5', mtime: number): Buffer {
  const h = Buffer.alloc(512);
  let prefix = '';
  let base = name;
  if (Buffer.byteLength(base) > 100) {
    const cut = name.lastIndexOf('/', 154);
    if (cut <= 0 || Buffer.byteLength(name.slice(cut + 1)) > 100) throw new Error(`path too long for the archive: ${name}`);
    prefix = name.slice(0, cut);
    base = name.slice(cut + 1);
  }
  h.write(base, 0, 100, 'utf8');
  h.write(octal(mode & 0o7777, 8), 100, 8, 'ascii');
  h.write(octal(0, 8), 108, 8, 'ascii');
  h.write(octal(0, 8), 116, 8, 'ascii');
  if (size < 8 ** 11) {
    h.write(octal(size, 12), 124, 12, 'ascii');
  } else {
    h[124] = 0x80;
    let v = BigInt(size);
    for (let i = 135; i > 124; i--) { h[i] = Number(v & 0xffn); v >>= 8n; }
  }
  h.write(octal(Math.floor(mtime), 12), 136, 12, 'ascii');
  h.write('        ', 148, 8, 'ascii');
  h.write(type, 156, 1, 'ascii');
  h.write('ustar\0', 257, 6, 'ascii');
  h.write('00', 263, 2, 'ascii');
  h.write(prefix, 345, 155, 'utf8');
  let sum = 0;
  for (const b of h) sum += b;
  h.write(octal(sum, 7) + ' ', 148, 8, 'ascii');
  return h;
}

export interface TarEntry {
  /** Path inside the archive, '/'-separated, no leading '/'. */
  name: string;
  /** Absent for a directory. */
  file?: string;
  size?: number;
  mode?: number;
}

/** A tar stream of the given entries (files streamed from disk, never held in memory). */
export function tarStream(entries: TarEntry[]): Readable {
  const mtime = Date.now() / 1000;
  async function* gen(): AsyncGenerator<Buffer> {
    for (const e of entries) {
      if (e.file === undefined) {
        yield tarHeader(e.name.replace(/\/?$/, '/'), 0, e.mode ?? 0o755, '5', mtime);
        continue;
      }
      const size = e.size ?? fs.statSync(e.file).size;
      yield tarHeader(e.name, size, e.mode ?? 0o644, '0', mtime);
      let sent = 0;
      for await (const chunk of fs.createReadStream(e.file)) {
        const b = chunk as Buffer;
        const part = b.subarray(0, Math.max(0, size - sent));
        sent += part.length;
        if (part.length) yield part;
      }
      if (sent !== size) throw new Error(`${e.file} changed size while it was being copied`);
      if (size % 512) yield Buffer.alloc(512 - (size % 512));
    }
    yield Buffer.alloc(1024);
  }
  return Readable.from(gen(), { objectMode: false });
}

/** The entries of a folder, recursively (regular files and folders; links are refused). */
export function folderEntries(dir: string, base = ''): TarEntry[] {
  const out: TarEntry[] = [];
  for (const d of fs.readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
    const p = path.join(dir, d.name);
    const name = base ? `${base}/${d.name}` : d.name;
    if (d.isDirectory()) {
      out.push({ name, mode: fs.statSync(p).mode });
      out.push(...folderEntries(p, name));
    } else if (d.isFile()) {
      const st = fs.statSync(p);
      out.push({ name, file: p, size: st.size, mode: st.mode });
    } else {
      throw new Error(`${p} is neither a file nor a folder (links and devices are not copied)`);
    }
  }
  return out;
}
