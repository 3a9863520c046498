// The data clone on a real engine (no mocks). A "production" PostgreSQL 15 (its own container on
// its own network, loaded from the sample's data/production.sql by psql inside it) is cloned
// into a session of the sample shop brought up by up(): through the live source (pg_dump over
// that network, the password only in an environment variable), the dump file of the worktree,
// and a custom-format dump. What a user checks: the personal columns hold none of
// production's values (value by value, and no production value anywhere in a dump of the
// clone), the rest is production's exactly, row counts are equal, every foreign key holds, and
// the incident's request (GET /customers/137/badge) still answers 500 on the app's published
// port. Then the cache (a second clone is served from it, faster; a changed rule misses it),
// subsetting, a cancel, and odd or hostile inputs: every PostgreSQL type in a dump, an empty
// table, a dump cut off in the middle, a wrong password, an unreachable host, a rule naming a
// column that does not exist, a personal column without a rule. After each test nothing of it
// is left on the engine: no throwaway container, and after the session's removal no
// container, network or volume with its label.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { after, before, describe, test } from 'node:test';
import type Docker from 'dockerode';
import { main } from '../../extension/cli';
import { removeEngineCopies } from '../../extension/core/data/engineCopy';
import { cloneData, cloneServiceData, CloneError, renameInto, type CloneOptions, type CloneResult } from '../../extension/core/data/clone';
import { gateWorkspace } from '../../extension/core/data/coverageScan';
import { JOB_ROLE } from '../../extension/core/data/engineJobs';
import { pgTarget, psqlRows } from '../../extension/core/data/pg';
import { RestoreError, restoreSql } from '../../extension/core/data/restore';
import { startScrubAhead } from '../../extension/core/data/scrubAhead';
import { cacheKey, listCache, lookupCache, openCacheWriter, serialSummary } from '../../extension/core/data/cache';
import { VerifyError } from '../../extension/core/data/verify';
import { deriveKey } from '../../extension/core/data/rules';
import type { Manifest } from '../../extension/core/manifest/schema';
import { execIn } from '../../extension/core/stack/containerIo';
import { connectEngine } from '../../extension/core/stack/engineConnection';
import { LABEL } from '../../extension/core/stack/labels';
import { planSession } from '../../extension/core/stack/plan';
import { removeSession } from '../../extension/core/stack/teardown';
import { up, type RunningStack } from '../../extension/core/stack/up';
import { tempDir } from '../unit/helpers';
import { get } from './localHttp';
import { sampleManifest } from './sampleManifest';

const ROOT = path.resolve(__dirname, '../../..');
const SAMPLE = path.join(ROOT, 'test/fixtures/sample-shop');
const FIXTURES = path.join(ROOT, 'test/fixtures/data');
const GATEWAY_IMAGE = 'busybox:latest';
const IMAGES = ['postgres:15', 'redis:7', 'node:20', GATEWAY_IMAGE];

const RUN = `dat${Date.now().toString(36)}`;
/** Everything the test itself creates (the "production" side) carries this label. */
const TEST_LABEL = 'dev.repro.test';
const HOME = tempDir('repro-data-home-');
const KEY = deriveKey('the data test\'s scrubbing secret');
const PROD = { network: `repro-${RUN}-prodnet`, container: `repro-${RUN}-prod`, alias: 'prod-db', user: 'shop', db: 'shop' };
const PROD_PASSWORD = `Pw-${randomBytes(12).toString('base64url')}`;
const URL_ENV = 'REPRO_TEST_PROD_URL';
const PROD_URL = `postgresql://${PROD.user}:${PROD_PASSWORD}@${PROD.alias}:5432/${PROD.db}`;

let docker: Docker | undefined;
const engine = (): Docker => {
  assert.ok(docker, 'no engine connection (see the first failure)');
  return docker;
};
const sessions = new Set<string>();
const sessionName = (what: string): string => {
  const name = `${RUN}-${what}`;
  sessions.add(name);
  return name;
};

before(async () => {
  docker = (await connectEngine({})).docker;
  for (const ref of IMAGES) {
    await docker.getImage(ref).inspect().catch(() => {
      throw new Error(`image ${ref} is missing on the engine: run "bash scripts/provision/images.sh" (npm test does it)`);
    });
  }
  // "Production": a PostgreSQL of its own on a network of its own, loaded by psql inside it.
  await docker.createNetwork({ Name: PROD.network, Driver: 'bridge', Labels: { [TEST_LABEL]: RUN } });
  const c = await docker.createContainer({
    name: PROD.container, Image: 'postgres:15', Labels: { [TEST_LABEL]: RUN },
    Env: [`POSTGRES_USER=${PROD.user}`, `POSTGRES_PASSWORD=${PROD_PASSWORD}`, `POSTGRES_DB=${PROD.db}`],
    HostConfig: { NetworkMode: PROD.network },
    NetworkingConfig: { EndpointsConfig: { [PROD.network]: { Aliases: [PROD.alias] } } },
  });
  await c.start();
  await waitPostgres(c.id);
  await loadSql(c.id, PROD.user, PROD.db, path.join(SAMPLE, 'data/production.sql'));
  process.env[URL_ENV] = PROD_URL;
});

after(async () => {
  delete process.env[URL_ENV];
  if (!docker) return;
  for (const s of sessions) await removeSession(docker, s, { graceSeconds: 0 }).catch(() => undefined);
  const mine = { label: [`${TEST_LABEL}=${RUN}`] };
  for (const c of await docker.listContainers({ all: true, filters: mine })) await docker.getContainer(c.Id).remove({ force: true, v: true });
  for (const n of await docker.listNetworks({ filters: mine })) await docker.getNetwork(n.Id).remove();
  assert.deepEqual((await docker.listContainers({ all: true, filters: mine })).length, 0);
  assert.deepEqual((await docker.listNetworks({ filters: mine })).length, 0);
  await removeEngineCopies(docker, HOME).catch(() => undefined); // they outlive sessions
  fs.rmSync(HOME, { recursive: true, force: true });
});

// ---------------------------------------------------------------------------------- helpers

async function waitPostgres(id: string): Promise<void> {
  // -h 127.0.0.1: the image's init server listens on its socket only; the real one on TCP.
  for (let i = 0; i < 300; i++) {
    const r = await execIn(engine(), id, ['pg_isready', '-q', '-h', '127.0.0.1']);
    if (r.exitCode === 0) return;
    await new Promise((res) => setTimeout(res, 200));
  }
  throw new Error('postgres did not get ready');
}

async function loadSql(id: string, user: string, db: string, file: string): Promise<void> {
  const tar = execFileSync('tar', ['-c', '-C', path.dirname(file), path.basename(file)]);
  await engine().getContainer(id).putArchive(tar, { path: '/tmp' });
  const r = await execIn(engine(), id, ['psql', '-X', '-q', '-v', 'ON_ERROR_STOP=1', '-U', user, '-d', db, '-f', `/tmp/${path.basename(file)}`]);
  assert.equal(r.exitCode, 0, `loading ${file} failed:\n${r.stderr}`);
}

