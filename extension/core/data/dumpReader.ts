// Reads a plain-SQL dump as pg_dump writes it, line by line, with bounded buffering: a partial
// line waits for the next chunk (capped), a multi-line statement the reader needs (CREATE
// TABLE, COPY, INSERT) is gathered (capped), and everything else flows through at once, as
// ranges of the input chunk, uncopied. The scrubber and the coverage scan are both handlers of
// its events. It knows where it is from the lexer (sqlLexer.ts), so a "COPY" inside a string or
// a function body is not mistaken for data, and it knows a dump that is cut off: data without
// its "\." terminator, an unterminated statement or string, or a pg_dump header without the
// "dump complete" trailer.
import { describeMode, lexLine, newLexState, skipBlanks, TOP, type LexState } from './sqlLexer';
import { InsertSyntaxError, parseCopyHeader, parseCreateTable, parseInsert, readQualifiedName, type CopyHeader, type InsertStatement, type TableDecl } from './sqlStatements';
import { DumpFormatError } from './types';
import type { Sink } from './chunkWriter';

/** How the rows of a COPY block are handled: passed on untouched, dropped, or handed to copyRow. */
export type CopyMode = 'pass' | 'drop' | 'rows';

export interface DumpEvents {
  createTable?(decl: TableDecl, line: number): void;
  copyStart(header: CopyHeader, line: number): CopyMode;
  /**
   * A row of a 'rows' block: buf[start, eol) is the row, buf[eol, end) its line end. Writes what
   * replaces the whole line (line end included) through `out`, in pieces (ranges of `buf` and
   * new bytes), or nothing to drop it. May set the block's mode (reader.copy.mode) to 'pass' for
   * the rows still to come, when it has seen all it needs.
   */
  copyRow?(buf: Buffer, start: number, eol: number, end: number, line: number, out: Sink): void;
  copyEnd?(table: string, rows: number, line: number): void;
  /** What to write instead of the statement (null drops it), or undefined to keep it. */
  insert?(stmt: InsertStatement): Buffer | null | undefined;
}

export interface DumpReaderOptions {
  /** The longest line accepted (default 64 MB): a longer one is a DumpFormatError, not a memory blow-up. */
  maxLineBytes?: number;
  /** The longest CREATE TABLE / COPY / INSERT statement gathered (default 64 MB). */
  maxStatementBytes?: number;
}

export const DEFAULT_MAX_LINE = 64 * 1024 * 1024;

const KEEP = Symbol('keep');
/** The line's replacement was already written (copyRow). */
const WRITTEN = Symbol('written');
type LineResult = typeof KEEP | typeof WRITTEN | Buffer | null;

interface Capture {
  kind: 'create' | 'copy' | 'insert';
  parts: Buffer[];
  bytes: number;
  line: number;
}

export class DumpReader {
  /** The number of the line being read (1-based), for errors. */
  line = 0;
  /** SET client_encoding, upper-case; undefined until the dump sets it. */
  clientEncoding: string | undefined;
  /** The COPY block being read, if any. */
  copy: { table: string; mode: CopyMode; rows: number; line: number } | undefined;

  private readonly lex: LexState = newLexState();
  private schema = 'public';
  private carry: Buffer[] = [];
  private carryBytes = 0;
  private capture: Capture | undefined;
  private sawHeader = false;
  private sawTrailer = false;
  private readonly maxLine: number;
  private readonly maxStatement: number;

  constructor(private readonly events: DumpEvents, private readonly out: Sink, opts: DumpReaderOptions = {}) {
    this.maxLine = opts.maxLineBytes ?? DEFAULT_MAX_LINE;
    this.maxStatement = opts.maxStatementBytes ?? DEFAULT_MAX_LINE;
  }

  write(chunk: Buffer): void {
    let pos = 0;
    if (this.carryBytes > 0) {
      const nl = chunk.indexOf(10);
      if (nl < 0) {
        this.addCarry(chunk);
        return;
      }
      const whole = Buffer.concat([...this.carry, chunk.subarray(0, nl + 1)]);
      this.carry = [];
      this.carryBytes = 0;
      this.emit(this.readLine(whole, 0, whole.length), whole);
      pos = nl + 1;
    }
    let from = pos; // the start of the run of kept lines not yet written
    for (;;) {
      const nl = chunk.indexOf(10, pos);
      if (nl < 0) break;
      // A row to rewrite is written by copyRow as it is read: what came before it goes first.
      if (this.copy?.mode === 'rows' && from < pos) {
        this.out.range(chunk, from, pos);
        from = pos;
      }
      const r = this.readLine(chunk, pos, nl + 1);
      if (r !== KEEP) {
        if (from < pos) this.out.range(chunk, from, pos);
        if (r !== null && r !== WRITTEN) this.out.bytes(r);
        from = nl + 1;
      }
      pos = nl + 1;
    }
    if (from < pos) this.out.range(chunk, from, pos);
    if (pos < chunk.length) this.addCarry(chunk.subarray(pos));
  }

