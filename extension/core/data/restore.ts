// Streams plain SQL into psql inside the session's PostgreSQL container, as one transaction:
// `psql -v ON_ERROR_STOP=1 --single-transaction -f -` over an exec with stdin attached.
//
// All or nothing. psql commits when its input ends, and a COPY block cut off by the end of the
// input is taken as complete; so the input's end is passed on only when the input really
// ended. When the input fails instead (the source died, the scrubber found the dump cut off),
// or the caller cancels, psql is killed (SIGKILL, through its pid) without its stdin being
// closed: the server sees the connection drop mid-transaction and rolls everything back.
//
// Errors never show data. psql is run with VERBOSITY=sqlstate and SHOW_CONTEXT=never, so the
// server's messages (which quote the failing value) are reduced to their SQLSTATE; what is
// reported is the line of the SQL, the statement it belongs to ("COPY public.customers", kept
// by a pass-through index of statement starts: identifiers, never values) and what the
// SQLSTATE means.
import { randomBytes } from 'node:crypto';
import { Transform, type Readable, type TransformCallback } from 'node:stream';
import type Docker from 'dockerode';
import { execIn } from '../stack/containerIo';
import { shellQuote } from '../stack/shellQuote';
import { startExec } from './engineJobs';
import { describeSqlstate, type PgTarget } from './pg';
import { collect } from './streams';

export interface RestoreOptions {
  signal?: AbortSignal;
  /** Bytes handed to psql so far. */
  onBytes?: (bytes: number) => void;
  /** Keep psql's output (bounded to 1 MiB): for scripts that print results. */
  captureStdout?: boolean;
  /** The database to restore into (default: the container's own). */
  database?: string;
  /** Extra psql variables (-v NAME=value). */
  variables?: Record<string, string>;
  /**
   * Called once psql runs and `input` is piped into it: the moment to start feeding `input`
   * (when other consumers share it, nothing may flow before this one is attached).
   */
  onStarted?: () => void;
}

export interface RestoreResult {
  bytes: number;
  lines: number;
  ms: number;
  /**
   * The SQL may have turned trigger-based checks off (DISABLE TRIGGER, session_replication_role
   * outside data): foreign keys it added are then not proven by PostgreSQL's own validation.
   */
  triggersOff: boolean;
  /** psql's output when captureStdout was set. */
  stdout: string;
}

/** psql stopped on an error; the transaction was rolled back. Holds no data value. */
export class RestoreError extends Error {
  constructor(message: string, readonly detail: { line?: number; statement?: string; sqlstate?: string; exitCode?: number }) {
    super(message);
    this.name = 'RestoreError';
  }
}

/**
 * Runs `input` (plain SQL) through psql in one transaction. Resolves once psql committed;
 * rejects with a RestoreError when psql stopped on an error, with the input's own error when
 * the input failed, or with the signal's reason when cancelled (in both last cases psql is
 * killed and nothing is committed).
 */
export async function restoreSql(docker: Docker, t: PgTarget, input: Readable, opts: RestoreOptions = {}): Promise<RestoreResult> {
  opts.signal?.throwIfAborted();
  const t0 = performance.now();
  const tag = randomBytes(6).toString('hex');
  const pidFile = `/tmp/repro-restore-${tag}.pid`;
  const database = opts.database ?? t.database;
  const vars = Object.entries({ ON_ERROR_STOP: '1', VERBOSITY: 'sqlstate', SHOW_CONTEXT: 'never', ...opts.variables })
    .flatMap(([k, v]) => ['-v', `${k}=${v}`]);
  // `exec` keeps the pid: the pid file names psql itself, to be killed on a cancel.
  const h = await startExec(docker, t.id, [
    'sh', '-c', `echo $$ > ${pidFile}; exec psql -X -q ${vars.map(shellQuote).join(' ')} --single-transaction -U "$1" -d "$2" -f -`,
    'sh', t.user, database,
  ], { stdin: true, env: [`PGAPPNAME=repro-restore-${tag}`] });
  const stdin = h.stdin!;
  const index = new StatementIndex(opts.onBytes);
  const stdout = opts.captureStdout ? collect(h.stdout) : (h.stdout.resume(), Promise.resolve(''));
  stdin.on('error', () => undefined); // a write after psql exited: its exit code tells what happened

  let killed: Promise<void> | undefined;
  const kill = () => (killed ??= killPsql(docker, t.id, pidFile).finally(() => h.destroy()));
  let failure: { error: unknown } | undefined;
  const fail = (error: unknown) => {
    if (failure) return;
    failure = { error };
    input.unpipe(index);
    index.unpipe(stdin);
    void kill();
  };
  const onAbort = () => fail(opts.signal?.reason ?? new Error('cancelled'));
  opts.signal?.addEventListener('abort', onAbort, { once: true });
  input.on('error', fail);
  index.on('error', fail);
  input.pipe(index);
  index.pipe(stdin, { end: false });
  opts.onStarted?.();
  // Only a complete input closes psql's stdin, and only then does psql commit.
  index.on('end', () => {
    if (failure) return;
    // psql would take a COPY block cut off by the end of its input as complete.
    if (index.openCopy) {
      fail(new RestoreError(`The SQL ends inside the data of ${index.openCopy.statement} (from line ${index.openCopy.line}): the dump is cut off. ` +
        'Nothing was restored: the transaction was rolled back.', { line: index.lines, statement: index.openCopy.statement }));
      return;
    }
    stdin.end();
  });

  let code: number;
  try {
    code = await h.exit;
  } finally {
    opts.signal?.removeEventListener('abort', onAbort);
  }
  // psql ended by itself (an error) while input was still coming: stop reading it.
  if (!index.writableEnded) { input.unpipe(index); index.unpipe(stdin); }
  if (!killed) void execIn(docker, t.id, ['rm', '-f', pidFile]).catch(() => undefined);
  else await killed.catch(() => undefined);
  const out = await stdout.catch(() => '');
  if (failure) throw failure.error;
  if (code !== 0) throw restoreError(h.stderr.text(), code, index, database);
  return { bytes: index.bytes, lines: index.lines, ms: Math.round(performance.now() - t0), triggersOff: index.triggersOff, stdout: out };
}