/** Rows of a query in a container's database, fields split on tabs (psql -A -t). */
async function rows(id: string, user: string, db: string, sql: string): Promise<string[][]> {
  const r = await execIn(engine(), id, ['psql', '-X', '-A', '-t', '-F', '\t', '-v', 'ON_ERROR_STOP=1', '-U', user, '-d', db, '-c', sql]);
  assert.equal(r.exitCode, 0, `query failed: ${sql}\n${r.stderr}`);
  return r.stdout.split('\n').filter(Boolean).map((l) => l.split('\t'));
}
const prod = (sql: string) => rows(PROD.container, PROD.user, PROD.db, sql);
const clone = (stack: RunningStack, sql: string) => rows(idOf(stack, 'db'), 'main', 'main', sql);

function idOf(stack: RunningStack, entry: string): string {
  const c = stack.containers.find((x) => x.entry === entry);
  assert.ok(c, `no container for ${entry}`);
  return c.id;
}


const liveManifest = (edit?: (m: Manifest) => void) => sampleManifest((m) => {
  m.services!.db!.data!.source = { live: { env: URL_ENV } };
  edit?.(m);
});


/** Throwaway containers (pg_dump, pg_restore) of the session still on the engine: none, ever, after a clone. */
async function jobsLeft(session: string): Promise<string[]> {
  const list = await engine().listContainers({ all: true, filters: { label: [`${LABEL.session}=${session}`, `${LABEL.role}=${JOB_ROLE}`] } });
  return list.map((c) => c.Names[0] ?? c.Id);
}

async function assertNothingLeft(session: string): Promise<void> {
  const filters = { label: [`${LABEL.session}=${session}`] };
  const [c, n, v] = await Promise.all([
    engine().listContainers({ all: true, filters }), engine().listNetworks({ filters }), engine().listVolumes({ filters }),
  ]);
  assert.deepEqual({ containers: c.length, networks: n.length, volumes: (v.Volumes ?? []).length }, { containers: 0, networks: 0, volumes: 0 }, `leftovers of ${session}`);
}

async function cloneInto(stack: RunningStack, manifest: Manifest, extra: Partial<CloneOptions> = {}): Promise<CloneResult & { ms: number }> {
  const t0 = performance.now();
  const r = await cloneServiceData(engine(), {
    manifest, service: 'db', stack, root: SAMPLE, home: HOME, key: KEY, sourceNetwork: PROD.network, replace: true, ...extra,
  });
  const ms = Math.round(performance.now() - t0);
  assert.deepEqual(await jobsLeft(stack.session), [], 'a throwaway container is left');
  return { ...r, ms };
}

/** The clone's tables' contents, one md5 per table (rows in key order), for comparing clones. */
async function contents(stack: RunningStack): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const t of ['customers', 'orders', 'order_items']) {
    out[t] = (await clone(stack, `SELECT md5(coalesce(string_agg(t::text, E'\\n' ORDER BY id), '')) FROM ${t} t`))[0]![0]!;
  }
  return out;
}

const PERSONAL = { customers: ['email', 'display_name', 'phone', 'address', 'birth_date'], orders: ['shipping_address'] } as const;

/** By id: the personal columns of production and of the clone (as JSON: values hold newlines). */
async function personal(table: keyof typeof PERSONAL, q: (sql: string) => Promise<string[][]>): Promise<Map<string, (string | null)[]>> {
  const cols = PERSONAL[table];
  const r = await q(`SELECT id, json_build_array(${cols.map((c) => `${c}::text`).join(', ')}) FROM ${table} ORDER BY id`);
  return new Map(r.map(([id, v]) => [id!, JSON.parse(v!) as (string | null)[]]));
}

const utf16 = (s: string) => s.length;

/** Databases a clone replacing the session's was made in (clone.ts besideName), still there. */
const BESIDE_LEFT = "SELECT count(*) FROM pg_database WHERE datname LIKE '%\\_repro\\_clone'";

// ------------------------------------------------------------------------------------ tests

