// One table's ruled COPY rows, scrubbed: the row is cut at its tabs, only the ruled fields are
// decoded, scrubbed and re-encoded (or taken from the column's memo when they repeat), and the
// rest of the line is written as ranges of the input. The scrubber runs it on its own thread
// and the scrub lanes (scrubLanes.ts) on theirs; both write the same bytes for the same rows.
import type { Sink } from './chunkWriter';
import { type ValueScrubber } from './columnScrub';
import { decodeCopyText, encodeCopyText } from './copyText';
import { DumpFormatError } from './types';

export interface ColumnPlan {
  index: number;
  column: string;
  scrub: ValueScrubber;
  /** Fingerprints of originals, for masked, faked, hashed and redacted columns. */
  fingerprints?: Set<string>;
  /** Shared by the column's plans across data blocks: how many values were fingerprinted. */
  sampled?: { n: number };
  /** The column's recent COPY fields and what they scrubbed to. */
  memo: FieldMemo;
}

/** Takes the fingerprint of an original value while the column's sample is open. */
export type Sampler = (p: ColumnPlan, value: string | null) => string | undefined;

/** Fields longer than this are scrubbed every time (the memo's memory stays small). */
const MEMO_MAX_BYTES = 256;
/** Slots of a column's memo (a power of two): it holds at most this many distinct fields. */
const MEMO_SLOTS = 8192;
/** Lookups after which a column whose values rarely repeat stops using its memo. */
const MEMO_TRIAL = 8192;

interface MemoEntry {
  /** The raw field, then the scrubbed one (escaped for COPY), in memory of their own. */
  key: Buffer;
  out: Buffer;
  /** The original's fingerprint, if it was taken (values met while the sample was still open). */
  fp: string | undefined;
  isNull: boolean;
}

/**
 * Recent raw COPY fields -> their scrubbed field. Real data repeats values (names, cities,
 * addresses, dates), and every strategy is a pure function of the value under the key, so a
 * repeat needs no HMAC, no decoding and no encoding. Direct-mapped on a hash of the field's
 * bytes: a lookup makes no string and no object, and a new field takes its slot's place (an
 * approximation of an LRU, bounded, with no bookkeeping per hit).
 */
export class FieldMemo {
  private readonly hashes = new Int32Array(MEMO_SLOTS);
  private readonly entries: (MemoEntry | undefined)[] = new Array<MemoEntry | undefined>(MEMO_SLOTS).fill(undefined);
  /** The slot and hash of the last lookup: where set() stores. */
  private slot = 0;
  private hash = 0;
  private lookups = 0;
  private hits = 0;
  private off = false;

  /**
   * False once a column has shown that its values do not repeat (fewer than one lookup in 8
   * a hit over its first MEMO_TRIAL lookups: unique emails, ids, tokens): then the memo's
   * stored copies cost more than they save, and the column goes without.
   */
  useful(): boolean {
    return !this.off;
  }

  get(buf: Buffer, start: number, end: number): MemoEntry | undefined {
    // FNV-1a over the bytes.
    let h = 0x811c9dc5 ^ (end - start);
    for (let i = start; i < end; i++) h = Math.imul(h ^ buf[i]!, 0x01000193);
    const slot = (h ^ (h >>> 13)) & (MEMO_SLOTS - 1);
    this.slot = slot;
    this.hash = h;
    let e = this.entries[slot];
    if (e !== undefined && (this.hashes[slot] !== h || !sameBytes(e.key, buf, start, end))) e = undefined;
    if (this.lookups < MEMO_TRIAL) this.trial(e !== undefined);
    return e;
  }

  private trial(hit: boolean): void {
    if (hit) this.hits++;
    if (++this.lookups === MEMO_TRIAL && this.hits * 8 < MEMO_TRIAL) {
      this.off = true;
      this.entries.fill(undefined);
    }
  }

  /** Stores what the field of the last get() (a miss) scrubbed to. */
  set(e: MemoEntry): void {
    if (this.off) return;
    this.hashes[this.slot] = this.hash;
    this.entries[this.slot] = e;
  }
}

