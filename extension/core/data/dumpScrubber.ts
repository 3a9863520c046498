// The scrubber: a Transform from a plain-SQL dump to the same dump with the plan's strategies
// applied, in bounded memory. Rows of tables without rules, and every line that is not data,
// flow through as the input's own bytes; only the ruled columns of ruled tables are decoded,
// scrubbed and re-encoded. It stops (DumpFormatError) rather than write a clone that would be
// wrong: a rule naming a column the dump's table does not have, a strategy the column's type
// cannot hold, a row with the wrong number of fields, a dump that is cut off. No error
// message carries a data value: only table, column and type names, counts and line numbers.
import { Transform, type TransformCallback } from 'node:stream';
import { ChunkWriter, type Sink } from './chunkWriter';
import { columnScrubber, type ValueScrubber } from './columnScrub';
import { decodeCopyText, encodeCopyText } from './copyText';
import { DumpReader, type CopyMode, type DumpEvents, type DumpReaderOptions } from './dumpReader';
import { fingerprint } from './keyed';
import { rulesFor, strategyName } from './rules';
import { decodeSqlValue, encodeSqlLiteral, type CopyHeader, type InsertStatement, type TableDecl } from './sqlStatements';
import { classifyType, strategyProblem, type ColumnDecl } from './sqlTypes';
import { DumpFormatError, type ScrubPlan, type ScrubStream, type ScrubSummary, type TableProgress } from './types';

export interface ScrubOptions extends DumpReaderOptions {
  onProgress?(p: TableProgress): void;
  /** How many original values per scrubbed column to fingerprint: the first N non-null (default 10,000). */
  fingerprintSample?: number;
}

interface ColumnPlan {
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
class FieldMemo {
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

/** The encodings whose text the scrubber decodes as UTF-8 (SQL_ASCII: valid UTF-8 or an error). */
const UTF8 = new Set(['UTF8', 'UTF-8', 'UNICODE', 'SQL_ASCII']);

const TAB = 0x09;
/** Bytes buffered on each side of the scrubber (see createScrubber). */
const SCRUB_BUFFER = 4 * 1024 * 1024;

class Scrubbing implements DumpEvents {
  readonly decls = new Map<string, TableDecl>();
  readonly summary: ScrubSummary & { missingTables: string[] } = { tables: new Map(), fingerprints: new Map(), bytesIn: 0, bytesOut: 0, missingTables: [] };
  reader!: DumpReader;
  private readonly seen = new Set<string>();
  private readonly compiled = new Map<string, ColumnPlan[]>();
  private readonly sampledCount = new Map<string, { n: number }>();
  private rowPlan: { table: string; plans: ColumnPlan[]; width: number; starts: Int32Array } | undefined;
  private insertTable: string | undefined;
  private readonly sample: number;

  constructor(private readonly plan: ScrubPlan, private readonly opts: ScrubOptions) {
    this.sample = opts.fingerprintSample ?? 10_000;
  }

  createTable(decl: TableDecl, line: number): void {
    if (decl.partitionOf) {
      const parent = this.decls.get(decl.partitionOf);
      if (parent?.complete) Object.assign(decl, { columns: parent.columns, complete: true });
    }
    this.decls.set(decl.name, decl);
    this.seen.add(decl.name);
    // Check the rules against the full column list now, before any data is read.
    if (this.rules(decl.name) && decl.complete) this.compile(decl.name, decl.columns, line);
  }

  private rules(table: string) {
    return rulesFor(this.plan, table, (t) => this.decls.get(t)?.parents);
  }

  copyStart(h: CopyHeader, line: number): CopyMode {
    this.endInserts();
    this.seen.add(h.table);
    this.entry(h.table);
    const rules = this.rules(h.table)?.rules;
    if (!rules) return 'pass';
    const columns = this.columnsOf(h.table, h.columns, line);
    const plans = this.compile(h.table, columns, line);
    if (rules.truncate) return 'drop';
    if (plans.length === 0) return 'pass';
    this.checkEncoding(h.table, line);
    this.rowPlan = { table: h.table, plans, width: columns.length, starts: new Int32Array(columns.length + 1) };
    return 'rows';
  }

  copyRow(buf: Buffer, rowStart: number, eol: number, end: number, line: number, out: Sink): void {
    const { table, plans, width, starts } = this.rowPlan!;
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
      out.bytes(this.copyField(table, p, buf, start, fieldEnd, line));
      at = fieldEnd;
    }
    out.range(buf, at, end);
  }