  /** The input ended: reads a last unterminated line, then checks that nothing was cut off. */
  end(): void {
    if (this.carryBytes > 0) {
      const last = Buffer.concat(this.carry);
      this.carry = [];
      this.carryBytes = 0;
      this.emit(this.readLine(last, 0, last.length), last);
    }
    if (this.copy) {
      throw new DumpFormatError(`the dump ends inside the data of ${this.copy.table} (COPY at line ${this.copy.line}) without its "\\." terminator: it was cut off`, this.line);
    }
    if (this.capture) {
      const text = Buffer.concat(this.capture.parts).toString('utf8');
      const name = /^\s*(?:INSERT\s+INTO|COPY|CREATE\s+(?:\w+\s+)?TABLE(?:\s+IF\s+NOT\s+EXISTS)?)\s+/i.exec(text);
      const table = name ? readQualifiedName(text, name[0].length, this.schema)?.name : undefined;
      const what = this.capture.kind === 'insert' ? 'INSERT' : this.capture.kind === 'copy' ? 'COPY' : 'CREATE TABLE';
      throw new DumpFormatError(`the dump ends inside the ${what} statement${table ? ` for ${table}` : ''} that starts at line ${this.capture.line}: it was cut off`, this.line);
    }
    if (this.lex.mode !== TOP) {
      throw new DumpFormatError(`the dump ends inside a ${describeMode(this.lex.mode)} opened at line ${this.lex.openedAt}: it was cut off`, this.line);
    }
    if (this.sawHeader && !this.sawTrailer) {
      throw new DumpFormatError(`the dump has pg_dump's header but not its "dump complete" trailer: it was cut off after line ${this.line}`);
    }
  }

  private emit(r: LineResult, line: Buffer): void {
    if (r === KEEP) this.out.bytes(line);
    else if (r !== null && r !== WRITTEN) this.out.bytes(r);
  }

  private addCarry(part: Buffer): void {
    this.carry.push(part);
    this.carryBytes += part.length;
    if (this.carryBytes > this.maxLine) this.tooLong(this.line + 1);
  }

  private tooLong(line: number): never {
    throw new DumpFormatError(`line ${line} is longer than ${this.maxLine} bytes: not a dump the scrubber reads line by line`, line);
  }

  /** buf[start, end) is one line, its "\n" included (absent only at the end of the input). */
  private readLine(buf: Buffer, start: number, end: number): LineResult {
    this.line++;
    if (end - start > this.maxLine) this.tooLong(this.line);
    let eol = end;
    if (eol > start && buf[eol - 1] === 0x0a) eol--;
    if (eol > start && buf[eol - 1] === 0x0d) eol--;
    const copy = this.copy;
    if (copy) {
      if (eol - start === 2 && buf[start] === 0x5c && buf[start + 1] === 0x2e) {
        this.copy = undefined;
        this.events.copyEnd?.(copy.table, copy.rows, this.line);
        return KEEP;
      }
      copy.rows++;
      if (copy.mode === 'pass') return KEEP;
      if (copy.mode === 'drop') return null;
      this.events.copyRow!(buf, start, eol, end, this.line, this.out);
      return WRITTEN;
    }
    return this.sqlLine(buf, start, eol, end);
  }

  private sqlLine(buf: Buffer, start: number, eol: number, end: number): LineResult {
    const st = this.lex;
    if (!this.capture && st.mode === TOP && st.atStart) {
      const first = skipBlanks(buf, start, eol);
      if (first < eol) {
        const c = buf[first];
        if (c === 0x5c) return KEEP; // a psql meta-command (\connect, \restrict): one line, not SQL
        if (c === 0x2d && buf[first + 1] === 0x2d) {
          this.comment(buf.toString('latin1', first, Math.min(eol, first + 80)));
          return KEEP;
        }
        const kind = statementKind(buf, first, eol);
        if (kind === 'set') this.applySet(buf.toString('utf8', first, eol));
        else if (kind) this.capture = { kind, parts: [], bytes: 0, line: this.line };
      }
    }
    const stmtEnd = lexLine(st, buf, start, eol, this.line);
    if (stmtEnd >= 0) this.restOfLine(buf, stmtEnd, eol);
    const cap = this.capture;
    if (!cap) return KEEP;
    cap.parts.push(buf.subarray(start, end));
    cap.bytes += end - start;
    if (cap.bytes > this.maxStatement) {
      throw new DumpFormatError(`the statement that starts at line ${cap.line} is longer than ${this.maxStatement} bytes`, this.line);
    }
    if (stmtEnd < 0) return cap.kind === 'insert' ? null : KEEP; // an INSERT is held until it is whole
    this.capture = undefined;
    return this.finish(cap);
  }

