// Subsetting in the clone, after the restore: each table with a `where` keeps the rows that
// match it, plus every row that a kept row of any table references (foreign keys from
// pg_constraint, followed to a fixpoint: a row kept for a reference may reference more rows).
// Everything else of those tables is deleted. One transaction: all of it or none.
//
// The conditions come from the developer's own repro.yaml and are trusted like code, but each
// must be one SQL expression: no ';' outside quotes, no comment, no psql backslash command, no
// unbalanced parenthesis or quote. `truncate` needs nothing here (the scrubber writes no rows).
import type Docker from 'dockerode';
import { catalogTables, describeSqlstate, foreignKeys, type PgTarget } from './pg';
import { RestoreError, restoreSql } from './restore';
import { Readable } from 'node:stream';

export class SubsetError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SubsetError';
  }
}

/** Throws unless `where` is a single SQL expression (see above). */
export function checkCondition(table: string, where: string): void {
  const refuse = (why: string) => new SubsetError(`The "where" of table ${table} must be a single SQL condition: ${why}.`);
  if (!where.trim()) throw refuse('it is empty');
  let depth = 0;
  let i = 0;
  const s = where;
  while (i < s.length) {
    const c = s[i]!;
    const next = s[i + 1];
    if (c === "'") {
      // E'...' strings take backslash escapes; standard strings do not.
      const escaped = i > 0 && /[eE]/.test(s[i - 1]!) && (i < 2 || !/[A-Za-z0-9_]/.test(s[i - 2]!));
      i++;
      for (;;) {
        if (i >= s.length) throw refuse('a quote is not closed');
        if (escaped && s[i] === '\\') { i += 2; continue; }
        if (s[i] === "'") {
          if (s[i + 1] === "'") { i += 2; continue; }
          break;
        }
        i++;
      }
      i++;
      continue;
    }
    if (c === '"') {
      const end = s.indexOf('"', i + 1);
      if (end < 0) throw refuse('a quoted identifier is not closed');
      i = end + 1;
      continue;
    }
    if (c === '$') {
      const m = /^\$([A-Za-z_][A-Za-z0-9_]*)?\$/.exec(s.slice(i));
      if (m && (i === 0 || !/[A-Za-z0-9_]/.test(s[i - 1]!))) {
        const end = s.indexOf(m[0], i + m[0].length);
        if (end < 0) throw refuse('a dollar-quoted string is not closed');
        i = end + m[0].length;
        continue;
      }
    }
    if (c === ';') throw refuse('it contains ";" (one condition, not statements)');
    if (c === '\\') throw refuse('it contains a backslash outside quotes');
    if ((c === '-' && next === '-') || (c === '/' && next === '*')) throw refuse('it contains a comment');
    if (c === '(') depth++;
    if (c === ')' && --depth < 0) throw refuse('a ")" has no "("');
    i++;
  }
  if (depth !== 0) throw refuse('a "(" is not closed');
}

export interface SubsetTable {
  table: string;
  before: number;
  /** Rows matching the condition. */
  matched: number;
  /** Rows kept because a kept row references them. */
  referenced: number;
  deleted: number;
}

export interface SubsetResult {
  tables: SubsetTable[];
  /** Rounds until no more referenced rows were added. */
  rounds: number;
  ms: number;
}