function sameBytes(a: Buffer, b: Buffer, start: number, end: number): boolean {
  if (a.length !== end - start) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[start + i]) return false;
  return true;
}

const TAB = 0x09;

export class RowScrubber {
  /** Where each field of the row being cut starts. */
  private readonly starts: Int32Array;

  /**
   * `plans` in column order; `sample` is the size of each column's fingerprint sample, and
   * `sampler` takes one (absent where no sample is taken: in a lane, which only ever scrubs
   * once every sample is complete).
   */
  constructor(readonly table: string, readonly plans: ColumnPlan[], readonly width: number, private readonly sample = 0, private readonly sampler?: Sampler) {
    this.starts = new Int32Array(width + 1);
  }

  /** True once no column of the table takes fingerprints any more. */
  samplesComplete(): boolean {
    return this.plans.every((p) => !p.sampled || p.sampled.n >= this.sample);
  }

  /** buf[rowStart, eol) is the row, buf[eol, end) its line end: writes the whole line, scrubbed. */
  row(buf: Buffer, rowStart: number, eol: number, end: number, line: number, out: Sink): void {
    const { table, plans, width, starts } = this;
    // Where each field starts (starts[i]; a field ends one byte before the next one's start):
    // only the ruled fields are cut out, the rest of the line is written as ranges of the input.
    let fields = 1;
    starts[0] = rowStart;
    for (let tab = buf.indexOf(TAB, rowStart); tab >= 0 && tab < eol; tab = buf.indexOf(TAB, tab + 1)) {
      if (fields < width) starts[fields] = tab + 1;
      fields++;
    }
    if (fields !== width) {
      throw new DumpFormatError(`a row of ${table} has ${fields} fields where its COPY header names ${width} columns`, line);
    }
    starts[width] = eol + 1;
    let at = rowStart;
    for (const p of plans) {
      const start = starts[p.index]!;
      const fieldEnd = starts[p.index + 1]! - 1;
      out.range(buf, at, start);
      out.bytes(this.field(p, buf, start, fieldEnd, line));
      at = fieldEnd;
    }
    out.range(buf, at, end);
  }

  /** One ruled field of a COPY row, scrubbed and escaped (from the column's memo when it repeats). */
  private field(p: ColumnPlan, row: Buffer, start: number, end: number, line: number): Buffer {
    const memo = end - start <= MEMO_MAX_BYTES && p.memo.useful() ? p.memo : undefined;
    if (memo) {
      const hit = memo.get(row, start, end);
      if (hit) {
        if (!hit.isNull && hit.fp !== undefined && p.sampled && p.sampled.n < this.sample) {
          p.sampled.n++;
          p.fingerprints!.add(hit.fp);
        }
        return hit.out;
      }
    }
    let value: string | null;
    try {
      value = decodeCopyText(row.subarray(start, end));
    } catch {
      throw new DumpFormatError(`${this.table}.${p.column}: a value is not valid UTF-8`, line);
    }
    const fp = this.sampler?.(p, value);
    const out = encodeCopyText(scrubValue(this.table, p, value, line));
    if (memo) {
      // Copies of their own: a small Buffer is a slice of a shared 8 KB slab (or of the input
      // chunk), which it would keep alive.
      const own = Buffer.allocUnsafeSlow(end - start + out.length);
      row.copy(own, 0, start, end);
      out.copy(own, end - start);
      memo.set({ key: own.subarray(0, end - start), out: own.subarray(end - start), fp, isNull: value === null });
    }
    return out;
  }
}

/** The column's strategy applied to one value; errors name the column, never the value. */
export function scrubValue(table: string, p: ColumnPlan, value: string | null, line: number): string | null {
  try {
    return p.scrub(value);
  } catch (e) {
    // The strategies' messages name the type only, never the value.
    throw new DumpFormatError(`${table}.${p.column}: ${(e as Error).message}`, line);
  }
}
