// Talking to a session's PostgreSQL container through exec: who to connect as (the
// container's own POSTGRES_* environment), its major version, small queries with their rows,
// identifier quoting, and what a psql error may say without showing data.
import type Docker from 'dockerode';
import { parseVersion } from '../manifest/versions';
import { execIn } from '../stack/containerIo';

export interface PgTarget {
  /** The container's id. */
  id: string;
  user: string;
  database: string;
}

/** The user and database a postgres image container was started with (its POSTGRES_* env). */
export async function pgTarget(docker: Docker, id: string): Promise<PgTarget> {
  return pgTargetOf(id, (await docker.getContainer(id).inspect()).Config.Env ?? []);
}

/** The same, from the container's environment ("NAME=value"). */
export function pgTargetOf(id: string, envList: string[]): PgTarget {
  const env = new Map(envList.map((e) => [e.slice(0, e.indexOf('=')), e.slice(e.indexOf('=') + 1)] as const));
  const user = env.get('POSTGRES_USER') || 'postgres';
  return { id, user, database: env.get('POSTGRES_DB') || user };
}

export class PsqlError extends Error {
  constructor(message: string, readonly sqlstate?: string) {
    super(message);
    this.name = 'PsqlError';
  }
}

const UNIT = '\x1f';

/**
 * Runs one SQL text (no data values in it: identifiers and the manifest's conditions only) and
 * returns its rows' fields. Errors carry the SQLSTATE and psql's terse message: callers only
 * run queries whose errors cannot quote a row.
 */
export async function psqlRows(docker: Docker, t: PgTarget, sql: string | string[], opts: { signal?: AbortSignal; database?: string } = {}): Promise<string[][]> {
  // Several statements: one -c each, each its own transaction (DROP DATABASE needs that).
  const r = await execIn(docker, t.id, [
    'psql', '-X', '-q', '-A', '-t', '-F', UNIT, '-v', 'ON_ERROR_STOP=1', '-v', 'VERBOSITY=terse',
    '-U', t.user, '-d', opts.database ?? t.database, ...(Array.isArray(sql) ? sql : [sql]).flatMap((x) => ['-c', x]),
  ], opts.signal ? { signal: opts.signal } : {});
  if (r.exitCode !== 0) {
    const first = r.stderr.split('\n').find((l) => /ERROR|FATAL|error:/.test(l)) ?? r.stderr.split('\n')[0] ?? '';
    throw new PsqlError(`psql failed (exit ${r.exitCode}) in ${t.database}: ${first.replace(/^psql:\s*/, '').trim().slice(0, 300)}`);
  }
  return r.stdout.split('\n').filter((l) => l.length > 0).map((l) => l.split(UNIT));
}

/** The server's major version (15 for 15.6). */
export async function pgMajor(docker: Docker, t: PgTarget, signal?: AbortSignal): Promise<number> {
  const rows = await psqlRows(docker, t, 'SHOW server_version_num', signal ? { signal } : {});
  const n = Number(rows[0]?.[0]);
  if (!Number.isFinite(n) || n <= 0) throw new Error('could not read the PostgreSQL version of the clone');
  return majorOfVersionNum(n);
}

/**
 * The major version as the clone's cache keys hold it, from server_version_num: 15 for 150006,
 * and for a 9.x server its first two parts as a number (90624 -> 9.06).
 */
export const majorOfVersionNum = (n: number): number => (n >= 100000 ? Math.floor(n / 10000) : Math.floor(n / 100) / 100);

/** The same for a version a manifest names ("15", "16.4", "9.6"); undefined for "9" (no major). */
export function majorOfVersion(version: string): number | undefined {
  const v = parseVersion(version);
  if (!v) return undefined;
  if (v.major >= 10) return v.major;
  return v.minor === undefined ? undefined : majorOfVersionNum(v.major * 10000 + v.minor * 100);
}

export const quoteIdent = (s: string): string => `"${s.replace(/"/g, '""')}"`;
export const quoteLiteral = (s: string): string => `'${s.replace(/'/g, "''")}'`;

/** "public.customers" -> '"public"."customers"' (names as the catalog spells them). */
export const qualified = (schema: string, name: string): string => `${quoteIdent(schema)}.${quoteIdent(name)}`;

export interface CatalogTable {
  /** "schema.table" lower-cased, as the scrub plan and summary name tables. */
  key: string;
  schema: string;
  name: string;
  /** '"schema"."table"' */
  sql: string;
}

