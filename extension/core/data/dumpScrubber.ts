// The scrubber: a Transform from a plain-SQL dump to the same dump with the plan's strategies
// applied, in bounded memory. Rows of tables without rules, and every line that is not data,
// flow through as the input's own bytes; only the ruled columns of ruled tables are decoded,
// scrubbed and re-encoded. It stops (DumpFormatError) rather than write a clone that would be
// wrong: a rule naming a column the dump's table does not have, a strategy the column's type
// cannot hold, a row with the wrong number of fields, a dump that is cut off. No error
// message carries a data value: only table, column and type names, counts and line numbers.
import { Transform, type TransformCallback } from 'node:stream';
import { ChunkWriter, type Sink } from './chunkWriter';
import { columnScrubber } from './columnScrub';
import { DumpReader, type CopyMode, type DumpEvents, type DumpReaderOptions } from './dumpReader';
import { fingerprint } from './keyed';
import { OutputQueue } from './outputQueue';
import { FieldMemo, RowScrubber, scrubValue, type ColumnPlan } from './rowScrubber';
import { rulesFor } from './rules';
import { defaultLaneCount, RowBatcher, ScrubLanes, type LaneColumn } from './scrubLanes';
import { decodeSqlValue, encodeSqlLiteral, type CopyHeader, type InsertStatement, type TableDecl } from './sqlStatements';
import { classifyType, ruleProblem, type ColumnDecl } from './sqlTypes';
import { DumpFormatError, type ScrubPlan, type ScrubStream, type ScrubSummary, type TableProgress } from './types';

export interface ScrubOptions extends DumpReaderOptions {
  onProgress?(p: TableProgress): void;
  /** How many original values per scrubbed column to fingerprint: the first N non-null (default 10,000). */
  fingerprintSample?: number;
  /** Worker threads that scrub large tables' rows (default: defaultLaneCount(), the cores a clone leaves; 0: none). */
  lanes?: number;
  /** Ruled rows scrubbed on the scrubber's own thread before lanes start (default 4 MiB). */
  lanesAfterBytes?: number;
  /** Bytes of rows per batch sent to a lane (default 256 KiB). */
  laneBatchBytes?: number;
}

/** The encodings whose text the scrubber decodes as UTF-8 (SQL_ASCII: valid UTF-8 or an error). */
const UTF8 = new Set(['UTF8', 'UTF-8', 'UNICODE', 'SQL_ASCII']);

/** Bytes buffered on each side of the scrubber (see createScrubber). */
const SCRUB_BUFFER = 4 * 1024 * 1024;
/** Below this much ruled data a dump is scrubbed faster than lanes start (a thread, its modules). */
const LANES_AFTER_BYTES = 4 * 1024 * 1024;
const LANE_BATCH_BYTES = 256 * 1024;

class Scrubbing implements DumpEvents {
  readonly decls = new Map<string, TableDecl>();
  readonly summary: ScrubSummary & { missingTables: string[] } = { tables: new Map(), fingerprints: new Map(), bytesIn: 0, bytesOut: 0, missingTables: [] };
  reader!: DumpReader;
  private readonly seen = new Set<string>();
  private readonly compiled = new Map<string, ColumnPlan[]>();
  private readonly sampledCount = new Map<string, { n: number }>();
  /** The rows of the data block being read, when it has ruled columns. */
  private rows: { scrubber: RowScrubber; columns: ColumnDecl[]; lane?: number } | undefined;
  private insertTable: string | undefined;
  private readonly sample: number;
  /** Ruled rows scrubbed on this thread so far. */
  private ownBytes = 0;
  private readonly lanesAfter: number;
  readonly lanes: ScrubLanes | undefined;
  private readonly batcher: RowBatcher | undefined;

  constructor(private readonly plan: ScrubPlan, private readonly opts: ScrubOptions) {
    this.sample = opts.fingerprintSample ?? 10_000;
    this.lanesAfter = opts.lanesAfterBytes ?? LANES_AFTER_BYTES;
    const lanes = opts.lanes ?? defaultLaneCount();
    if (lanes > 0) {
      this.lanes = new ScrubLanes(lanes, plan.key);
      this.batcher = new RowBatcher(this.lanes, opts.laneBatchBytes ?? LANE_BATCH_BYTES);
    }
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
    this.rows = { scrubber: new RowScrubber(h.table, plans, columns.length, this.sample, this.sampler), columns };
    return 'rows';
  }