/** Applies the `where` rules (table "schema.table" -> condition) in the clone. */
export async function applySubset(docker: Docker, t: PgTarget, rules: Map<string, string>, opts: { signal?: AbortSignal } = {}): Promise<SubsetResult> {
  const t0 = performance.now();
  if (!rules.size) return { tables: [], rounds: 0, ms: 0 };
  for (const [table, where] of rules) checkCondition(table, where);
  const catalog = await catalogTables(docker, t, opts.signal);
  const subset = [...rules].map(([key, where], i) => {
    const table = catalog.get(key);
    if (!table) throw new SubsetError(`The "where" rule names table ${key}, which the clone does not have.`);
    return { ...table, where, keep: `repro_keep_${i}`, i };
  });
  const byKey = new Map(subset.map((s) => [s.key, s]));
  const fks = (await foreignKeys(docker, t, opts.signal)).filter((fk) => byKey.has(fk.parent.key));

  const sql: string[] = [
    '\\pset format unaligned', '\\pset tuples_only on', '\\pset fieldsep \',\'',
    // Referential triggers off while rows go (in any order); verify checks every key after.
    'SET LOCAL session_replication_role = replica;',
  ];
  // The lines of each condition's statement, to name the table when one fails.
  const seeds: { table: string; from: number; to: number }[] = [];
  const linesSoFar = () => sql.join('\n').split('\n').length;
  for (const s of subset) {
    sql.push(`CREATE TEMP TABLE ${s.keep} (rid tid PRIMARY KEY) ON COMMIT DROP;`);
    const from = linesSoFar() + 1;
    sql.push(`INSERT INTO ${s.keep} SELECT ctid FROM ${s.sql} WHERE (\n${s.where}\n);`);
    seeds.push({ table: s.key, from, to: linesSoFar() });
    sql.push(`SELECT 'matched', ${s.i}, count(*) FROM ${s.keep};`);
  }
  // Parents of a where-table referenced by kept rows: all rows of a table without a where,
  // the kept ones of a table with one.
  const grow = fks.map((fk) => {
    const parent = byKey.get(fk.parent.key)!;
    const child = byKey.get(fk.child.key);
    const match = fk.child.columns.map((c, j) => `c.${c} = p.${fk.parent.columns[j]}`).join(' AND ');
    return `INSERT INTO ${parent.keep} SELECT p.ctid FROM ${parent.sql} p
      WHERE NOT EXISTS (SELECT 1 FROM ${parent.keep} k WHERE k.rid = p.ctid)
        AND EXISTS (SELECT 1 FROM ${fk.child.sql} c${child ? ` JOIN ${child.keep} kc ON kc.rid = c.ctid` : ''} WHERE ${match});
    GET DIAGNOSTICS n = ROW_COUNT; added := added + n;`;
  });
  sql.push(`DO $repro_subset$
DECLARE n bigint; added bigint; rounds int := 0;
BEGIN
  LOOP
    added := 0;
    rounds := rounds + 1;
    ${grow.join('\n    ')}
    EXIT WHEN added = 0 OR rounds > 10000;
  END LOOP;
  PERFORM set_config('repro.subset_rounds', rounds::text, true);
END $repro_subset$;`);
  sql.push(`SELECT 'rounds', 0, current_setting('repro.subset_rounds');`);
  for (const s of subset) {
    sql.push(`SELECT 'kept', ${s.i}, count(*) FROM ${s.keep};`);
    sql.push(`WITH d AS (DELETE FROM ${s.sql} t WHERE NOT EXISTS (SELECT 1 FROM ${s.keep} k WHERE k.rid = t.ctid) RETURNING 1) SELECT 'deleted', ${s.i}, count(*) FROM d;`);
  }
  const text = sql.join('\n') + '\n';
  let r;
  try {
    r = await restoreSql(docker, t, Readable.from([text]), { captureStdout: true, ...(opts.signal ? { signal: opts.signal } : {}) });
  } catch (e) {
    // An error in a condition: name the table whose "where" it is.
    if (e instanceof RestoreError && e.detail.line !== undefined) {
      const line = e.detail.line;
      const seed = seeds.find((x) => line >= x.from && line <= x.to);
      if (seed) {
        throw new SubsetError(`The "where" of table ${seed.table} cannot run in the clone: ${e.detail.sqlstate ?? ''} ${describeSqlstate(e.detail.sqlstate ?? '')}. ` +
          'The clone\'s database was left as it was: fix the condition in repro.yaml and clone again.');
      }
    }
    throw e;
  }
  const stats = new Map<string, number>();
  let rounds = 0;
  for (const line of r.stdout.split('\n')) {
    const [what, i, n] = line.split(',');
    if (what === 'rounds') rounds = Number(n);
    else if (what && i !== undefined) stats.set(`${what}:${i}`, Number(n));
  }
  return {
    tables: subset.map((s) => {
      const matched = stats.get(`matched:${s.i}`) ?? 0;
      const kept = stats.get(`kept:${s.i}`) ?? 0;
      const deleted = stats.get(`deleted:${s.i}`) ?? 0;
      return { table: s.key, before: kept + deleted, matched, referenced: kept - matched, deleted };
    }),
    rounds,
    ms: Math.round(performance.now() - t0),
  };
}