async function killPsql(docker: Docker, id: string, pidFile: string): Promise<void> {
  // The pid file may not be written yet when the cancel comes right after the start.
  await execIn(docker, id, ['sh', '-c',
    `i=0; while [ ! -s ${pidFile} ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i+1)); done; ` +
    `[ -s ${pidFile} ] && kill -9 "$(cat ${pidFile})" 2>/dev/null; rm -f ${pidFile}; exit 0`]);
}

/** psql's stderr -> a message with the line, the statement and the SQLSTATE's meaning only. */
function restoreError(stderr: string, exitCode: number, index: StatementIndex, database: string): RestoreError {
  const lines = stderr.split('\n');
  for (const l of lines) {
    let m = /^psql:<stdin>:(\d+): (?:ERROR|FATAL|PANIC):\s+([0-9A-Z]{5})\s*$/.exec(l);
    if (m) {
      const line = Number(m[1]);
      const statement = index.statementAt(line);
      const sqlstate = m[2]!;
      return new RestoreError(
        `psql stopped at line ${line} of the SQL${statement ? ` (${statement})` : ''}: ${sqlstate}, ${describeSqlstate(sqlstate)}. ` +
        `Nothing was restored: the transaction was rolled back.`,
        { line, ...(statement ? { statement } : {}), sqlstate, exitCode });
    }
    m = /^psql:<stdin>:(\d+): error: (.*)$/.exec(l);
    if (m) {
      const line = Number(m[1]);
      const statement = index.statementAt(line);
      const what = /^invalid command/.test(m[2]!) ? 'a line psql reads as a backslash command (the SQL is not a plain dump?)' : 'an error in psql itself';
      return new RestoreError(`psql stopped at line ${line} of the SQL${statement ? ` (${statement})` : ''}: ${what}. Nothing was restored: the transaction was rolled back.`,
        { line, ...(statement ? { statement } : {}), exitCode });
    }
    m = /^psql: error: .*?(database "[^"]*" does not exist|role "[^"]*" does not exist|connection to server[^:]*failed)/.exec(l);
    if (m) return new RestoreError(`psql could not connect to the clone's database ${database}: ${m[1]}.`, { exitCode });
  }
  return new RestoreError(`psql failed (exit ${exitCode}) restoring into ${database}; nothing was committed.`, { exitCode });
}

/**
 * Passes SQL through unchanged while noting where each top-level statement starts: its line
 * and its kind with the object it names ("COPY public.customers", "CREATE TABLE public.x"),
 * identifiers only. Consecutive statements of one kind share an entry; COPY data lines are
 * skipped (only their block's range is kept).
 */