  /** After a top-level ';' mid-line: a data statement may not start there (pg_dump never does it). */
  private restOfLine(buf: Buffer, from: number, eol: number): void {
    let i = from;
    for (;;) {
      i = skipBlanks(buf, i, eol);
      if (i >= eol) return;
      if (this.lex.mode === TOP && this.lex.atStart) {
        if (buf[i] === 0x2d && buf[i + 1] === 0x2d) return;
        const kind = statementKind(buf, i, eol);
        if (kind && kind !== 'set') {
          throw new DumpFormatError('a COPY, INSERT or CREATE TABLE statement starts after another statement on the same line: the scrubber reads pg_dump\'s one-statement-per-line layout', this.line);
        }
      }
      const next = lexLine(this.lex, buf, i, eol, this.line);
      if (next < 0) return;
      i = next;
    }
  }

  private finish(cap: Capture): LineResult {
    const text = Buffer.concat(cap.parts);
    if (cap.kind === 'create') {
      const decl = parseCreateTable(text.toString('utf8'), this.schema);
      if (decl) this.events.createTable?.(decl, cap.line);
      return KEEP;
    }
    if (cap.kind === 'copy') {
      const header = parseCopyHeader(text.toString('utf8'), this.schema);
      if (!header) throw new DumpFormatError('cannot read this COPY statement\'s table and column list', cap.line);
      if (header.fromStdin) {
        if (!header.textFormat) throw new DumpFormatError(`COPY ${header.table} uses options: the scrubber reads pg_dump's plain text COPY format only`, cap.line);
        const mode = this.events.copyStart(header, cap.line);
        this.copy = { table: header.table, mode, rows: 0, line: cap.line };
      }
      return KEEP;
    }
    let stmt: InsertStatement;
    try {
      stmt = parseInsert(text, this.schema, this.lex.stdStrings, cap.line);
    } catch (e) {
      if (e instanceof InsertSyntaxError) throw new DumpFormatError(`cannot read the INSERT statement: ${e.message}`, cap.line);
      throw e;
    }
    const r = this.events.insert?.(stmt);
    return r === undefined ? text : r;
  }

  private comment(text: string): void {
    if (/^--\s*PostgreSQL database (cluster )?dump complete/i.test(text)) this.sawTrailer = true;
    else if (/^--\s*PostgreSQL database (cluster )?dump\s*$/i.test(text)) {
      this.sawHeader = true;
      this.sawTrailer = false;
    }
  }

  private applySet(text: string): void {
    let m = /^SET\s+standard_conforming_strings\s*(?:=|TO)\s*'?(on|off|true|false)'?/i.exec(text);
    if (m) this.lex.stdStrings = /^(on|true)$/i.test(m[1]!);
    m = /^SET\s+client_encoding\s*(?:=|TO)\s*'([^']*)'/i.exec(text);
    if (m) this.clientEncoding = m[1]!.toUpperCase();
    m = /^SET\s+search_path\s*(?:=|TO)\s*([^;]*)/i.exec(text) ?? /set_config\(\s*'search_path'\s*,\s*'([^']*)'/i.exec(text);
    if (m) {
      const first = m[1]!.split(',').map((p) => p.trim().replace(/^"(.*)"$/, '$1').toLowerCase()).find((p) => p !== '' && p !== 'pg_catalog' && p !== "''");
      if (first) this.schema = first;
    }
  }
}

function statementKind(buf: Buffer, from: number, to: number): Capture['kind'] | 'set' | undefined {
  const head = buf.toString('latin1', from, Math.min(to, from + 64));
  if (/^COPY\s/i.test(head)) return 'copy';
  if (/^INSERT\s+INTO\s/i.test(head)) return 'insert';
  if (/^CREATE\s+(?:(?:GLOBAL|LOCAL)\s+)?(?:(?:TEMPORARY|TEMP|UNLOGGED|FOREIGN)\s+)?TABLE\s/i.test(head)) return 'create';
  if (/^SET\s|^SELECT\s+pg_catalog\.set_config\(/i.test(head)) return 'set';
  return undefined;
}