  /** One ruled field of a COPY row, scrubbed and escaped (from the column's memo when it repeats). */
  private copyField(table: string, p: ColumnPlan, row: Buffer, start: number, end: number, line: number): Buffer {
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
      throw new DumpFormatError(`${table}.${p.column}: a value is not valid UTF-8`, line);
    }
    const fp = this.sampleFingerprint(p, value);
    const out = encodeCopyText(this.scrub(table, p, value, line));
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

  copyEnd(table: string, rows: number): void {
    const e = this.entry(table);
    e.rowsIn += rows;
    if (!this.rules(table)?.rules.truncate) e.rowsOut += rows;
    this.rowPlan = undefined;
    this.opts.onProgress?.({ table, rows: e.rowsIn, done: true });
  }

  insert(stmt: InsertStatement): Buffer | null | undefined {
    if (this.insertTable !== stmt.table) this.endInserts();
    this.insertTable = stmt.table;
    this.seen.add(stmt.table);
    const e = this.entry(stmt.table);
    e.rowsIn += stmt.rows.length;
    const rules = this.rules(stmt.table)?.rules;
    if (!rules) {
      e.rowsOut += stmt.rows.length;
      return undefined;
    }
    const columns = this.columnsOf(stmt.table, stmt.columns, stmt.line);
    const plans = this.compile(stmt.table, columns, stmt.line);
    if (rules.truncate) return null;
    e.rowsOut += stmt.rows.length;
    if (plans.length === 0) return undefined;
    this.checkEncoding(stmt.table, stmt.line);
    const parts: Buffer[] = [];
    let at = 0;
    for (const row of stmt.rows) {
      if (row.length !== columns.length) {
        throw new DumpFormatError(`a row of ${stmt.table} has ${row.length} values where the table has ${columns.length} columns`, stmt.line);
      }
      for (const p of plans) {
        const [start, end] = row[p.index]!;
        let v;
        try {
          v = decodeSqlValue(stmt.text.subarray(start, end), stmt.stdStrings);
        } catch {
          throw new DumpFormatError(`${stmt.table}.${p.column}: a value is not a SQL literal the scrubber reads, or not valid UTF-8`, stmt.line);
        }
        if (v.kind === 'default') continue;
        const original = v.kind === 'null' ? null : v.value;
        const scrubbed = this.apply(stmt.table, p, original, stmt.line);
        parts.push(stmt.text.subarray(at, start));
        parts.push(Buffer.from(v.kind === 'string' ? encodeSqlLiteral(scrubbed, stmt.stdStrings, v.prefix, v.suffix) : encodeSqlLiteral(scrubbed, stmt.stdStrings), 'utf8'));
        at = end;
      }
    }
    parts.push(stmt.text.subarray(at));
    return Buffer.concat(parts);
  }

  /** Called after each input chunk: progress of the table being read. */
  progress(): void {
    const copy = this.reader.copy;
    if (copy) this.opts.onProgress?.({ table: copy.table, rows: (this.summary.tables.get(copy.table)?.rowsIn ?? 0) + copy.rows, done: false });
    else if (this.insertTable) this.opts.onProgress?.({ table: this.insertTable, rows: this.entry(this.insertTable).rowsIn, done: false });
  }

  finish(): void {
    this.endInserts();
    this.summary.missingTables = [...this.plan.tables.keys()].filter((t) => !this.seen.has(t)).sort();
  }

  private endInserts(): void {
    if (this.insertTable) this.opts.onProgress?.({ table: this.insertTable, rows: this.entry(this.insertTable).rowsIn, done: true });
    this.insertTable = undefined;
  }

  private apply(table: string, p: ColumnPlan, value: string | null, line: number): string | null {
    this.sampleFingerprint(p, value);
    return this.scrub(table, p, value, line);
  }

  /**
   * The sample is the column's first N non-null values (N distinct or fewer): bounded in memory
   * and in HMACs, however many rows repeat a value. Returns the fingerprint when one was taken.
   */
  private sampleFingerprint(p: ColumnPlan, value: string | null): string | undefined {
    if (value === null || !p.sampled || p.sampled.n >= this.sample) return undefined;
    p.sampled.n++;
    const fp = fingerprint(this.plan.key, value);
    p.fingerprints!.add(fp);
    return fp;
  }

  private scrub(table: string, p: ColumnPlan, value: string | null, line: number): string | null {
    try {
      return p.scrub(value);
    } catch (e) {
      // The strategies' messages name the type only, never the value.
      throw new DumpFormatError(`${table}.${p.column}: ${(e as Error).message}`, line);
    }
  }

  private entry(table: string): { rowsIn: number; rowsOut: number } {
    let e = this.summary.tables.get(table);
    if (!e) this.summary.tables.set(table, (e = { rowsIn: 0, rowsOut: 0 }));
    return e;
  }