export class StatementIndex extends Transform {
  bytes = 0;
  lines = 0;
  /** A line outside data turned triggers off (see RestoreResult.triggersOff). */
  triggersOff = false;
  private readonly starts: { line: number; kind: string }[] = [];
  private inCopy = false;
  /** The COPY block the SQL is in, if it is in one. */
  get openCopy(): { statement: string; line: number } | undefined {
    const last = this.starts[this.starts.length - 1];
    return this.inCopy && last ? { statement: last.kind, line: last.line } : undefined;
  }
  /** Whether the previous line ended a statement (or was blank or a comment). */
  private boundary = true;
  /** The current line's first bytes (up to 200) and last bytes (up to 32). */
  private head: Buffer[] = [];
  private headLen = 0;
  private tail = Buffer.alloc(0);

  constructor(private readonly onBytes?: (bytes: number) => void) {
    super();
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    let pos = 0;
    while (pos < chunk.length) {
      const nl = chunk.indexOf(10, pos);
      if (this.inCopy && nl >= 0 && this.headLen === 0 && this.tail.length === 0) {
        // A whole data line in this chunk (most of a dump): only its end marker matters, seen
        // without making a string of it.
        this.lines++;
        const len = nl - pos;
        if ((len === 2 || (len === 3 && chunk[pos + 2] === 13)) && chunk[pos] === 0x5c && chunk[pos + 1] === 0x2e) {
          this.inCopy = false;
          this.boundary = true;
        }
        pos = nl + 1;
        continue;
      }
      const end = nl < 0 ? chunk.length : nl;
      if (this.headLen < 200) {
        const part = chunk.subarray(pos, Math.min(end, pos + 200 - this.headLen));
        this.head.push(part);
        this.headLen += part.length;
      }
      const seg = chunk.subarray(Math.max(pos, end - 32), end);
      this.tail = this.tail.length + seg.length <= 32 ? Buffer.concat([this.tail, seg]) : Buffer.concat([this.tail, seg]).subarray(-32);
      if (nl < 0) break;
      this.line();
      pos = nl + 1;
    }
    this.bytes += chunk.length;
    this.onBytes?.(this.bytes);
    done(null, chunk);
  }

  override _flush(done: TransformCallback): void {
    if (this.headLen || this.tail.length) this.line();
    done();
  }

  private line(): void {
    const text = Buffer.concat(this.head).toString('utf8').replace(/\r$/, '');
    const tail = this.tail.toString('latin1').replace(/\r$/, '');
    this.head = [];
    this.headLen = 0;
    this.tail = Buffer.alloc(0);
    this.lines++;
    if (this.inCopy) {
      if (text === '\\.') { this.inCopy = false; this.boundary = true; }
      return;
    }
    if (!this.triggersOff && /disable\s+trigger|session_replication_role/i.test(text)) this.triggersOff = true;
    // A statement starts only after a statement's end, a blank line or a comment (as pg_dump
    // writes them): a line of a multi-line string value is never taken for one.
    const m = this.boundary
      ? /^(COPY|INSERT INTO|CREATE (?:UNIQUE INDEX|INDEX|TABLE|SEQUENCE|VIEW|MATERIALIZED VIEW|FUNCTION|OR REPLACE FUNCTION|TYPE|SCHEMA|EXTENSION|TRIGGER|DOMAIN)|ALTER (?:TABLE(?: ONLY)?|SEQUENCE|TYPE|SCHEMA|FUNCTION)|SELECT|SET|COMMENT ON|DROP \w+|GRANT|REVOKE)\b\s*([A-Za-z_"][A-Za-z0-9_$."]*)?/.exec(text)
      : null;
    if (m) {
      const object = m[1] === 'SELECT' || m[1] === 'SET' || m[1] === 'GRANT' || m[1] === 'REVOKE' || m[1] === 'COMMENT ON' ? '' : (m[2] ?? '');
      const kind = `${m[1]}${object && !/^(IF|ONLY)$/.test(object) ? ` ${object.slice(0, 120)}` : ''}`;
      const last = this.starts[this.starts.length - 1];
      if (!last || last.kind !== kind || m[1] === 'COPY') {
        if (this.starts.length < 100_000) this.starts.push({ line: this.lines, kind });
      }
      if (m[1] === 'COPY' && /\bFROM stdin;\s*$/i.test(tail)) { this.inCopy = true; return; }
    }
    this.boundary = text.trim() === '' || text.startsWith('--') || /;\s*$/.test(tail);
  }

  /** The statement a line of the SQL belongs to ("COPY public.customers"), if known. */
  statementAt(line: number): string | undefined {
    let lo = 0;
    let hi = this.starts.length - 1;
    let found: { line: number; kind: string } | undefined;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (this.starts[mid]!.line <= line) { found = this.starts[mid]; lo = mid + 1; } else hi = mid - 1;
    }
    return found?.kind;
  }
}