  copyRow(buf: Buffer, rowStart: number, eol: number, end: number, line: number, out: Sink): void {
    const rows = this.rows!;
    if (rows.lane === undefined && this.batcher && this.ownBytes >= this.lanesAfter && rows.scrubber.samplesComplete()) {
      rows.lane = this.lanes!.table(rows.scrubber.table, rows.scrubber.width, this.laneColumns(rows.scrubber.plans, rows.columns));
    }
    if (rows.lane !== undefined) {
      this.batcher!.add(rows.lane, buf, rowStart, end, line, out);
      return;
    }
    this.ownBytes += end - rowStart;
    rows.scrubber.row(buf, rowStart, eol, end, line, out);
  }

  /** What a lane needs of the ruled columns: plain data, no functions. */
  private laneColumns(plans: ColumnPlan[], columns: ColumnDecl[]): LaneColumn[] {
    const { rules } = this.rules(this.rows!.scrubber.table)!;
    return plans.map((p) => ({ index: p.index, column: p.column, strategy: rules.columns.get(p.column)!, type: columns[p.index]!.type }));
  }

  copyEnd(table: string, rows: number): void {
    // The "\." line comes next: the rows gathered so far go first.
    this.batcher?.send();
    const e = this.entry(table);
    e.rowsIn += rows;
    if (!this.rules(table)?.rules.truncate) e.rowsOut += rows;
    this.rows = undefined;
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
        this.sampler(p, original);
        const scrubbed = scrubValue(stmt.table, p, original, stmt.line);
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
    this.batcher?.send();
    this.endInserts();
    this.summary.missingTables = [...this.plan.tables.keys()].filter((t) => !this.seen.has(t)).sort();
  }

  private endInserts(): void {
    if (this.insertTable) this.opts.onProgress?.({ table: this.insertTable, rows: this.entry(this.insertTable).rowsIn, done: true });
    this.insertTable = undefined;
  }

  /**
   * The sample is the column's first N non-null values (N distinct or fewer): bounded in memory
   * and in HMACs, however many rows repeat a value. Returns the fingerprint when one was taken.
   */
  private readonly sampler = (p: ColumnPlan, value: string | null): string | undefined => {
    if (value === null || !p.sampled || p.sampled.n >= this.sample) return undefined;
    p.sampled.n++;
    const fp = fingerprint(this.plan.key, value);
    p.fingerprints!.add(fp);
    return fp;
  };

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
      const problem = ruleProblem(table, column, strategy);
      if (problem) throw new DumpFormatError(problem, line);
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

/** Batches out to the lanes before the scrubber stops taking input. */
const MAX_WAITING_BATCHES = 8;

/** A Transform from a plain-SQL dump to its scrubbed copy; summary() is complete once it ended. */
export function createScrubber(plan: ScrubPlan, opts: ScrubOptions = {}): ScrubStream {
  const scrubbing = new Scrubbing(plan, opts);
  const writer = new ChunkWriter();
  const reader = new DumpReader(scrubbing, writer, opts);
  scrubbing.reader = reader;
  const summary = scrubbing.summary;
  // Callbacks held back: the next chunk's, while too many batches are out; the end's, until
  // the last batch is back.
  let held: TransformCallback | undefined;
  let finishing: TransformCallback | undefined;
  const queue = new OutputQueue((b) => {
    summary.bytesOut += b.length;
    stream.push(b);
  }, () => advance());
  const advance = (): void => {
    if (stream.destroyed) return;
    const failed = queue.drain();
    const cb = held ?? finishing;
    if (failed) {
      held = finishing = undefined;
      if (cb) cb(failed.error as Error);
      else stream.destroy(failed.error as Error);
      return;
    }
    if (held && queue.waiting < MAX_WAITING_BATCHES) {
      held = undefined;
      cb!();
    } else if (finishing && queue.empty) {
      finishing = undefined;
      void scrubbing.lanes?.close();
      cb!();
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
        queue.add(writer.take());
        scrubbing.progress();
      } catch (e) {
        writer.take();
        callback(e as Error);
        return;
      }
      held = callback;
      advance();
    },
    flush(callback: TransformCallback) {
      try {
        reader.end();
        scrubbing.finish();
        queue.add(writer.take());
      } catch (e) {
        writer.take();
        callback(e as Error);
        return;
      }
      finishing = callback;
      advance();
    },
    destroy(error: Error | null, callback: (error: Error | null) => void) {
      void scrubbing.lanes?.close();
      callback(error);
    },
  });
  return { stream, summary: () => summary };
}
