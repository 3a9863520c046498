// Where the dump reader and the scrubber write their output: ranges of the input and new bytes,
// gathered into as few buffers as possible per input chunk. A rewritten row is three or more
// short pieces (the bytes before a ruled field, the scrubbed field, the rest); as Buffer objects
// each, then concatenated, they cost more than the scrubbing itself. Short pieces are copied
// into a slab instead (a byte loop: shorter than the native copy's own call), long runs of
// untouched input go out as they are, uncopied.

/** What the reader and the scrubber write to. */
export interface Sink {
  /** buf[start, end), which must stay unchanged until the output is taken. */
  range(buf: Uint8Array, start: number, end: number): void;
  /** A whole buffer (the same rule). */
  bytes(b: Uint8Array): void;
  /** Output still being made (by a scrub lane): its place is kept for it. */
  later(output: Promise<Buffer>): void;
}

/** What a ChunkWriter hands on: bytes, and places held for output still being made. */
export type Output = Buffer | Promise<Buffer>;

/** A Sink that drops everything (the coverage scan reads, it writes nothing). */
export const NO_SINK: Sink = { range: () => undefined, bytes: () => undefined, later: () => undefined };

/** Runs at least this long are passed on as a view of the input rather than copied. */
const LONG = 4096;
/** Below this, a byte loop beats Buffer#copy. */
const LOOP_MAX = 48;
const SLAB = 256 * 1024;

export class ChunkWriter implements Sink {
  private readonly out: Output[] = [];
  private slab = Buffer.allocUnsafeSlow(0);
  /** The slab's bytes [sealed, pos) are written but not yet in `out`. */
  private sealed = 0;
  private pos = 0;

  range(buf: Uint8Array, start: number, end: number): void {
    const n = end - start;
    if (n <= 0) return;
    if (n >= LONG) {
      this.seal();
      this.out.push(Buffer.from(buf.buffer, buf.byteOffset + start, n));
      return;
    }
    if (this.pos + n > this.slab.length) this.grow(n);
    const slab = this.slab;
    if (n <= LOOP_MAX) {
      let p = this.pos;
      for (let i = start; i < end; i++) slab[p++] = buf[i]!;
    } else {
      slab.set(buf.subarray(start, end), this.pos);
    }
    this.pos += n;
  }

  bytes(b: Uint8Array): void {
    this.range(b, 0, b.length);
  }

  later(output: Promise<Buffer>): void {
    this.seal();
    this.out.push(output);
  }

  /** What was written since the last call, in order (empty when nothing was). */
  take(): Output[] {
    this.seal();
    return this.out.splice(0);
  }

  private seal(): void {
    if (this.pos > this.sealed) this.out.push(this.slab.subarray(this.sealed, this.pos));
    this.sealed = this.pos;
  }

  private grow(n: number): void {
    this.seal();
    // The old slab stays alive as long as what was taken from it is; it is never written again.
    this.slab = Buffer.allocUnsafeSlow(Math.max(SLAB, n));
    this.sealed = 0;
    this.pos = 0;
  }
}
