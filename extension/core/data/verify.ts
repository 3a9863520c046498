// Checks of a restored clone, reported without values:
// - counts: each table holds the rows the scrubber wrote (minus what subsetting deleted);
// - foreign keys: no row references a row that is not there (every validated constraint of
//   pg_constraint, checked by an anti-join, since subsetting ran with triggers off);
// - fingerprints: no original value of a masked, faked or hashed column is in the clone. The
//   clone's values are streamed out (COPY TO STDOUT through exec), fingerprinted with the same
//   keyed HMAC the scrubber used, and looked up in the scrubber's set of the originals'.
import * as readline from 'node:readline';
import type Docker from 'dockerode';
import { startExec } from './engineJobs';
import { catalogTables, foreignKeys, psqlRows, quoteIdent, type CatalogTable, type PgTarget } from './pg';

export interface CountCheck {
  table: string;
  expected: number;
  actual: number;
}

export interface ForeignKeyViolation {
  constraint: string;
  table: string;
  references: string;
  /** Rows whose key matches no row of the referenced table. */
  orphans: number;
}

export interface FingerprintLeak {
  /** "schema.table.column" */
  column: string;
  /** Clone values whose fingerprint is an original's. */
  matches: number;
  checked: number;
}

/**
 * Which columns a value check can prove anything for. A scrubbed value equal to *another* row's
 * original is no leak, and is bound to happen where the values come from a small domain: a
 * hashed date is another day of the same year, a hashed integer a permutation of the range. So only textual columns (text, varchar, char, citext, json) and
 * uuids are checked, and in them values shorter than MIN_DISTINCT characters (a masked "DE"
 * may well be another row's original) are counted apart, not as leaks.
 */
export const MIN_DISTINCT = 4;
const CHECKABLE = /^(text|character varying|character|bpchar|citext|name|uuid|json|jsonb)\b/;

export interface VerifyReport {
  counts: CountCheck[];
  foreignKeys: { checked: number; violations: ForeignKeyViolation[] };
  fingerprints: {
    columns: number;
    values: number;
    leaks: FingerprintLeak[];
    /** Columns not checked by value, with their type (see CHECKABLE). */
    skipped: { column: string; type: string }[];
    /** Values shorter than MIN_DISTINCT equal to an original (not counted as leaks). */
    short: number;
  };
  /** Each failed check in one sentence; empty when the clone passed. */
  problems: string[];
}

export class VerifyError extends Error {
  constructor(readonly report: VerifyReport) {
    super(`The clone failed its checks, so it was not kept:\n- ${report.problems.join('\n- ')}`);
    this.name = 'VerifyError';
  }
}

const opt = (signal?: AbortSignal) => (signal ? { signal } : {});

/** Rows per table ("schema.table") against what was expected. */
export async function checkCounts(
  docker: Docker, t: PgTarget, expected: Map<string, number>, signal?: AbortSignal, known?: Map<string, CatalogTable>,
): Promise<{ counts: CountCheck[]; problems: string[] }> {
  const catalog = known ?? await catalogTables(docker, t, signal);
  const problems: string[] = [];
  const present = [...expected.keys()].filter((k) => {
    if (catalog.has(k)) return true;
    problems.push(`table ${k}: the scrubber wrote ${expected.get(k)} rows but the clone has no such table`);
    return false;
  });
  const actual = new Map<string, number>();
  for (let i = 0; i < present.length; i += 200) {
    const part = present.slice(i, i + 200);
    const rows = await psqlRows(docker, t, part.map((k, j) => `SELECT ${i + j}, count(*) FROM ${catalog.get(k)!.sql}`).join(' UNION ALL '), opt(signal));
    for (const [idx, n] of rows) actual.set(present[Number(idx)]!, Number(n));
  }
  const counts = present.map((k) => ({ table: k, expected: expected.get(k)!, actual: actual.get(k) ?? -1 }));
  for (const c of counts) {
    if (c.actual !== c.expected) problems.push(`table ${c.table}: ${c.actual} rows in the clone, ${c.expected} expected`);
  }
  return { counts, problems };
}

/**
 * The validated foreign keys, counted, not checked: for a clone PostgreSQL itself validated them
 * (each was added after its data by ALTER TABLE ADD CONSTRAINT, with triggers on).
 */
export async function validatedForeignKeys(docker: Docker, t: PgTarget, signal?: AbortSignal): Promise<{ checked: number; violations: ForeignKeyViolation[]; problems: string[] }> {
  return { checked: (await foreignKeys(docker, t, signal)).filter((fk) => fk.validated).length, violations: [], problems: [] };
}

