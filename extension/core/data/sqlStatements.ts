// The three statements of a plain-SQL dump the scrubber reads: CREATE TABLE (column names,
// types, NOT NULL), the COPY header (the data's column order) and INSERT INTO ... VALUES (as
// pg_dump --inserts / --column-inserts / --rows-per-insert write it), plus SQL string literals.
// Names are unquoted and lower-cased, and qualified with the dump's schema when bare, so
// they compare with the plan's "schema.table".
import type { ColumnDecl } from './sqlTypes';

export interface TableDecl {
  /** "schema.table". */
  name: string;
  columns: ColumnDecl[];
  /** False when the statement does not list every column (INHERITS, PARTITION OF, OF type). */
  complete: boolean;
  /** "schema.parent" of a PARTITION OF: the partition has the parent's columns. */
  partitionOf?: string;
  /** The tables of PARTITION OF or INHERITS: their rules cover this table's rows too. */
  parents?: string[];
}

export interface CopyHeader {
  table: string;
  /** The listed columns, or null when the statement lists none. */
  columns: string[] | null;
  /** FROM stdin: the data follows in the dump. */
  fromStdin: boolean;
  /** No WITH / format options: pg_dump's text format. */
  textFormat: boolean;
}

export interface InsertStatement {
  table: string;
  columns: string[] | null;
  /** Per row, per value: [start, end) offsets of the value's text in `text`. */
  rows: [number, number][][];
  text: Buffer;
  /** The statement's first line. */
  line: number;
  stdStrings: boolean;
}

const IDENT_START = /[A-Za-z_\u0080-\uffff]/;
const IDENT_PART = /[A-Za-z0-9_$\u0080-\uffff]/;

/** An identifier at s[i]: quoted ("" escapes) or bare; lower-cased. */
export function readIdentifier(s: string, i: number): { name: string; end: number } | undefined {
  if (s[i] === '"') {
    let name = '';
    let j = i + 1;
    for (;;) {
      const q = s.indexOf('"', j);
      if (q < 0) return undefined;
      name += s.slice(j, q);
      if (s[q + 1] === '"') {
        name += '"';
        j = q + 2;
      } else return { name: name.toLowerCase(), end: q + 1 };
    }
  }
  if (!IDENT_START.test(s[i] ?? '')) return undefined;
  let j = i + 1;
  while (j < s.length && IDENT_PART.test(s[j]!)) j++;
  return { name: s.slice(i, j).toLowerCase(), end: j };
}

/** "schema.table" at s[i]; a bare name gets `schema`. */
export function readQualifiedName(s: string, i: number, schema: string): { name: string; end: number } | undefined {
  const first = readIdentifier(s, i);
  if (!first) return undefined;
  if (s[first.end] === '.') {
    const second = readIdentifier(s, first.end + 1);
    if (!second) return undefined;
    if (s[second.end] === '.') {
      const third = readIdentifier(s, second.end + 1); // database.schema.table
      if (!third) return undefined;
      return { name: `${second.name}.${third.name}`, end: third.end };
    }
    return { name: `${first.name}.${second.name}`, end: second.end };
  }
  return { name: `${schema}.${first.name}`, end: first.end };
}

const skip = (s: string, i: number) => {
  while (i < s.length && /\s/.test(s[i]!)) i++;
  return i;
};

/** The offset just past the parenthesis closing the one at s[open], skipping strings and quoted names. */
function closingParen(s: string, open: number): number {
  let depth = 0;
  for (let i = open; i < s.length; i++) {
    const c = s[i];
    if (c === '(') depth++;
    else if (c === ')') {
      if (--depth === 0) return i + 1;
    } else if (c === "'" || c === '"') {
      const q = s.indexOf(c, i + 1);
      if (q < 0) return -1;
      i = q; // a doubled quote reopens at the next character: same result
    }
  }
  return -1;
}