describe('the sample shop, cloned from "production" into a session', () => {
  const session = sessionName('shop');
  let stack: RunningStack;
  const timings: Record<string, number> = {};

  before(async () => {
    stack = await up(engine(), planSession(liveManifest(), { session, sourceDir: SAMPLE, gatewayImage: GATEWAY_IMAGE }));
  });

  after(async () => {
    await removeSession(engine(), session, { graceSeconds: 0 });
    await assertNothingLeft(session);
    console.log(`clone timings (ms): ${JSON.stringify(timings)}`);
  });

  test('live source: personal data gone value by value, the rest exact, counts equal, keys valid, and the incident still fires', async () => {
    const r = await cloneInto(stack, liveManifest(), { pointInTime: '2024-05-01T10:00Z' });
    timings.liveCold = r.ms;
    assert.equal(r.cached, false);
    assert.match(r.snapshot, /^[0-9a-f]{64}$/);
    assert.match(r.rules, /^[0-9a-f]{64}$/);

    // Row counts: production's, table by table.
    for (const t of ['customers', 'orders', 'order_items']) {
      const [[p]] = await prod(`SELECT count(*) FROM ${t}`) as [[string]];
      const [[c]] = await clone(stack, `SELECT count(*) FROM ${t}`) as [[string]];
      assert.equal(c, p, `rows of ${t}`);
      assert.equal(r.tables.find((x) => x.name === `public.${t}`)?.rows, Number(p));
    }
    assert.deepEqual(r.verified.problems, []);
    assert.ok(r.verified.fingerprints.values >= 200 * 4, `fingerprint check read ${r.verified.fingerprints.values} values`);
    assert.deepEqual(r.verified.fingerprints.skipped.map((s) => s.column), ['public.customers.birth_date'], 'a hashed date is not checkable by value');

    // Personal columns: no value equals production's value of the same row.
    for (const table of ['customers', 'orders'] as const) {
      const p = await personal(table, prod);
      const c = await personal(table, (sql) => clone(stack, sql));
      assert.equal(c.size, p.size);
      for (const [id, orig] of p) {
        const got = c.get(id);
        assert.ok(got, `${table} ${id} is missing in the clone`);
        orig.forEach((v, i) => {
          const col = PERSONAL[table][i]!;
          if (v === null) assert.equal(got[i], null, `${table} ${id} ${col}: null stays null`);
          else assert.notEqual(got[i], v, `${table} ${id} ${col} kept its production value`);
        });
      }
      // And no production value of any personal column anywhere in the clone.
      const dump = (await execIn(engine(), idOf(stack, 'db'), ['pg_dump', '--data-only', '-U', 'main', 'main'])).stdout;
      let checked = 0;
      for (const orig of p.values()) {
        orig.forEach((v, i) => {
          // Text only: a hashed birth date is another day of the same year, which may well be
          // another customer's (the value check of verify skips dates for that reason).
          const col = PERSONAL[table][i]!;
          if (v === null || v.length < 8 || col === 'birth_date') return;
          checked++;
          assert.ok(!dump.includes(v), `a production value of ${table}.${col} is in the clone (${v.length} characters)`);
        });
      }
      assert.ok(checked > 100);
    }
    // The masked display names keep their shape: the incident depends on it (INCIDENT.md).
    for (const id of ['137', '58', '171', '42']) {
      const [[p]] = await prod(`SELECT display_name FROM customers WHERE id = ${id}`) as [[string]];
      const [[c]] = await clone(stack, `SELECT display_name FROM customers WHERE id = ${id}`) as [[string]];
      assert.equal(utf16(c), utf16(p), `customer ${id}'s display name changed length`);
    }
    // Everything not personal is production's, exactly.
    for (const [table, cols] of [['customers', 'id, created_at'], ['orders', 'id, customer_id, total_cents, status, created_at'], ['order_items', '*']] as const) {
      const q = `SELECT md5(string_agg(x::text, E'\\n' ORDER BY x.id)) FROM (SELECT ${cols} FROM ${table}) x`;
      assert.deepEqual(await clone(stack, q), await prod(q), `${table}'s unscrubbed columns differ from production`);
    }
    // Every foreign key is valid, and checked against every row.
    const fks = await clone(stack, "SELECT conname, convalidated FROM pg_constraint WHERE contype = 'f' ORDER BY 1");
    assert.deepEqual(fks, [['order_items_order_id_fkey', 't'], ['orders_customer_id_fkey', 't']]);
    assert.deepEqual(await clone(stack, 'SELECT count(*) FROM orders o WHERE NOT EXISTS (SELECT 1 FROM customers c WHERE c.id = o.customer_id)'), [['0']]);
    assert.deepEqual(await clone(stack, 'SELECT count(*) FROM order_items i WHERE NOT EXISTS (SELECT 1 FROM orders o WHERE o.id = i.order_id)'), [['0']]);
    assert.equal(r.verified.foreignKeys.checked, 2);

    // The app on its published port, on the cloned data: the planted bug fires as in production.
    const port = stack.published.find((p) => p.entry === 'web' && p.name === 'http')!.hostPort;
    const crash = await get(port, '/customers/137/badge');
    assert.equal(crash.status, 500, crash.body);
    assert.equal(crash.body, '{"error":"internal server error"}');
    assert.equal((await get(port, '/customers/42/badge')).status, 200);
    const one = JSON.parse((await get(port, '/customers/1')).body) as { email: string };
    const [[prodEmail]] = await prod('SELECT email FROM customers WHERE id = 1') as [[string]];
    assert.notEqual(one.email, prodEmail);
  });

  let dumpContents: Record<string, string> = {};
  test('the dump file of the worktree gives the same clone', async () => {
    const live = await contents(stack);
    const r = await cloneInto(stack, sampleManifest());
    timings.dumpCold = r.ms;
    assert.equal(r.cached, false);
    assert.deepEqual(r.verified.problems, []);
    dumpContents = await contents(stack);
    assert.deepEqual(dumpContents, live, 'the dump and the live database clone differently');
    const port = stack.published.find((p) => p.entry === 'web' && p.name === 'http')!.hostPort;
    assert.equal((await get(port, '/customers/137/badge')).status, 500);
  });

  test('repro data clone: the same clone from the command line, into the running session', async () => {
    const out: string[] = [];
    const err: string[] = [];
    const saved = process.env.REPRO_HOME;
    process.env.REPRO_HOME = HOME;
    try {
      const code = await main(['data', 'clone', 'db', '--session', session, '--dir', SAMPLE, '--replace'], { out: (x) => out.push(x), err: (x) => err.push(x), cwd: SAMPLE });
      assert.equal(code, 0, err.join('\n'));
      // The names it prints for the kept snapshots are the ones "repro data cache" lists.
      const kept = /cached as ([0-9a-f]{12}) \(SQL\) and ([0-9a-f]{12}) \(data folder\) in repro data cache/.exec(out.join('\n'));
      assert.ok(kept, out.join('\n'));
      const listed: string[] = [];
      assert.equal(await main(['data', 'cache'], { out: (x) => listed.push(x), err: () => undefined, cwd: SAMPLE }), 0);
      assert.match(listed.join('\n'), new RegExp(`^  ${kept[1]}  used .* SQL  \\(db: the dump `, 'm'));
      assert.match(listed.join('\n'), new RegExp(`^  ${kept[2]}  used .* data folder  \\(db: the dump `, 'm'));
    } finally {
      if (saved === undefined) delete process.env.REPRO_HOME; else process.env.REPRO_HOME = saved;
    }
    assert.match(out.join('\n'), /^db: customers 200, order_items 1325, orders 542/m);
    assert.match(out.join('\n'), /verified: 3 row counts, 2 foreign keys, \d+ original values absent/);
    assert.match(err.join('\n'), /db: public\.customers: \d+ rows|db: 2067 rows in 3 tables, verified/);
    const port = stack.published.find((p) => p.entry === 'web' && p.name === 'http')!.hostPort;
    assert.equal((await get(port, '/customers/137/badge')).status, 500);
    // Without --replace, a database that has tables is refused with what to do.
    const again: string[] = [];
    process.env.REPRO_HOME = HOME;
    try {
      const code = await main(['data', 'clone', '--session', session, '--dir', SAMPLE], { out: () => undefined, err: (x) => again.push(x), cwd: SAMPLE });
      assert.equal(code, 1);
    } finally {
      if (saved === undefined) delete process.env.REPRO_HOME; else process.env.REPRO_HOME = saved;
    }
    // The command it suggests names this session: without --session it would go to the one
    // named after the project, which may be another checkout's.
    assert.ok(again.join('\n').includes(`repro data clone --session ${session} --replace`), again.join('\n'));
    // Ctrl-C while the replacing clone restores: 130, said as a cancel, the clone above kept.
    const held = await contents(stack);
    const ac = new AbortController();
    const cancelled: string[] = [];
    process.env.REPRO_HOME = HOME;
    try {
      const code = await main(['data', 'clone', 'db', '--session', session, '--dir', SAMPLE, '--replace'], {
        out: () => undefined, cwd: SAMPLE,
        err: (x) => { cancelled.push(x); if (/restoring|scrubbing/.test(x)) ac.abort(); },
      }, ac.signal);
      assert.equal(code, 130, cancelled.join('\n'));
    } finally {
      if (saved === undefined) delete process.env.REPRO_HOME; else process.env.REPRO_HOME = saved;
    }
    assert.equal(cancelled[cancelled.length - 1], 'repro: cancelled');
    assert.deepEqual(await contents(stack), held, 'the cancelled clone changed what the database held');
  });

  test('a second clone is served from the cache, faster; a changed rule misses it', async () => {
    // The dump's clone of the previous test wrote the snapshot: these two are served from it.
    const cold = await cloneInto(stack, sampleManifest());
    const warm = await cloneInto(stack, sampleManifest());
    assert.equal(cold.cached, true, 'the second clone of the dump did not hit the cache');
    assert.equal(warm.cached, true, 'the third clone of the dump did not hit the cache');
    assert.equal(warm.snapshot, cold.snapshot);
    assert.equal(warm.rules, cold.rules);
    assert.deepEqual(await contents(stack), dumpContents);
    assert.deepEqual(warm.verified.problems, []);
    timings.dumpCached = warm.ms;
    const entries = fs.readdirSync(path.join(HOME, 'data'));
    assert.ok(entries.includes(`${warm.cacheKey}.sql`) && entries.includes(`${warm.cacheKey}.json`), entries.join(' '));

    const changed = await cloneInto(stack, sampleManifest((m) => { m.services!.db!.data!.tables!.orders!.columns!.shipping_address = 'redact'; }));
    assert.equal(changed.cached, false, 'a changed rule hit the cache');
    timings.dumpColdChangedRule = changed.ms;
    // Cold clones read the source twice (coverage gate, then scrub); a cached one reads neither.
    console.log(`dump clone: cold ${timings.dumpCold} ms and ${changed.ms} ms (a changed rule), cached ${cold.ms} ms and ${warm.ms} ms`);
    const slowestCold = Math.max(timings.dumpCold ?? 0, changed.ms);
    assert.ok(Math.min(warm.ms, cold.ms) < slowestCold, `the cached clones (${cold.ms}, ${warm.ms} ms) are not faster than the cold ones (${timings.dumpCold}, ${changed.ms} ms)`);
    assert.notEqual(changed.rules, warm.rules);
    assert.notEqual(changed.cacheKey, warm.cacheKey);
    assert.deepEqual(await clone(stack, "SELECT DISTINCT shipping_address FROM orders"), [['REDACTED']]);
    // The live source at another point in time is another snapshot; at the same one, a hit.
    const liveAgain = await cloneInto(stack, liveManifest(), { pointInTime: '2024-05-01T10:00Z' });
    assert.equal(liveAgain.cached, true);
    timings.liveCached = liveAgain.ms;
    const liveLater = await cloneInto(stack, liveManifest(), { pointInTime: '2024-05-02T10:00Z' });
    assert.equal(liveLater.cached, false);
    const noTime = await cloneInto(stack, liveManifest());
    assert.equal(noTime.cached, false, 'a live clone without a point in time is never cached');
    assert.equal(noTime.cacheKey, undefined);
  });

  test('subsetting keeps the rows matching "where" and every row a kept row references', async () => {
    const m = sampleManifest((x) => {
      const t = x.services!.db!.data!.tables!;
      t.customers!.where = 'id <= 20';
      t.orders!.where = 'customer_id <= 10';
      t.order_items = { where: 'quantity >= 3' };
    });
    const r = await cloneInto(stack, m);
    assert.deepEqual(r.verified.problems, []);
    assert.ok(r.subset && r.subset.rounds >= 1);
    // Every kept row matches its condition or is referenced by a kept row.
    assert.deepEqual(await clone(stack, 'SELECT count(*) FROM order_items WHERE NOT quantity >= 3'), [['0']]);
    assert.deepEqual(await clone(stack, `SELECT count(*) FROM orders o WHERE NOT customer_id <= 10
      AND NOT EXISTS (SELECT 1 FROM order_items i WHERE i.order_id = o.id)`), [['0']]);
    assert.deepEqual(await clone(stack, `SELECT count(*) FROM customers c WHERE NOT id <= 20
      AND NOT EXISTS (SELECT 1 FROM orders o WHERE o.customer_id = c.id)`), [['0']]);
    // Nothing that matches was dropped, and rows were dropped.
    const [[itemsProd]] = await prod('SELECT count(*) FROM order_items WHERE quantity >= 3') as [[string]];
    assert.deepEqual(await clone(stack, 'SELECT count(*) FROM order_items'), [[itemsProd]]);
    assert.deepEqual(await clone(stack, 'SELECT count(*) FROM customers WHERE id <= 20'), [['20']]);
    const [[customers]] = await clone(stack, 'SELECT count(*) FROM customers') as [[string]];
    assert.ok(Number(customers) < 200 && Number(customers) >= 20, `customers kept: ${customers}`);
    for (const s of r.subset.tables) assert.equal(s.before - s.deleted, r.tables.find((t) => t.name === s.table)?.rows);
    // Keys hold after the deletes.
    assert.deepEqual(await clone(stack, 'SELECT count(*) FROM orders o WHERE NOT EXISTS (SELECT 1 FROM customers c WHERE c.id = o.customer_id)'), [['0']]);
    assert.deepEqual(await clone(stack, 'SELECT count(*) FROM order_items i WHERE NOT EXISTS (SELECT 1 FROM orders o WHERE o.id = i.order_id)'), [['0']]);
    console.log(`subset: ${JSON.stringify(r.subset.tables)} in ${r.subset.rounds} rounds`);

    // A condition that cannot run names its table (after the restore: the clone beside the
    // database is dropped, the subset clone above stays); one that is not one expression is
    // refused before anything runs.
    const held = await contents(stack);
    await assert.rejects(cloneInto(stack, sampleManifest((x) => { x.services!.db!.data!.tables!.customers!.where = 'no_such_column > 1'; })),
      (e: Error) => /"where" of table public\.customers cannot run.*42703/.test(e.message) || assert.fail(e.message));
    await assert.rejects(cloneInto(stack, sampleManifest((x) => { x.services!.db!.data!.tables!.customers!.where = 'id < 3; DROP TABLE orders'; })),
      /"where" of table public\.customers must be a single SQL condition: it contains ";"/);
    assert.deepEqual(await contents(stack), held, 'a failed clone changed what the database held');
    assert.deepEqual(await clone(stack, BESIDE_LEFT), [['0']], 'a failed clone was left beside the database');
  });

  test('a custom-format dump (pg_dump -Fc) clones like the plain one, converted in a throwaway container', async () => {
    const dir = tempDir('repro-custom-');
    try {
      const r = await execIn(engine(), PROD.container, ['sh', '-c', `pg_dump -Fc -U ${PROD.user} ${PROD.db} > /tmp/prod.dump`]);
      assert.equal(r.exitCode, 0, r.stderr);
      const tar = await engine().getContainer(PROD.container).getArchive({ path: '/tmp/prod.dump' });
      const tarFile = path.join(dir, 'prod.tar');
      await new Promise<void>((resolve, reject) => tar.pipe(fs.createWriteStream(tarFile)).on('finish', resolve).on('error', reject));
      execFileSync('tar', ['-xf', tarFile, '-C', dir]);
      fs.rmSync(tarFile);
      const m = sampleManifest((x) => { x.services!.db!.data!.source = { dump: 'prod.dump' }; });
      const c = await cloneInto(stack, m, { root: dir });
      assert.deepEqual(c.verified.problems, []);
      assert.deepEqual(await contents(stack), dumpContents);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  test('every service with data: db from the dump, cache from an RDB file, then from a folder (copied into its volume while stopped)', async () => {
    const dir = tempDir('repro-rdb-');
    try {
      // An RDB file made by a throwaway Redis of the same image.
      const maker = await engine().createContainer({ Image: 'redis:7', Labels: { [TEST_LABEL]: RUN }, HostConfig: { NetworkMode: 'none' } });
      try {
        await maker.start();
        for (let i = 0; i < 50 && (await execIn(engine(), maker.id, ['redis-cli', 'ping'])).stdout.trim() !== 'PONG'; i++) await new Promise((r) => setTimeout(r, 100));
        assert.equal((await execIn(engine(), maker.id, ['redis-cli', 'SET', 'feature:badges', 'on'])).exitCode, 0);
        assert.equal((await execIn(engine(), maker.id, ['redis-cli', 'SAVE'])).stdout.trim(), 'OK');
        const tar = await maker.getArchive({ path: '/data/dump.rdb' });
        await new Promise<void>((resolve, reject) => tar.pipe(fs.createWriteStream(path.join(dir, 'rdb.tar'))).on('finish', resolve).on('error', reject));
      } finally {
        await maker.remove({ force: true, v: true });
      }
      execFileSync('tar', ['-xf', path.join(dir, 'rdb.tar'), '-C', dir]);
      fs.copyFileSync(path.join(SAMPLE, 'data/production.sql'), path.join(dir, 'production.sql'));
      const m = sampleManifest((x) => {
        x.services!.db!.data!.source = { dump: 'production.sql' };
        x.services!.cache!.data = { source: { rdb: 'dump.rdb' } };
      });
      const steps: string[] = [];
      // A home of its own: scrubbed, not served from the cache, so the tables' progress shows.
      // It holds an older snapshot, and the cache's size has no room for it beside the new one.
      const home = path.join(dir, 'home');
      const old = openCacheWriter(home, cacheKey({ source: 'dump:old', plan: 'rules-0', pgMajor: 15 }));
      await new Promise<void>((resolve, reject) => Readable.from([Buffer.alloc(200_000, 'x')]).pipe(old.stream).on('finish', resolve).on('error', reject));
      await old.commit({ snapshot: 'a'.repeat(64), rules: 'rules-0', pgMajor: 15, summary: serialSummary({ tables: new Map(), fingerprints: new Map(), bytesIn: 1, bytesOut: 1 }), verified: { columns: 0, values: 0, leaks: [], skipped: [], short: 0 } });
      const r = await cloneData(engine(), m, stack, { root: dir, home, keepPhysical: false, key: KEY, replace: true, cacheBytes: 1024, progress: (msg) => steps.push(msg) });
      assert.ok(r);
      assert.ok(steps.includes('db: the data cache is kept within 1.0 KB (the repro.data.cacheSize setting, REPRO_DATA_CACHE_SIZE for the command line): 1 least recently used snapshot removed'), steps.join('\n'));
      assert.deepEqual(listCache(home).map((e) => e.key), [r.services[0]!.kind === 'postgresql' ? r.services[0]!.result.cacheKey : ''], 'the new snapshot is kept, the old one gone');
      // Every table is said once done, however fast (the count while it goes is throttled).
      for (const [table, rows] of [['customers', 200], ['orders', 542], ['order_items', 1325]] as const) {
        assert.ok(steps.includes(`db: public.${table}: ${rows} rows`), steps.join('\n'));
      }
      assert.deepEqual(r.services.map((x) => `${x.service}:${x.kind}`), ['db:postgresql', 'cache:files']);
      assert.match(r.snapshot, /^db:[0-9a-f]{64} cache:[0-9a-f]{64}$/);
      assert.match(r.rules, /^db:[0-9a-f]{64} cache:none/);
      assert.deepEqual(await contents(stack), dumpContents);
      assert.equal((await execIn(engine(), idOf(stack, 'cache'), ['redis-cli', 'GET', 'feature:badges'])).stdout.trim(), 'on');
      assert.ok(steps.some((x) => /cache: stopping cache to copy the RDB file dump\.rdb/.test(x)), steps.join('\n'));
      // The app reaches both again: the incident still fires.
      const port = stack.published.find((p) => p.entry === 'web' && p.name === 'http')!.hostPort;
      assert.equal((await get(port, '/customers/137/badge')).status, 500);

      // A folder: its files land in the data folder as they are.
      fs.mkdirSync(path.join(dir, 'redis-data'));
      fs.renameSync(path.join(dir, 'dump.rdb'), path.join(dir, 'redis-data', 'dump.rdb'));
      await execIn(engine(), idOf(stack, 'cache'), ['redis-cli', 'FLUSHALL']);
      await execIn(engine(), idOf(stack, 'cache'), ['redis-cli', 'SAVE']);
      const m2 = sampleManifest((x) => {
        delete x.services!.db!.data;
        x.services!.cache!.data = { source: { files: 'redis-data' } };
      });
      const r2 = await cloneData(engine(), m2, stack, { root: dir, home: HOME, key: KEY });
      assert.equal(r2?.services[0]?.kind, 'files');
      assert.equal((await execIn(engine(), idOf(stack, 'cache'), ['redis-cli', 'GET', 'feature:badges'])).stdout.trim(), 'on');
      assert.equal(await cloneData(engine(), sampleManifest((x) => { delete x.services!.db!.data; }), stack, { root: dir, home: HOME, key: KEY }), undefined);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  test('a cancel during the restore kills psql and pg_dump: the database holds the earlier clone as it was, no throwaway container is left', async () => {
    const before = await contents(stack);
    const ac = new AbortController();
    const p = cloneInto(stack, liveManifest(), {
      signal: ac.signal,
      onProgress: () => { if (!ac.signal.aborted) ac.abort(new Error('cancelled by the test')); },
    });
    await assert.rejects(p, /cancelled by the test/);
    assert.deepEqual(await contents(stack), before, 'the cancelled clone changed what the database held');
    assert.deepEqual(await clone(stack, BESIDE_LEFT), [['0']], 'the cancelled clone was left beside the database');
    assert.deepEqual(await jobsLeft(session), []);
  });
});

describe('odd and hostile inputs', () => {
  const session = sessionName('odd');
  let stack: RunningStack;
  const dbOnly = (data: NonNullable<NonNullable<Manifest['services']>[string]['data']>): Manifest => ({
    version: 1, project: { name: 'odd' }, services: { db: { type: 'postgresql:15', data } },
  });

  before(async () => {
    stack = await up(engine(), planSession(dbOnly({ source: { dump: 'types.sql' } }), { session }));
  });

  after(async () => {
    await removeSession(engine(), session, { graceSeconds: 0 });
    await assertNothingLeft(session);
  });

  test('every type a dump can hold round-trips; an empty table stays empty; scrubbed text keeps tabs, newlines and backslashes valid', async () => {
    // The reference: types.sql loaded as it is into a throwaway database next to the clone.
    const dbId = idOf(stack, 'db');
    await execIn(engine(), dbId, ['psql', '-X', '-q', '-U', 'main', '-d', 'main', '-c', 'DROP DATABASE IF EXISTS reference']);
    await execIn(engine(), dbId, ['psql', '-X', '-q', '-U', 'main', '-d', 'main', '-c', 'CREATE DATABASE reference']);
    await loadSql(dbId, 'main', 'reference', path.join(FIXTURES, 'types.sql'));
    const r = await cloneServiceData(engine(), {
      manifest: dbOnly({
        source: { dump: 'types.sql' },
        tables: { notes: { columns: { secret_note: 'mask' } } },
        acknowledge: ['kinds.ip', 'kinds.mac', 'kinds.cidr_col', 'kinds.t', 'kinds.vc', 'kinds.ch', 'kinds.x', 'kinds.j', 'kinds.jb', 'kinds.ta', 'notes.body', 'nothing_here.label', 'kinds.d', 'kinds.ts', 'kinds.tstz'],
      }),
      service: 'db', stack, root: FIXTURES, home: HOME, key: KEY, replace: true,
    });
    assert.deepEqual(r.verified.problems, []);
    const same = (q: string) => Promise.all([rows(dbId, 'main', 'main', q), rows(dbId, 'main', 'reference', q)]);
    const [k1, k2] = await same(`SELECT md5(string_agg(k::text, E'\\n' ORDER BY id)) FROM kinds k`);
    assert.deepEqual(k1, k2, 'a value of table kinds changed on the way');
    const [n1, n2] = await same('SELECT id, kind_id, body FROM notes ORDER BY id');
    assert.deepEqual(n1, n2);
    const [l1, l2] = await same('SELECT id, length(secret_note), secret_note = E\'\\\\.\' FROM notes ORDER BY id');
    assert.deepEqual(l1.map((x) => x.slice(0, 2)), l2.map((x) => x.slice(0, 2)), 'masked text keeps its length');
    const [s1, s2] = await same('SELECT secret_note FROM notes ORDER BY id');
    s1.forEach((v, i) => { if (/[A-Za-z]/.test(s2[i]![0]!)) assert.notEqual(v[0], s2[i]![0], `note ${i + 1} kept its secret`); });
    assert.deepEqual(await rows(dbId, 'main', 'main', 'SELECT count(*) FROM nothing_here'), [['0']]);
    assert.equal(r.tables.find((t) => t.name === 'public.nothing_here')?.rows, 0);
    assert.deepEqual(await rows(dbId, 'main', 'main', "SELECT count(*) FROM pg_type WHERE typname IN ('mood', 'positive_int')"), [['2']]);
    await execIn(engine(), dbId, ['psql', '-X', '-q', '-U', 'main', '-d', 'main', '-c', 'DROP DATABASE reference']);
  });

  test('a clone that fails its checks (a trigger in the dump drops rows as they load): a VerifyError naming the table, what the database held kept, nothing cached', async () => {
    const dir = tempDir('repro-verify-');
    const home = tempDir('repro-verify-home-');
    const t = await pgTarget(engine(), idOf(stack, 'db'));
    // The previous test's clone.
    const held = () => psqlRows(engine(), t, "SELECT string_agg(tablename, ',' ORDER BY tablename), (SELECT count(*) FROM public.notes) FROM pg_tables WHERE schemaname = 'public'");
    const before = await held();
    assert.match(before[0]![0]!, /kinds/);
    try {
      const people = Array.from({ length: 10 }, (_, i) => `${i + 1}\tperson${i + 1}@example.org`).join('\n');
      fs.writeFileSync(path.join(dir, 'dropping.sql'), [
        'CREATE TABLE public.people (id integer PRIMARY KEY, email text);',
        'CREATE FUNCTION public.drop_odd() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN IF NEW.id % 2 = 1 THEN RETURN NULL; END IF; RETURN NEW; END $$;',
        'CREATE TRIGGER drop_odd BEFORE INSERT ON public.people FOR EACH ROW EXECUTE FUNCTION public.drop_odd();',
        'COPY public.people (id, email) FROM stdin;', people, '\\.', '',
      ].join('\n'));
      const err = await cloneServiceData(engine(), {
        manifest: dbOnly({ source: { dump: 'dropping.sql' }, tables: { people: { columns: { email: 'fake:email' } } } }),
        service: 'db', stack, root: dir, home, key: KEY, replace: true,
      }).then(() => assert.fail('a clone missing half its rows passed'), (e: Error) => e);
      assert.ok(err instanceof VerifyError, String(err));
      assert.match(err.message, /table public\.people: 5 rows in the clone, 10 expected/);
      assert.deepEqual(await held(), before, 'the failed clone replaced what the database held');
      assert.deepEqual(await psqlRows(engine(), t, BESIDE_LEFT), [['0']], 'the failed clone was left beside the database');
      // Neither snapshot was kept, not even half: the physical one taken beside the checks is
      // dropped, and none is started once a check failed (looked at again after a while).
      const left = () => (fs.existsSync(path.join(home, 'data')) ? fs.readdirSync(path.join(home, 'data')) : []);
      assert.deepEqual(left(), []);
      await new Promise((r) => setTimeout(r, 3000));
      assert.deepEqual(left(), []);
      assert.deepEqual(await jobsLeft(session), []);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
      fs.rmSync(home, { recursive: true, force: true });
    }
  });

  test('a dump cut off in the middle: a clear error, and the transaction rolled back (no table, no row)', async () => {
    const dir = tempDir('repro-cut-');
    try {
      const full = fs.readFileSync(path.join(SAMPLE, 'data/production.sql'), 'utf8');
      const at = full.indexOf('\n', full.indexOf('COPY public.orders') + 5000);
      fs.writeFileSync(path.join(dir, 'cut.sql'), full.slice(0, at + 1));
      // The restore itself, without the scrubber: psql would take the cut COPY as complete.
      const t = await pgTarget(engine(), idOf(stack, 'db'));
      await psqlRows(engine(), t, 'DROP SCHEMA public CASCADE; CREATE SCHEMA public');
      await assert.rejects(restoreSql(engine(), t, Readable.from([Buffer.from(full.slice(0, at + 1))])),
        (e: Error) => e instanceof RestoreError && /ends inside the data of COPY public\.orders .*cut off.*rolled back/.test(e.message));
      assert.deepEqual(await psqlRows(engine(), t, "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'"), [['0']], 'the cut restore left tables');
      // A source that dies in the middle, and a cancel: psql is killed before it could commit.
      for (const how of ['source error', 'cancel'] as const) {
        const input = new PassThrough();
        const ac = new AbortController();
        const p = restoreSql(engine(), t, input, { signal: ac.signal, onStarted: () => {
          input.write(full.slice(0, at + 1));
          setTimeout(() => (how === 'cancel' ? ac.abort(new Error('cancelled by the test')) : input.destroy(new Error('the source died'))), 300);
        } });
        await assert.rejects(p, how === 'cancel' ? /cancelled by the test/ : /the source died/);
        assert.deepEqual(await psqlRows(engine(), t, "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'"), [['0']], `after a ${how} the restore left tables`);
        let sessionsLeft = '';
        for (let i = 0; i < 20 && sessionsLeft !== '0'; i++) {
          if (i) await new Promise((r) => setTimeout(r, 100));
          sessionsLeft = (await psqlRows(engine(), t, "SELECT count(*) FROM pg_stat_activity WHERE application_name LIKE 'repro-restore-%'"))[0]![0]!;
        }
        assert.equal(sessionsLeft, '0', `after a ${how} the restore's connection is still open`);
      }
      // And through the clone (the scrubber sees the cut too).
      const err = await cloneServiceData(engine(), {
        manifest: dbOnly({ source: { dump: 'cut.sql' }, tables: sampleManifest().services!.db!.data!.tables! }),
        service: 'db', stack, root: dir, home: HOME, key: KEY, replace: true,
      }).then(() => assert.fail('the cut dump was cloned'), (e: Error) => e);
      assert.ok(err instanceof CloneError, String(err));
      assert.match(err.message, /cut off|ends inside|truncated|incomplete/i);
      assert.deepEqual(await psqlRows(engine(), t, "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'"), [['0']]);
      assert.deepEqual(await jobsLeft(session), []);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  test('a wrong password: a clear error naming the variable, the password nowhere', async () => {
    const wrong = `Wrong-${randomBytes(9).toString('base64url')}`;
    const messages: string[] = [];
    const err = await cloneServiceData(engine(), {
      manifest: dbOnly({ source: { live: { env: 'REPRO_TEST_WRONG_URL' } }, tables: sampleManifest().services!.db!.data!.tables! }),
      service: 'db', stack, root: SAMPLE, home: HOME, key: KEY, replace: true, sourceNetwork: PROD.network,
      secrets: (n) => (n === 'REPRO_TEST_WRONG_URL' ? `postgresql://${PROD.user}:${wrong}@${PROD.alias}/${PROD.db}` : undefined),
      onStep: (m) => messages.push(m), onProgress: (t, n) => messages.push(`${t} ${n}`),
    }).then(() => assert.fail('a wrong password cloned'), (e: Error) => e);
    assert.match(err.message, /authentication failed for the source database in REPRO_TEST_WRONG_URL/);
    for (const text of [err.message, String(err.stack), ...messages]) {
      assert.ok(!text.includes(wrong), 'the password is in a message');
      assert.ok(!text.includes(PROD_PASSWORD), 'production\'s password is in a message');
    }
    assert.deepEqual(await jobsLeft(session), []);
    // Not in the production server's log either (it logs the failure, not the attempt's password).
    const logs = await engine().getContainer(PROD.container).logs({ stdout: true, stderr: true }) as unknown as Buffer;
    assert.match(logs.toString('latin1'), /password authentication failed for user "shop"/);
    assert.ok(!logs.toString('latin1').includes(wrong));
  });

  test('an unreachable source: a clear error', async () => {
    const run = (url: string) => cloneServiceData(engine(), {
      manifest: dbOnly({ source: { live: { env: 'REPRO_TEST_NOWHERE' } } }),
      service: 'db', stack, root: SAMPLE, home: HOME, key: KEY, replace: true, sourceNetwork: PROD.network,
      secrets: () => url,
    });
    await assert.rejects(run(`postgresql://u:p4ssword@no-such-host-${RUN}/db`), /could not reach the source database in REPRO_TEST_NOWHERE: the host no-such-host-\S+ does not resolve/);
    await assert.rejects(run(`postgresql://u:p4ssword@${PROD.alias}:5999/db`), /could not reach the source database in REPRO_TEST_NOWHERE at prod-db:5999: the connection was refused/);
    delete process.env.REPRO_TEST_UNSET;
    await assert.rejects(cloneServiceData(engine(), {
      manifest: dbOnly({ source: { live: { env: 'REPRO_TEST_UNSET' } } }), service: 'db', stack, root: SAMPLE, home: HOME, key: KEY, replace: true,
    }), /REPRO_TEST_UNSET, which is not set/);
    assert.deepEqual(await jobsLeft(session), []);
  });

  test('a rule naming a column that does not exist, and a personal column without a rule, stop the clone before any data; what the database held stays', async () => {
    const tables = structuredClone(sampleManifest().services!.db!.data!.tables!);
    tables.customers!.columns!.nickname = 'mask';
    const t = await pgTarget(engine(), idOf(stack, 'db'));
    // An earlier clone is in the database, and a row of the developer's own beside it.
    const first = await cloneInto(stack, dbOnly({ source: { dump: 'data/production.sql' }, tables: structuredClone(sampleManifest().services!.db!.data!.tables!) }));
    await psqlRows(engine(), t, 'CREATE TABLE public.my_notes (note text); INSERT INTO public.my_notes VALUES (\'kept\')');
    const held = async () => psqlRows(engine(), t, "SELECT (SELECT count(*) FROM public.customers), (SELECT note FROM public.my_notes), (SELECT count(*) FROM pg_tables WHERE schemaname = 'public')");
    const before = await held();
    assert.deepEqual(before, [['200', 'kept', '4']]);
    await assert.rejects(cloneServiceData(engine(), {
      manifest: dbOnly({ source: { dump: 'data/production.sql' }, tables }), service: 'db', stack, root: SAMPLE, home: HOME, key: KEY, replace: true,
    }), (e: Error) => e instanceof CloneError && /nickname/.test(e.message) && /customers/.test(e.message) || assert.fail(e.message));
    assert.deepEqual(await held(), before, 'a rule naming a missing column emptied the database');
    const uncovered = structuredClone(sampleManifest().services!.db!.data!.tables!);
    delete uncovered.customers!.columns!.email;
    await assert.rejects(cloneServiceData(engine(), {
      manifest: dbOnly({ source: { dump: 'data/production.sql' }, tables: uncovered }), service: 'db', stack, root: SAMPLE, home: HOME, key: KEY, replace: true,
    }), (e: Error) => e instanceof CloneError && /email/.test(e.message) || assert.fail(e.message));
    assert.deepEqual(await held(), before, 'an uncovered personal column emptied the database');

    // What a reproduction's gate proved (these rules on these bytes) spares a clone its own pass
    // over the dump, and proves nothing for other rules.
    const rules = structuredClone(sampleManifest().services!.db!.data!.tables!);
    const proved = await gateWorkspace(SAMPLE, dbOnly({ source: { dump: 'data/production.sql' }, tables: rules }));
    assert.equal(proved.size, 1);
    await assert.rejects(cloneServiceData(engine(), {
      manifest: dbOnly({ source: { dump: 'data/production.sql' }, tables: uncovered }), service: 'db', stack, root: SAMPLE, home: HOME, key: KEY, replace: true, covered: proved,
    }), (e: Error) => e instanceof CloneError && /email/.test(e.message) || assert.fail(e.message));
    assert.deepEqual(await held(), before, 'a gate that passed for other rules let an uncovered column through');
    const steps: string[] = [];
    const gated = await cloneServiceData(engine(), {
      manifest: dbOnly({ source: { dump: 'data/production.sql' }, tables: rules }), service: 'db', stack, root: SAMPLE, key: KEY, replace: true,
      home: tempDir('repro-data-gated-'), keepPhysical: false, covered: proved, onStep: (m) => steps.push(m),
    });
    assert.equal(gated.cached, false);
    assert.ok(steps.includes('the rules cover the dump data/production.sql (checked before the clone)'), steps.join('; '));
    assert.deepEqual(gated.timings.filter((x) => x.step.startsWith('checking that the rules cover')), [], 'the clone read the dump for the gate again');
    assert.deepEqual(gated.verified.problems, []);
    assert.equal(gated.snapshot, first.snapshot, 'the clone differs from the one that ran its own gate');
    await assert.rejects(cloneServiceData(engine(), {
      manifest: dbOnly({ source: { dump: '../sample-shop/data/production.sql' } }), service: 'db', stack, root: FIXTURES, home: HOME, key: KEY, replace: true,
    }), /leads outside the repository root/);
  });

  test('replacing: a clone that fails after the gate (a value PostgreSQL refuses, a cancel) leaves what the database held; one that passes takes its place', async () => {
    const dir = tempDir('repro-replace-');
    const home = tempDir('repro-replace-home-');
    const t = await pgTarget(engine(), idOf(stack, 'db'));
    const rules = () => structuredClone(sampleManifest().services!.db!.data!.tables!);
    try {
      // The developer's own rows: what --replace must keep until a clone passed.
      await psqlRows(engine(), t, 'DROP SCHEMA public CASCADE; CREATE SCHEMA public; CREATE TABLE public.my_notes (note text); INSERT INTO public.my_notes VALUES (\'kept\')');
      const held = () => psqlRows(engine(), t, "SELECT string_agg(tablename, ',' ORDER BY tablename), (SELECT string_agg(note, ',') FROM public.my_notes) FROM pg_tables WHERE schemaname = 'public'");
      const before = await held();
      assert.deepEqual(before, [['my_notes', 'kept']]);
      // A row of customers twice: the gate passes (it reads columns, not keys), PostgreSQL
      // refuses the second when the primary key is added, after every row was restored.
      const full = fs.readFileSync(path.join(SAMPLE, 'data/production.sql'), 'utf8');
      const firstRow = full.indexOf('\n', full.indexOf('COPY public.customers')) + 1;
      const row = full.slice(firstRow, full.indexOf('\n', firstRow) + 1);
      fs.writeFileSync(path.join(dir, 'twice.sql'), full.slice(0, firstRow) + row + full.slice(firstRow));
      const refused = await cloneServiceData(engine(), {
        manifest: dbOnly({ source: { dump: 'twice.sql' }, tables: rules() }), service: 'db', stack, root: dir, home, key: KEY, replace: true,
      }).then(() => assert.fail('a dump with a duplicate key was cloned'), (e: Error) => e);
      assert.match(refused.message, /23505/);
      assert.deepEqual(await held(), before, 'a clone PostgreSQL refused replaced what the database held');
      assert.deepEqual(await psqlRows(engine(), t, BESIDE_LEFT), [['0']], 'the refused clone was left beside the database');
      // Cancelled while rows flow.
      const ac = new AbortController();
      await assert.rejects(cloneServiceData(engine(), {
        manifest: dbOnly({ source: { dump: 'data/production.sql' }, tables: rules() }), service: 'db', stack, root: SAMPLE, home, key: KEY, replace: true,
        signal: ac.signal, onProgress: () => { if (!ac.signal.aborted) ac.abort(new Error('cancelled by the test')); },
      }), /cancelled by the test/);
      assert.deepEqual(await held(), before, 'a cancelled clone replaced what the database held');
      assert.deepEqual(await psqlRows(engine(), t, BESIDE_LEFT), [['0']], 'the cancelled clone was left beside the database');
      assert.deepEqual(fs.existsSync(path.join(home, 'data')) ? fs.readdirSync(path.join(home, 'data')) : [], [], 'a failed clone was cached');
      // One that passes takes the database's place, under its name; its physical snapshot
      // (taken after, not beside the checks: the server held both databases then) is kept.
      const steps: string[] = [];
      const r = await cloneServiceData(engine(), {
        manifest: dbOnly({ source: { dump: 'data/production.sql' }, tables: rules() }), service: 'db', stack, root: SAMPLE, home, key: KEY, replace: true,
        engineCopy: false, onStep: (m) => steps.push(m),
      });
      assert.deepEqual(r.verified.problems, []);
      assert.ok(steps.includes('replacing main with the clone'), steps.join('; '));
      assert.ok(steps.includes('keeping a physical snapshot'), steps.join('; '));
      assert.deepEqual(await psqlRows(engine(), t, "SELECT string_agg(tablename, ',' ORDER BY tablename), (SELECT count(*) FROM public.customers) FROM pg_tables WHERE schemaname = 'public'"),
        [['customers,order_items,orders', '200']]);
      assert.deepEqual(await psqlRows(engine(), t, BESIDE_LEFT), [['0']]);
      assert.deepEqual(await jobsLeft(session), []);

      // A rename refused (here: the name is taken) is tried again, then says where the checked
      // clone is and how to rename it, and leaves it there.
      await psqlRows(engine(), t, ['CREATE DATABASE checked_clone', 'CREATE DATABASE taken_name'], { database: 'postgres' });
      await assert.rejects(renameInto(engine(), { ...t, database: 'checked_clone' }, 'taken_name', 'db'),
        /the clone passed its checks and is in the database checked_clone, but renaming it to taken_name failed \(.*already exists.*\); rename it with: repro exec db -- psql -U main -d postgres -c 'ALTER DATABASE "checked_clone" RENAME TO "taken_name"'/);
      assert.deepEqual(await psqlRows(engine(), t, "SELECT count(*) FROM pg_database WHERE datname IN ('checked_clone', 'taken_name')"), [['2']]);
      await psqlRows(engine(), t, ['DROP DATABASE checked_clone', 'DROP DATABASE taken_name'], { database: 'postgres' });
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
      fs.rmSync(home, { recursive: true, force: true });
    }
  });

  test('scrubbed ahead, as a reproduction does while its stack starts: the clone restores the cache file, the same snapshot as a streamed clone; a value PostgreSQL refuses leaves nothing cached', async () => {
    const dir = tempDir('repro-ahead-');
    const home = tempDir('repro-ahead-home-');
    const streamedHome = tempDir('repro-ahead-streamed-');
    const rules = () => structuredClone(sampleManifest().services!.db!.data!.tables!);
    try {
      const full = fs.readFileSync(path.join(SAMPLE, 'data/production.sql'), 'utf8');
      fs.writeFileSync(path.join(dir, 'prod.sql'), full);
      const firstRow = full.indexOf('\n', full.indexOf('COPY public.customers')) + 1;
      fs.writeFileSync(path.join(dir, 'twice.sql'), full.slice(0, firstRow) + full.slice(firstRow, full.indexOf('\n', firstRow) + 1) + full.slice(firstRow));
      /** The gate on the file, then its scrub ahead: what the reproduction hands the clone. */
      const ahead = async (file: string) => {
        const manifest = dbOnly({ source: { dump: file }, tables: rules() });
        const covered = await gateWorkspace(dir, manifest);
        const a = await startScrubAhead(engine(), { manifest, service: 'db', root: dir, home, key: KEY, covered });
        assert.ok(a, `${file} was not scrubbed ahead`);
        return { manifest, service: 'db', stack, root: dir, home, key: KEY, replace: true, covered, ahead: a, keepPhysical: false };
      };
      const cacheFiles = () => (fs.existsSync(path.join(home, 'data')) ? fs.readdirSync(path.join(home, 'data')) : []);

      // A row twice: refused when the primary key is added, after every row was restored.
      const refused = await cloneServiceData(engine(), await ahead('twice.sql')).then(() => assert.fail('a dump with a duplicate key was cloned'), (e: Error) => e);
      assert.match(refused.message, /23505/);
      assert.deepEqual(cacheFiles(), [], 'a refused clone left its scrubbed SQL in the cache');

      const steps: string[] = [];
      const good = await ahead('prod.sql');
      const r = await cloneServiceData(engine(), { ...good, onStep: (m) => steps.push(m) });
      assert.deepEqual(r.verified.problems, []);
      assert.ok(steps.includes('restoring the dump prod.sql, scrubbed ahead since the session\'s start'), steps.join('; '));
      assert.ok(!steps.some((x) => /checking that the rules cover/.test(x)), 'the clone read the dump again for the gate');
      assert.ok(lookupCache(home, good.ahead.key), 'the clone did not commit the entry scrubbed ahead');
      assert.deepEqual(cacheFiles().filter((n) => n.endsWith('.tmp')), []);
      const aheadContents = await contents(stack);
      // The same file and rules streamed (nothing scrubbed ahead, another cache): the same clone.
      const streamed = await cloneServiceData(engine(), { ...good, ahead: undefined, home: streamedHome });
      assert.equal(streamed.snapshot, r.snapshot, 'scrubbed ahead and streamed, the scrubbed SQL differs');
      assert.deepEqual(await contents(stack), aheadContents);
    } finally {
      for (const d of [dir, home, streamedHome]) fs.rmSync(d, { recursive: true, force: true });
    }
  });
});
