// What a column's declared SQL type allows each strategy to do. A scrubbed value must still be
// a valid value of its column, or the restore fails far from the rule that caused it; so a
// strategy that cannot keep the type valid is refused up front, with the strategies that can.
import { strategyName } from './rules';
import type { Strategy } from './types';

export type TypeClass =
  | 'text' // text, varchar(n), char(n), citext, name
  | 'int' // smallint, integer, bigint
  | 'numeric' // numeric, decimal, real, double precision, money
  | 'date'
  | 'timestamp'
  | 'time'
  | 'uuid'
  | 'boolean'
  | 'inet' // inet, cidr
  | 'bytea'
  | 'json' // json, jsonb
  | 'array'
  | 'xml'
  | 'bit'
  | 'other' // built-in types with a syntax a mask would break: interval, geometry, ranges, macaddr...
  | 'unknown'; // anything else: enums, domains, composites, geometry, or no CREATE TABLE seen

export interface SqlType {
  /** As declared, lower-case, "pg_catalog." removed; "unknown" when the dump has no CREATE TABLE. */
  name: string;
  cls: TypeClass;
  /** The n of varchar(n) / char(n): scrubbed text is cut to it. */
  maxLength?: number;
  /** For 'int': the width of the type. */
  intBits?: 16 | 32 | 64;
  /** For 'inet': cidr rejects host bits, inet keeps them. */
  cidr?: boolean;
}

export interface ColumnDecl {
  name: string;
  /** The declared type, or "unknown". */
  type: string;
  /** From the CREATE TABLE; undefined when the dump does not say. */
  notNull?: boolean;
  /** GENERATED ALWAYS AS (...) STORED: computed by the restore, absent from COPY. */
  generated?: boolean;
}

export function classifyType(declared: string): SqlType {
  const name = declared.trim().toLowerCase().replace(/^pg_catalog\./, '').replace(/\s+/g, ' ');
  const base = name.replace(/^[a-z_][a-z0-9_]*\./, '').replace(/^"(.*)"$/, '$1');
  if (/\[\s*\d*\s*\]$/.test(base) || /\barray$/.test(base)) return { name, cls: 'array' };
  const len = /^(?:character varying|varchar|character|char|bpchar)\s*\(\s*(\d+)\s*\)$/.exec(base);
  if (len) return { name, cls: 'text', maxLength: Number(len[1]) };
  if (/^(text|character varying|varchar|character|char|bpchar|citext|name)$/.test(base)) {
    return { name, cls: 'text', ...(base === 'character' || base === 'char' ? { maxLength: 1 } : {}) };
  }
  if (/^(smallint|int2|smallserial|serial2)$/.test(base)) return { name, cls: 'int', intBits: 16 };
  if (/^(integer|int|int4|serial|serial4)$/.test(base)) return { name, cls: 'int', intBits: 32 };
  if (/^(bigint|int8|bigserial|serial8)$/.test(base)) return { name, cls: 'int', intBits: 64 };
  if (/^(numeric|decimal)(\s*\(.*\))?$/.test(base) || /^(real|float4|float8|double precision|money)$/.test(base) || /^float\s*(\(\s*\d+\s*\))?$/.test(base)) return { name, cls: 'numeric' };
  if (base === 'date') return { name, cls: 'date' };
  if (/^timestamp(\s*\(\d+\))?( with(out)? time zone)?$|^timestamptz$/.test(base)) return { name, cls: 'timestamp' };
  if (/^time(\s*\(\d+\))?( with(out)? time zone)?$|^timetz$/.test(base)) return { name, cls: 'time' };
  if (base === 'uuid') return { name, cls: 'uuid' };
  if (base === 'boolean' || base === 'bool') return { name, cls: 'boolean' };
  if (base === 'inet' || base === 'cidr') return { name, cls: 'inet', cidr: base === 'cidr' };
  if (base === 'bytea') return { name, cls: 'bytea' };
  if (base === 'json' || base === 'jsonb') return { name, cls: 'json' };
  if (base === 'xml') return { name, cls: 'xml' };
  if (/^(bit|bit varying|varbit)(\s*\(\d+\))?$/.test(base)) return { name, cls: 'bit' };
  if (/^interval\b|^(point|line|lseg|box|path|polygon|circle|macaddr8?|tsvector|tsquery|pg_lsn|oid|regclass|regtype|regproc|txid_snapshot|pg_snapshot|(int4|int8|num|ts|tstz|date)(multi)?range)$/.test(base)) return { name, cls: 'other' };
  return { name, cls: 'unknown' };
}