  private checkEncoding(table: string, line: number): void {
    const enc = this.reader.clientEncoding;
    if (enc !== undefined && !UTF8.has(enc)) {
      throw new DumpFormatError(`the dump's client_encoding is ${enc} and ${table} has rules: the scrubber reads UTF-8 dumps (dump again with pg_dump -E UTF8)`, line);
    }
  }

  /** The columns of a data block, in its order, with what the CREATE TABLE says of each. */
  private columnsOf(table: string, listed: string[] | null, line: number): ColumnDecl[] {
    const decl = this.decls.get(table);
    if (!listed) {
      if (!decl?.complete) throw new DumpFormatError(`the data of ${table} names no columns and the dump has no complete CREATE TABLE for it: cannot tell which value is which`, line);
      return decl.columns;
    }
    return listed.map((name) => decl?.columns.find((c) => c.name === name) ?? { name, type: 'unknown' });
  }

  private compile(table: string, columns: ColumnDecl[], line: number): ColumnPlan[] {
    const id = `${table}\0${columns.map((c) => c.name).join('\0')}`;
    const cached = this.compiled.get(id);
    if (cached) return cached;
    const { from, rules } = this.rules(table)!;
    const via = from === table ? '' : ` (which covers ${table}, its ${this.decls.get(table)?.partitionOf ? 'partition' : 'child'})`;
    const plans: ColumnPlan[] = [];
    for (const [name, strategy] of rules.columns) {
      const index = columns.findIndex((c) => c.name === name);
      const generated = this.decls.get(table)?.columns.find((c) => c.name === name && c.generated);
      if (generated) {
        throw new DumpFormatError(`repro.yaml has a rule for ${from}.${name}${via}, a generated column: the restore computes it from other columns, so rule those instead`, line);
      }
      if (index < 0) {
        throw new DumpFormatError(`repro.yaml has a rule for ${from}.${name}${via}, but the dump's table ${table} has no column "${name}" (its columns: ${columns.map((c) => c.name).join(', ')})`, line);
      }
      if (strategy.kind === 'keep') continue;
      const column = columns[index]!;
      const type = classifyType(column.type);
      const problem = strategyProblem(strategy, type, column.notNull);
      if (problem) throw new DumpFormatError(`${table}.${name} (${strategyName(strategy)}, type ${column.type}): ${problem}`, line);
      const fpKey = `${table}.${name}`;
      let fingerprints: Set<string> | undefined;
      let sampled: { n: number } | undefined;
      if (strategy.kind !== 'null') {
        fingerprints = this.summary.fingerprints.get(fpKey);
        if (!fingerprints) this.summary.fingerprints.set(fpKey, (fingerprints = new Set()));
        sampled = this.sampledCount.get(fpKey);
        if (!sampled) this.sampledCount.set(fpKey, (sampled = { n: 0 }));
      }
      plans.push({ index, column: name, scrub: columnScrubber(strategy, type, this.plan.key), memo: new FieldMemo(), ...(fingerprints && sampled ? { fingerprints, sampled } : {}) });
    }
    plans.sort((a, b) => a.index - b.index); // INSERT rebuilding walks values in order
    this.compiled.set(id, plans);
    return plans;
  }
}

/** A Transform from a plain-SQL dump to its scrubbed copy; summary() is complete once it ended. */
export function createScrubber(plan: ScrubPlan, opts: ScrubOptions = {}): ScrubStream {
  const scrubbing = new Scrubbing(plan, opts);
  const writer = new ChunkWriter();
  const reader = new DumpReader(scrubbing, writer, opts);
  scrubbing.reader = reader;
  const summary = scrubbing.summary;
  const flush = (t: Transform) => {
    for (const b of writer.take()) {
      summary.bytesOut += b.length;
      t.push(b);
    }
  };
  const stream = new Transform({
    // Room for a few chunks on each side: the scrubber and what reads its output (psql in
    // another container) run on different cores, and a stall of one (a checkpoint, a burst of
    // new values to scrub) is then absorbed instead of stopping the other.
    writableHighWaterMark: SCRUB_BUFFER,
    readableHighWaterMark: SCRUB_BUFFER,
    transform(chunk: Buffer | string, encoding: BufferEncoding, callback: TransformCallback) {
      try {
        const buf = typeof chunk === 'string' ? Buffer.from(chunk, encoding) : chunk;
        summary.bytesIn += buf.length;
        reader.write(buf);
        flush(this);
        scrubbing.progress();
        callback();
      } catch (e) {
        writer.take();
        callback(e as Error);
      }
    },
    flush(callback: TransformCallback) {
      try {
        reader.end();
        scrubbing.finish();
        flush(this);
        callback();
      } catch (e) {
        writer.take();
        callback(e as Error);
      }
    },
  });
  return { stream, summary: () => summary };
}