/** Splits s on commas outside parentheses, strings and quoted names. */
function splitTopLevel(s: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (c === '(') depth++;
    else if (c === ')') depth--;
    else if (c === "'" || c === '"') {
      const q = s.indexOf(c, i + 1);
      if (q < 0) break;
      i = q;
    } else if (c === ',' && depth === 0) {
      parts.push(s.slice(start, i));
      start = i + 1;
    }
  }
  parts.push(s.slice(start));
  return parts.map((p) => p.trim()).filter((p) => p !== '');
}

/** Blank-separated words outside parentheses and quotes. */
function words(s: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let cur = '';
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (c === "'" || c === '"') {
      const q = s.indexOf(c, i + 1);
      const end = q < 0 ? s.length : q + 1;
      cur += s.slice(i, end);
      i = end - 1;
      continue;
    }
    if (c === '(') depth++;
    if (c === ')') depth--;
    if (/\s/.test(c) && depth === 0) {
      if (cur) out.push(cur);
      cur = '';
    } else cur += c;
  }
  if (cur) out.push(cur);
  return out;
}

const TABLE_CONSTRAINT = /^(CONSTRAINT|PRIMARY|UNIQUE|CHECK|FOREIGN|EXCLUDE|LIKE)$/i;
const COLUMN_CLAUSE = /^(COLLATE|DEFAULT|NOT|NULL|CONSTRAINT|CHECK|UNIQUE|PRIMARY|REFERENCES|GENERATED|OPTIONS|COMPRESSION|STORAGE)$/i;