const STRUCTURED: ReadonlySet<TypeClass> = new Set(['bytea', 'json', 'array', 'xml', 'bit']);
/** Types with a neutral placeholder value (see redactValue); other types redact to NULL. */
const REDACTABLE: ReadonlySet<TypeClass> = new Set(['text', 'bytea', 'json', 'array', 'xml']);
const HASHABLE: ReadonlySet<TypeClass> = new Set(['text', 'int', 'date', 'timestamp', 'uuid']);
const TEXTUAL: ReadonlySet<TypeClass> = new Set(['text', 'unknown']);

/**
 * Why `strategy` cannot apply to a column of this type, with what can; undefined when it can.
 * The text names the type and strategies only, never a value.
 */
export function strategyProblem(strategy: Strategy, type: SqlType, notNull: boolean | undefined): string | undefined {
  const t = type.name;
  const name = strategy.kind === 'fake' ? `fake:${strategy.fake}` : strategy.kind;
  const changes = strategy.kind === 'mask' || strategy.kind === 'hash' || strategy.kind === 'fake';
  if (STRUCTURED.has(type.cls) && changes) {
    return `${name} cannot apply to type ${t} (it would break the value's structure): use null, redact or keep`;
  }
  if (type.cls === 'other' && changes) return `${name} cannot keep type ${t} valid: use ${notNull ? 'keep' : 'null or keep'}`;
  switch (strategy.kind) {
    case 'keep':
      return undefined;
    case 'null':
      return notNull ? `null cannot apply: the column is NOT NULL (type ${t}); use redact, hash, mask or a fake` : undefined;
    case 'redact':
      if (REDACTABLE.has(type.cls) || !notNull) return undefined;
      if (!HASHABLE.has(type.cls)) return `redact has no neutral value of type ${t} for a NOT NULL column: use ${type.cls === 'unknown' || type.cls === 'numeric' ? 'mask or keep' : 'keep'}`;
      return `redact has no neutral value of type ${t} for a NOT NULL column: use hash${type.cls === 'date' || type.cls === 'timestamp' ? ' or fake:date' : ''}`;
    case 'hash':
      if (HASHABLE.has(type.cls)) return undefined;
      // A keyed hash of a two-valued type can only keep or swap the values: it would hide nothing.
      if (type.cls === 'boolean') return `hash cannot hide a boolean (a keyed hash of two values keeps or swaps them): use ${notNull ? 'keep' : 'null or keep'}`;
      return `hash does not know type ${t}: use mask or null${type.cls === 'inet' ? ' (or fake:ip)' : ''}`;
    case 'mask':
      if (TEXTUAL.has(type.cls) || type.cls === 'numeric') return undefined;
      if (type.cls === 'int') return `mask could leave the range of ${t}: use hash (a keyed permutation of the range)`;
      if (type.cls === 'date' || type.cls === 'timestamp') return `mask would make invalid ${t} values: use hash or fake:date`;
      if (type.cls === 'uuid') return 'mask would make invalid uuids: use hash or fake:uuid';
      if (type.cls === 'inet') return `mask would make invalid ${t} addresses: use fake:ip`;
      if (type.cls === 'boolean') return 'mask cannot apply to booleans: use keep or null';
      return `mask cannot keep type ${t} valid: use ${notNull ? 'keep' : 'null or keep'}`;
    case 'fake': {
      const k = strategy.fake;
      if (TEXTUAL.has(type.cls)) return undefined;
      if (k === 'ip' && type.cls === 'inet') return undefined;
      if (k === 'uuid' && type.cls === 'uuid') return undefined;
      if (k === 'date' && (type.cls === 'date' || type.cls === 'timestamp')) return undefined;
      const fits = type.cls === 'inet' ? 'fake:ip' : type.cls === 'uuid' ? 'hash or fake:uuid' : type.cls === 'date' || type.cls === 'timestamp' ? 'hash or fake:date' : type.cls === 'int' ? 'hash' : type.cls === 'numeric' ? 'mask' : 'null or keep';
      return `fake:${k} makes text, not ${t}: use ${fits}`;
    }
  }
}

/**
 * Why the rule `strategy` for `table`.`column` cannot apply, as the coverage scan reports it
 * and the scrubber stops on it ("public.t.c (mask, type date): ..."); undefined when it can.
 */
export function ruleProblem(table: string, column: ColumnDecl, strategy: Strategy): string | undefined {
  const problem = strategyProblem(strategy, classifyType(column.type), column.notNull);
  return problem && `${table}.${column.name} (${strategyName(strategy)}, type ${column.type}): ${problem}`;
}