/** Every validated foreign key: rows with a full key that matches no referenced row. */
export async function checkForeignKeys(docker: Docker, t: PgTarget, signal?: AbortSignal): Promise<{ checked: number; violations: ForeignKeyViolation[]; problems: string[] }> {
  const fks = (await foreignKeys(docker, t, signal)).filter((fk) => fk.validated);
  const violations: ForeignKeyViolation[] = [];
  for (let i = 0; i < fks.length; i += 100) {
    const part = fks.slice(i, i + 100);
    const sql = part.map((fk, j) => {
      const notNull = fk.child.columns.map((c) => `c.${c} IS NOT NULL`).join(' AND ');
      const match = fk.child.columns.map((c, k) => `p.${fk.parent.columns[k]} = c.${c}`).join(' AND ');
      return `SELECT ${j}, count(*) FROM ${fk.child.sql} c WHERE ${notNull} AND NOT EXISTS (SELECT 1 FROM ${fk.parent.sql} p WHERE ${match})`;
    }).join(' UNION ALL ');
    for (const [j, n] of await psqlRows(docker, t, sql, opt(signal))) {
      const fk = part[Number(j)]!;
      if (Number(n) > 0) violations.push({ constraint: fk.name, table: fk.child.key, references: fk.parent.key, orphans: Number(n) });
    }
  }
  return {
    checked: fks.length,
    violations,
    problems: violations.map((v) => `foreign key ${v.constraint} of ${v.table}: ${v.orphans} row(s) reference no row of ${v.references}`),
  };
}

/**
 * Reads the clone's values of each fingerprinted column ("schema.table.column" -> the
 * originals' fingerprints) and counts those whose fingerprint is an original's.
 * `fingerprint` receives each value as COPY's text format writes it (the dump's form).
 */
export async function checkFingerprints(
  docker: Docker, t: PgTarget, fingerprints: Map<string, Set<string>>, fingerprint: (copyText: string) => string, signal?: AbortSignal,
  known?: Map<string, CatalogTable>,
): Promise<VerifyReport['fingerprints'] & { problems: string[] }> {
  const catalog = known ?? await catalogTables(docker, t, signal);
  const byTable = new Map<string, { column: string; name: string; set: Set<string> }[]>();
  const problems: string[] = [];
  for (const [col, set] of fingerprints) {
    if (!set.size) continue;
    const cut = col.lastIndexOf('.');
    const table = col.slice(0, cut);
    if (!catalog.has(table)) { problems.push(`column ${col}: its table is not in the clone`); continue; }
    const list = byTable.get(table) ?? [];
    list.push({ column: col, name: col.slice(cut + 1), set });
    byTable.set(table, list);
  }
  // The clone's actual column names (the plan's are lower-cased) and types.
  const names = new Map<string, string>();
  const skipped: { column: string; type: string }[] = [];
  const attrs = byTable.size ? await psqlRows(docker, t, `SELECT lower(n.nspname || '.' || c.relname), a.attname,
      format_type(COALESCE(NULLIF(ty.typbasetype, 0), a.atttypid), a.atttypmod)
    FROM pg_attribute a JOIN pg_type ty ON ty.oid = a.atttypid JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE a.attrelid IN (${[...byTable.keys()].map((k) => `'${catalog.get(k)!.sql.replace(/'/g, "''")}'::regclass`).join(', ')})
      AND a.attnum > 0 AND NOT a.attisdropped`, opt(signal)) : [];
  for (const [table, n, type] of attrs) {
    const column = `${table}.${n!.toLowerCase()}`;
    if (!byTable.get(table!)?.some((c) => c.column === column)) continue;
    if (CHECKABLE.test(type ?? '') && !/\[\]$/.test(type ?? '')) names.set(column, n!);
    else skipped.push({ column, type: type ?? 'unknown' });
  }
  for (const cols of byTable.values()) {
    for (const c of cols) if (!names.has(c.column) && !skipped.some((x) => x.column === c.column)) problems.push(`column ${c.column}: not in the clone`);
  }
  let short = 0;
  const leaks: FingerprintLeak[] = [];
  let values = 0;
  let columns = 0;
  for (const [table, all] of byTable) {
    const cols = all.filter((c) => names.has(c.column));
    if (!cols.length) continue;
    columns += cols.length;
    const select = cols.map((c) => quoteIdent(names.get(c.column)!)).join(', ');
    const h = await startExec(docker, t.id, ['psql', '-X', '-q', '-v', 'ON_ERROR_STOP=1', '-v', 'VERBOSITY=sqlstate', '-U', t.user, '-d', t.database,
      '-c', `COPY (SELECT ${select} FROM ${catalog.get(table)!.sql}) TO STDOUT`]);
    const onAbort = () => h.destroy();
    signal?.addEventListener('abort', onAbort, { once: true });
    const matches = cols.map(() => 0);
    const checked = cols.map(() => 0);
    try {
      const rl = readline.createInterface({ input: h.stdout, crlfDelay: Infinity });
      for await (const line of rl) {
        const fields = line.split('\t');
        for (let i = 0; i < cols.length; i++) {
          const v = fields[i];
          if (v === undefined || v === '\\N') continue;
          checked[i]!++;
          if (!cols[i]!.set.has(fingerprint(v))) continue;
          if ([...v].length < MIN_DISTINCT) short++; else matches[i]!++;
        }
      }
      const code = await h.exit;
      signal?.throwIfAborted();
      if (code !== 0) throw new Error(`reading ${table}'s scrubbed columns from the clone failed (psql exit ${code})`);
    } finally {
      signal?.removeEventListener('abort', onAbort);
    }
    cols.forEach((c, i) => {
      values += checked[i]!;
      if (matches[i]) leaks.push({ column: c.column, matches: matches[i]!, checked: checked[i]! });
    });
  }
  for (const l of leaks) problems.push(`column ${l.column}: ${l.matches} of ${l.checked} values in the clone are original values (they should have been scrubbed)`);
  return { columns, values, leaks, skipped, short, problems };
}