export function parseCreateTable(text: string, schema: string): TableDecl | undefined {
  const head = /^\s*CREATE\s+(?:(?:GLOBAL|LOCAL)\s+)?(?:(?:TEMPORARY|TEMP|UNLOGGED|FOREIGN)\s+)?TABLE\s+(?:IF\s+NOT\s+EXISTS\s+)?/i.exec(text);
  if (!head) return undefined;
  const qn = readQualifiedName(text, head[0].length, schema);
  if (!qn) return undefined;
  let i = skip(text, qn.end);
  const partition = /^PARTITION\s+OF\s+/i.exec(text.slice(i, i + 40));
  if (partition) {
    const parent = readQualifiedName(text, i + partition[0].length, schema);
    return { name: qn.name, columns: [], complete: false, ...(parent ? { partitionOf: parent.name, parents: [parent.name] } : {}) };
  }
  if (text[i] !== '(') return { name: qn.name, columns: [], complete: false }; // OF type, AS ...
  const close = closingParen(text, i);
  if (close < 0) return undefined;
  const columns: ColumnDecl[] = [];
  for (const element of splitTopLevel(text.slice(i + 1, close - 1))) {
    const ws = words(element);
    if (ws.length === 0 || TABLE_CONSTRAINT.test(ws[0]!)) continue;
    const id = readIdentifier(ws[0]!, 0);
    if (!id) continue;
    let k = 1;
    const type: string[] = [];
    while (k < ws.length && !COLUMN_CLAUSE.test(ws[k]!)) type.push(ws[k++]!);
    const rest = ws.slice(k).join(' ');
    const flat = rest.replace(/'(?:[^']|'')*'/g, "''").replace(/\([^()]*\)/g, '()');
    columns.push({
      name: id.name,
      type: type.join(' ').toLowerCase() || 'unknown',
      notNull: /\bNOT\s+NULL\b/i.test(flat) || /\bPRIMARY\s+KEY\b/i.test(flat),
      ...(/\bGENERATED\s+ALWAYS\s+AS\s*\(/i.test(rest) ? { generated: true } : {}),
    });
  }
  i = skip(text, close);
  const inherits = /^INHERITS\s*\(/i.exec(text.slice(i, i + 12));
  if (!inherits) return { name: qn.name, columns, complete: true };
  const open = i + inherits[0].length - 1;
  const end = closingParen(text, open);
  const parents = splitTopLevel(text.slice(open + 1, end < 0 ? text.length : end - 1)).map((p) => readQualifiedName(p, 0, schema)?.name).filter((p): p is string => p !== undefined);
  return { name: qn.name, columns, complete: false, parents };
}

export function parseCopyHeader(text: string, schema: string): CopyHeader | undefined {
  const head = /^\s*COPY\s+/i.exec(text);
  if (!head) return undefined;
  const qn = readQualifiedName(text, head[0].length, schema);
  if (!qn) return undefined;
  let i = skip(text, qn.end);
  let columns: string[] | null = null;
  if (text[i] === '(') {
    const close = closingParen(text, i);
    if (close < 0) return undefined;
    columns = [];
    for (const part of splitTopLevel(text.slice(i + 1, close - 1))) {
      const id = readIdentifier(part, 0);
      if (!id) return undefined;
      columns.push(id.name);
    }
    i = skip(text, close);
  }
  const from = /^FROM\s+stdin\b\s*/i.exec(text.slice(i));
  if (!from) return { table: qn.name, columns, fromStdin: false, textFormat: true };
  const after = text.slice(i + from[0].length).trim();
  return { table: qn.name, columns, fromStdin: true, textFormat: after === ';' || after === '' };
}

/** Why an INSERT could not be read: the statement's shape only, never its values. */
export class InsertSyntaxError extends Error {}

/** Parses an INSERT statement (bytes; offsets in the result are byte offsets). */
export function parseInsert(text: Buffer, schema: string, stdStrings: boolean, line: number): InsertStatement {
  const s = text.toString('latin1'); // one char per byte: offsets stay byte offsets
  const head = /^\s*INSERT\s+INTO\s+/i.exec(s);
  if (!head) throw new InsertSyntaxError('not an INSERT INTO statement');
  const qn = readQualifiedName(s, head[0].length, schema);
  if (!qn) throw new InsertSyntaxError('cannot read the table name');
  const table = Buffer.from(qn.name, 'latin1').toString('utf8');
  let i = skip(s, qn.end);
  let columns: string[] | null = null;
  if (s[i] === '(') {
    const close = closingParen(s, i);
    if (close < 0) throw new InsertSyntaxError('unterminated column list');
    columns = [];
    for (const part of splitTopLevel(s.slice(i + 1, close - 1))) {
      const id = readIdentifier(part, 0);
      if (!id) throw new InsertSyntaxError('cannot read the column list');
      columns.push(Buffer.from(id.name, 'latin1').toString('utf8'));
    }
    i = skip(s, close);
  }
  const overriding = /^OVERRIDING\s+(?:SYSTEM|USER)\s+VALUE\s+/i.exec(s.slice(i, i + 40));
  if (overriding) i = skip(s, i + overriding[0].length);
  if (!/^VALUES\b/i.test(s.slice(i, i + 7))) throw new InsertSyntaxError('only INSERT ... VALUES is supported');
  i = skip(s, i + 6);
  const rows: [number, number][][] = [];
  for (;;) {
    if (s[i] !== '(') throw new InsertSyntaxError('expected "(" to open a row');
    i++;
    const row: [number, number][] = [];
    for (;;) {
      i = skip(s, i);
      const start = i;
      i = valueEnd(s, i, stdStrings);
      let end = i;
      while (end > start && /\s/.test(s[end - 1]!)) end--;
      row.push([start, end]);
      if (s[i] === ',') {
        i++;
        continue;
      }
      if (s[i] === ')') {
        i++;
        break;
      }
      throw new InsertSyntaxError('unterminated row');
    }
    rows.push(row);
    i = skip(s, i);
    if (s[i] === ',') {
      i = skip(s, i + 1);
      continue;
    }
    break; // ";" or a trailing clause such as ON CONFLICT DO NOTHING
  }
  return { table, columns, rows, text, line, stdStrings };
}

/** The offset of the ',' or ')' that ends the value starting at s[i]. */
function valueEnd(s: string, i: number, stdStrings: boolean): number {
  let depth = 0;
  while (i < s.length) {
    const c = s[i]!;
    if (c === "'") {
      const escapes = !stdStrings || /[Ee]/.test(s[i - 1] ?? '');
      i = literalEnd(s, i, escapes);
      continue;
    }
    if (c === '"') {
      const q = s.indexOf('"', i + 1);
      if (q < 0) break;
      i = q + 1;
      continue;
    }
    if (c === '(') depth++;
    else if (c === ')') {
      if (depth === 0) return i;
      depth--;
    } else if (c === ',' && depth === 0) return i;
    i++;
  }
  throw new InsertSyntaxError('unterminated value');
}

/** The offset just past the literal whose opening quote is at s[open]. */
function literalEnd(s: string, open: number, escapes: boolean): number {
  for (let i = open + 1; i < s.length; i++) {
    const c = s[i];
    if (escapes && c === '\\') i++;
    else if (c === "'") {
      if (s[i + 1] === "'") i++;
      else return i + 1;
    }
  }
  throw new InsertSyntaxError('unterminated string literal');
}

export type SqlValue =
  | { kind: 'null' }
  | { kind: 'default' }
  /** A quoted literal: its text, and what surrounds it (an N prefix, a ::cast suffix) to keep. */
  | { kind: 'string'; value: string; prefix: string; suffix: string }
  /** An unquoted number or boolean, as written (the same text COPY would hold). */
  | { kind: 'bare'; value: string };

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** A value's text in an INSERT, decoded; throws on bytes that are not UTF-8. */
export function decodeSqlValue(bytes: Buffer, stdStrings: boolean): SqlValue {
  const s = bytes.toString('latin1');
  if (/^NULL$/i.test(s)) return { kind: 'null' };
  if (/^DEFAULT$/i.test(s)) return { kind: 'default' };
  const m = /^([EeNnBbXx]?)'/.exec(s);
  if (!m) return { kind: 'bare', value: utf8.decode(bytes) };
  const prefix = m[1]!;
  const escapes = /[Ee]/.test(prefix) || (!stdStrings && !/[BbXx]/.test(prefix));
  const open = prefix.length;
  const end = literalEnd(s, open, escapes);
  const content = bytes.subarray(open + 1, end - 1);
  const out = Buffer.allocUnsafe(content.length * 4);
  let n = 0;
  for (let i = 0; i < content.length; i++) {
    let c = content[i]!;
    if (c === 0x27) i++; // '' -> '
    else if (escapes && c === 0x5c && i + 1 < content.length) {
      c = content[++i]!;
      if (c >= 0x30 && c <= 0x37) {
        let v = c - 0x30;
        for (let k = 0; k < 2 && content[i + 1]! >= 0x30 && content[i + 1]! <= 0x37; k++) v = v * 8 + (content[++i]! - 0x30);
        c = v & 0xff;
      } else if (c === 0x78 && /[0-9a-fA-F]/.test(String.fromCharCode(content[i + 1] ?? 0))) {
        let v = 0;
        for (let k = 0; k < 2 && /[0-9a-fA-F]/.test(String.fromCharCode(content[i + 1] ?? 0)); k++) v = v * 16 + parseInt(String.fromCharCode(content[++i]!), 16);
        c = v;
      } else if (c === 0x75 || c === 0x55) {
        const digits = c === 0x75 ? 4 : 8;
        const hex = content.toString('latin1', i + 1, i + 1 + digits);
        if (!/^[0-9a-fA-F]+$/.test(hex) || hex.length !== digits) throw new InsertSyntaxError('invalid Unicode escape in a string literal');
        n += out.write(String.fromCodePoint(parseInt(hex, 16)), n, 'utf8');
        i += digits;
        continue;
      } else c = ({ 0x62: 0x08, 0x66: 0x0c, 0x6e: 0x0a, 0x72: 0x0d, 0x74: 0x09 } as Record<number, number>)[c] ?? c;
    }
    out[n++] = c;
  }
  return { kind: 'string', value: utf8.decode(out.subarray(0, n)), prefix: /[Nn]/.test(prefix) ? prefix : '', suffix: s.slice(end) };
}

/** A SQL literal for `value` that reads back the same under the dump's standard_conforming_strings. */
export function encodeSqlLiteral(value: string | null, stdStrings: boolean, prefix = '', suffix = ''): string {
  if (value === null) return 'NULL';
  const quoted = value.replace(/'/g, "''");
  if (!stdStrings && value.includes('\\')) return `E'${quoted.replace(/\\/g, '\\\\')}'${suffix}`;
  return `${prefix}'${quoted}'${suffix}`;
}