/** The ordinary and partitioned tables of the database, outside the system schemas. */
export async function catalogTables(docker: Docker, t: PgTarget, signal?: AbortSignal): Promise<Map<string, CatalogTable>> {
  const rows = await psqlRows(docker, t, `SELECT n.nspname, c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE c.relkind IN ('r', 'p') AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg_toast%'
    ORDER BY 1, 2`, signal ? { signal } : {});
  const out = new Map<string, CatalogTable>();
  for (const [schema, name] of rows) {
    if (schema === undefined || name === undefined) continue;
    const key = `${schema}.${name}`.toLowerCase();
    out.set(key, { key, schema, name, sql: qualified(schema, name) });
  }
  return out;
}

// ------------------------------------------------------------------ errors without values

const SQLSTATES: Record<string, string> = {
  '22P02': 'a value does not fit its column\'s type (invalid text representation)',
  '22001': 'a value is too long for its column',
  '22003': 'a number is out of range for its column',
  '22007': 'a date or time value has an invalid format',
  '22008': 'a date or time value is out of range',
  '22021': 'a value is not valid in the database\'s encoding',
  '22P04': 'a COPY row does not have the table\'s columns (bad COPY format)',
  '22P05': 'a value cannot be converted to the database\'s encoding',
  '23502': 'a NOT NULL column got a null',
  '23503': 'a foreign key references a row that does not exist',
  '23505': 'a unique constraint is violated (duplicate key)',
  '23514': 'a CHECK constraint is violated',
  '42601': 'a syntax error',
  '42501': 'permission denied',
  '42P01': 'a table that does not exist',
  '42703': 'a column that does not exist',
  '42704': 'an object (type, extension, role, ...) that does not exist',
  '42P07': 'a table that already exists',
  '42710': 'an object that already exists',
  '42883': 'a function that does not exist (an extension the clone lacks?)',
  '0A000': 'a feature this PostgreSQL does not support',
  '57014': 'the statement was cancelled',
  '57P01': 'the server was shut down',
  '53100': 'the disk is full',
  '53200': 'out of memory',
  '58P01': 'a file the statement needs does not exist (an extension\'s library?)',
  '3D000': 'the database does not exist',
  '28P01': 'password authentication failed',
  '28000': 'the connection was not authorised',
};

const CLASSES: Record<string, string> = {
  '08': 'a connection problem', '0A': 'an unsupported feature', '22': 'a value the column does not accept',
  '23': 'a constraint violation', '25': 'a transaction state problem', '28': 'an authorisation problem', '3D': 'an unknown database',
  '40': 'a transaction rollback', '42': 'a syntax error or a missing object', '53': 'insufficient resources',
  '54': 'a program limit exceeded', '55': 'an object in the wrong state', '57': 'an operator intervention',
  '58': 'a system error', 'XX': 'an internal error', 'P0': 'an error raised by PL/pgSQL',
};

/** What a SQLSTATE means, in words (never the server's message, which may quote a value). */
export function describeSqlstate(code: string): string {
  return SQLSTATES[code] ?? CLASSES[code.slice(0, 2)] ?? 'an error';
}

export interface ForeignKey {
  name: string;
  /** The referencing table and columns (quoted SQL names). */
  child: { key: string; sql: string; columns: string[] };
  /** The referenced table and columns. */
  parent: { key: string; sql: string; columns: string[] };
  /** NOT VALID constraints are not checked against existing rows (nor by verify). */
  validated: boolean;
}

/** Every foreign key between the database's tables (the top-level ones of partitioned tables). */
export async function foreignKeys(docker: Docker, t: PgTarget, signal?: AbortSignal): Promise<ForeignKey[]> {
  const cols = (rel: string, keys: string) => `(SELECT string_agg(quote_ident(a.attname), chr(30) ORDER BY k.ord)
      FROM unnest(con.${keys}) WITH ORDINALITY k(attnum, ord) JOIN pg_attribute a ON a.attrelid = con.${rel} AND a.attnum = k.attnum)`;
  const rows = await psqlRows(docker, t, `SELECT con.conname, cn.nspname, cc.relname, ${cols('conrelid', 'conkey')},
      pn.nspname, pc.relname, ${cols('confrelid', 'confkey')}, con.convalidated
    FROM pg_constraint con
    JOIN pg_class cc ON cc.oid = con.conrelid JOIN pg_namespace cn ON cn.oid = cc.relnamespace
    JOIN pg_class pc ON pc.oid = con.confrelid JOIN pg_namespace pn ON pn.oid = pc.relnamespace
    WHERE con.contype = 'f' AND con.conparentid = 0 ORDER BY 2, 3, 1`, signal ? { signal } : {});
  return rows.map(([name, cs, cr, ccols, ps, pr, pcols, valid]) => ({
    name: name!,
    child: { key: `${cs}.${cr}`.toLowerCase(), sql: qualified(cs!, cr!), columns: (ccols ?? '').split('\x1e') },
    parent: { key: `${ps}.${pr}`.toLowerCase(), sql: qualified(ps!, pr!), columns: (pcols ?? '').split('\x1e') },
    validated: valid === 't',
  }));
}
