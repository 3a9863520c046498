// A live database as a stream of plain SQL: `pg_dump --no-owner --no-privileges` in a
// throwaway container of the clone's own PostgreSQL image (pg_dump of the clone's major
// version), on the network the caller names, removed as soon as it exits.
//
// The connection string is a secret. It comes from the environment variable the manifest
// names (live.env), or from the caller's secret lookup under that name; never from the
// manifest. It is split: host, port, user and database go into the container's environment
// (PGHOST, ...); the password reaches pg_dump through the container's stdin, read by the shell
// into PGPASSWORD (so it is neither in the container's configuration nor in any process's
// arguments). Errors say what went wrong and name the variable, never its value: every
// message is also passed through a redaction of the password and the whole string.
import type Docker from 'dockerode';
import { runJob } from './engineJobs';
import { DataSourceError, type OpenedSql } from './dumpSource';
import { gated } from './streams';

export type SecretLookup = (name: string) => string | undefined;

export interface LiveConnection {
  host: string;
  port: number;
  database: string;
  user?: string;
  password?: string;
  /** libpq environment for the non-secret parts (PGSSLMODE, PGCONNECT_TIMEOUT, ...). */
  env: Record<string, string>;
}

const PARAMS: Record<string, string> = {
  sslmode: 'PGSSLMODE', connect_timeout: 'PGCONNECT_TIMEOUT', application_name: 'PGAPPNAME', options: 'PGOPTIONS',
  target_session_attrs: 'PGTARGETSESSIONATTRS', gssencmode: 'PGGSSENCMODE', channel_binding: 'PGCHANNELBINDING',
};

/** Reads the variable's value (the caller's secrets first, then the process environment). */
export function connectionString(envName: string, secrets?: SecretLookup): string {
  const value = secrets?.(envName) ?? process.env[envName];
  if (!value) {
    throw new DataSourceError(`The live data source reads its connection string from ${envName}, which is not set. ` +
      `Set it to a read-only connection string in the environment Repro runs in (the shell, for the command line), ` +
      'or in VS Code with "Repro: Set Data Source Connection…", which keeps it in VS Code\'s secret storage.');
  }
  return value;
}

/** Parses a postgres:// URL or a "key=value ..." connection string; errors name no value. */
export function parseConnection(value: string, envName: string): LiveConnection {
  const bad = (why: string) => new DataSourceError(`The connection string in ${envName} cannot be used: ${why}.`);
  const env: Record<string, string> = {};
  const setParam = (k: string, v: string) => {
    const e = PARAMS[k];
    if (!e) throw bad(`the parameter "${k}" is not supported (supported: ${Object.keys(PARAMS).join(', ')})`);
    env[e] = v;
  };
  if (/^postgres(ql)?:\/\//i.test(value)) {
    let u: URL;
    try {
      u = new URL(value);
    } catch {
      throw bad('it is not a valid URL');
    }
    if (!u.hostname) throw bad('it names no host');
    for (const [k, v] of u.searchParams) setParam(k, v);
    const database = decodeURIComponent(u.pathname.replace(/^\//, ''));
    const user = decodeURIComponent(u.username);
    const password = decodeURIComponent(u.password);
    return {
      host: u.hostname.replace(/^\[|\]$/g, ''), port: u.port ? Number(u.port) : 5432, database: database || user || 'postgres',
      ...(user ? { user } : {}), ...(password ? { password } : {}), env,
    };
  }
  const pairs = new Map<string, string>();
  const re = /\s*([A-Za-z_]+)\s*=\s*('(?:[^'\\]|\\.)*'|\S*)/gy;
  let m: RegExpExecArray | null;
  let last = 0;
  while ((m = re.exec(value))) {
    const raw = m[2]!;
    pairs.set(m[1]!, raw.startsWith("'") ? raw.slice(1, -1).replace(/\\(.)/g, '$1') : raw);
    last = re.lastIndex;
  }
  if (!pairs.size || value.slice(last).trim()) throw bad('it is neither a postgresql:// URL nor "key=value" pairs');
  const host = pairs.get('host') ?? pairs.get('hostaddr');
  if (!host) throw bad('it names no host');
  const user = pairs.get('user');
  const password = pairs.get('password');
  for (const [k, v] of pairs) if (!['host', 'hostaddr', 'port', 'dbname', 'user', 'password'].includes(k)) setParam(k, v);
  return {
    host, port: Number(pairs.get('port') ?? 5432), database: pairs.get('dbname') ?? user ?? 'postgres',
    ...(user ? { user } : {}), ...(password ? { password } : {}), env,
  };
}

/** The source's identity for the cache: where it is, without credentials. */
export function liveIdentity(c: LiveConnection): string {
  return `postgresql://${c.host.includes(':') ? `[${c.host}]` : c.host}:${c.port}/${c.database}`;
}

export interface LiveSourceOptions {
  /** The variable (or secret) name the manifest gives: live.env. */
  envName: string;
  secrets?: SecretLookup;
  /** The clone's PostgreSQL image (its id). */
  image: string;
  labels: Record<string, string>;
  /** The network that reaches the source (default: the engine's "bridge"). */
  network?: string;
  /** Seconds to wait for the connection (default 15). */
  connectTimeoutSeconds?: number;
  /** Only the schema (no rows). */
  schemaOnly?: boolean;
  signal?: AbortSignal;
}

/** Opens pg_dump's output as plain SQL; it fails (never just ends) when pg_dump fails. */
export async function openLiveSource(docker: Docker, o: LiveSourceOptions): Promise<OpenedSql> {
  const value = connectionString(o.envName, o.secrets);
  const conn = parseConnection(value, o.envName);
  const redact = redactor([value, conn.password]);
  const env: Record<string, string> = {
    PGCONNECT_TIMEOUT: String(o.connectTimeoutSeconds ?? 15),
    ...conn.env,
    PGHOST: conn.host, PGPORT: String(conn.port), PGDATABASE: conn.database,
    ...(conn.user ? { PGUSER: conn.user } : {}),
  };
  o.signal?.throwIfAborted();
  const job = await runJob(docker, {
    image: o.image,
    cmd: ['sh', '-c', 'IFS= read -r p; if [ -n "$p" ]; then PGPASSWORD=$p; export PGPASSWORD; fi; unset p; exec pg_dump "$@"', 'sh',
      '--no-owner', '--no-privileges', '--no-password', ...(o.schemaOnly ? ['--schema-only'] : [])],
    env,
    labels: o.labels,
    network: o.network ?? 'bridge',
    stdinLine: conn.password ?? '',
  });
  const onAbort = () => { void job.dispose(); };
  o.signal?.addEventListener('abort', onAbort, { once: true });
  const verdict = job.exit.then((code) => {
    if (code === 0) return;
    throw new DataSourceError(redact(explain(job.stderr.text(), code, o.envName, conn)));
  });
  return {
    stream: gated(job.stdout, verdict),
    close: async () => {
      o.signal?.removeEventListener('abort', onAbort);
      await job.dispose();
    },
  };
}

function redactor(secrets: (string | undefined)[]): (s: string) => string {
  const list = secrets.filter((s): s is string => Boolean(s) && s!.length >= 3).sort((a, b) => b.length - a.length);
  return (s) => list.reduce((acc, x) => acc.split(x).join('***'), s);
}

/** pg_dump's stderr -> what went wrong, naming the variable and the host, not the secret. */
function explain(stderr: string, code: number, envName: string, c: LiveConnection): string {
  const where = `${c.host}:${c.port}`;
  if (/password authentication failed|no password supplied|authentication failed|SASL authentication/i.test(stderr)) {
    return `pg_dump: authentication failed for the source database in ${envName} (user ${c.user ?? 'unset'} at ${where}): check the password in ${envName}.`;
  }
  if (/could not translate host name|Name or service not known|Temporary failure in name resolution|nodename nor servname/i.test(stderr)) {
    return `pg_dump could not reach the source database in ${envName}: the host ${c.host} does not resolve from the engine's network.`;
  }
  if (/Connection refused|timeout expired|timed out|No route to host|Network is unreachable|could not connect/i.test(stderr)) {
    const why = /Connection refused/i.test(stderr) ? 'the connection was refused' : /timeout|timed out/i.test(stderr) ? 'the connection timed out' : 'there is no route to it';
    return `pg_dump could not reach the source database in ${envName} at ${where}: ${why}. ` +
      `Is it reachable from the engine's network (a VPN or tunnel the containers cannot use)?`;
  }
  let m = /database "([^"]*)" does not exist/.exec(stderr);
  if (m) return `The database "${m[1]}" named in ${envName} does not exist on ${where}.`;
  m = /server version: ([0-9.]+)[^;]*; pg_dump version: ([0-9.]+)/.exec(stderr);
  if (m) {
    return `The source database in ${envName} runs PostgreSQL ${m[1]}, newer than the clone's (${m[2]}): pg_dump of the clone's version cannot dump it. ` +
      `Set the service's type in repro.yaml to postgresql:${m[1]!.split('.')[0]} (the version production runs).`;
  }
  m = /permission denied for (table|schema|sequence|relation|database|function) ([A-Za-z0-9_."$]+)/.exec(stderr);
  if (m) return `The role in ${envName} may not read everything: permission denied for ${m[1]} ${m[2]}. Grant it read access, or use a role that has it.`;
  if (/SSL/i.test(stderr) && /error|unsupported|required/i.test(stderr)) {
    return `pg_dump could not set up SSL with the source database in ${envName} at ${where}: set sslmode in the connection string as the server requires.`;
  }
  const line = stderr.split('\n').find((l) => /pg_dump: error:/.test(l))?.replace(/^.*pg_dump: error:\s*/, '') ?? '';
  // A server error's text may quote a value: keep only pg_dump's own words before it.
  const own = line.split(/\b(?:ERROR|DETAIL|FATAL):/)[0]!.trim().slice(0, 200);
  return `pg_dump of the source database in ${envName} failed (exit ${code})${own ? `: ${own}` : ''}.`;
}
