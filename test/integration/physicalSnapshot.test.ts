// Physical snapshots on a real engine: after a verified clone of the sample's dump the clone's
// data folder is kept (pg_basebackup, gzip); a later session of the same data, rules, image and
// settings gets it in its data volume before PostgreSQL first starts (no initdb, no restore).
// What a user checks: the second session's PostgreSQL never ran initdb, holds every row of the
// clone and none of production's personal values; a changed rule or another image does not get
// it (the SQL snapshot or the source serves instead, and a log line says why); a truncated or
// damaged snapshot is found, removed, said so in one line, and leaves the volume empty, so
// PostgreSQL initialises as usual and the clone comes from SQL. The engine's copy of a snapshot
// (a volume, made in the background) serves the next session volume to volume and outlives the
// session; without it the file serves and the copy is made again; an incomplete copy, or one
// whose file is gone, is removed. Sessions (db only) are removed after each test, with a derived
// image and the engine copies this file makes; nothing else on the engine is touched.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import type Docker from 'dockerode';
import { cloneServiceData, type CloneResult } from '../../extension/core/data/clone';
import { COPY_ROLE, engineCopiesSettled, engineCopyName, MAX_COPIES, removeEngineCopies } from '../../extension/core/data/engineCopy';
import { JOB_ROLE } from '../../extension/core/data/engineJobs';
import { pgTarget, psqlRows } from '../../extension/core/data/pg';
import { lookupPhysical, type PhysicalMeta } from '../../extension/core/data/physicalSnapshot';
import { deriveKey } from '../../extension/core/data/rules';
import { seedFromPhysical } from '../../extension/core/data/seedVolume';
import type { Manifest } from '../../extension/core/manifest/schema';
import { connectEngine, selfHealthCheck as selfCheckOf } from '../../extension/core/stack/engineConnection';
import { LABEL } from '../../extension/core/stack/labels';
import { planSession } from '../../extension/core/stack/plan';
import { removeSession } from '../../extension/core/stack/teardown';
import { up, type RunningStack } from '../../extension/core/stack/up';
import { tempDir } from '../unit/helpers';
import { SAMPLE, sampleManifest } from './sampleManifest';

const RUN = `phs${Date.now().toString(36)}`;
const HOME = tempDir('repro-physical-home-');
const KEY = deriveKey('the physical snapshot test\'s secret');
const DERIVED = `repro-test-${RUN}/postgres:15`;
let docker: Docker;
let selfHealthCheck = false;
const sessions = new Set<string>();

/** The sample's db service alone. */
const dbOnly = (edit?: (m: Manifest) => void): Manifest => sampleManifest((m) => {
  m.apps = {};
  m.services = { db: m.services!.db! };
  edit?.(m);
});

interface Started { stack: RunningStack; seeded?: PhysicalMeta; log: string[] }

/** A db-only session, its data volume seeded (or not) before PostgreSQL starts, as a reproduction does. */
async function startDb(what: string, manifest: Manifest, image?: string, cacheBytes?: number): Promise<Started> {
  const session = `${RUN}-${what}`;
  sessions.add(session);
  const plan = planSession(manifest, { session, sourceDir: SAMPLE, gatewayImage: 'busybox:latest' });
  if (image) for (const c of plan.containers) if (c.entry === 'db') c.image = image;
  const log: string[] = [];
  let seeded: PhysicalMeta | undefined;
  const stack = await up(docker, plan, {
    selfHealthCheck,
    beforeStart: async (c, id) => {
      if (c.entry !== 'db') return;
      seeded = await seedFromPhysical(docker, {
        manifest, service: 'db', containerId: id, root: SAMPLE, home: HOME, key: KEY, log: (m) => log.push(m), ...(cacheBytes !== undefined ? { cacheBytes } : {}),
      });
    },
  });
  return { stack, log, ...(seeded ? { seeded } : {}) };
}

async function clone(s: Started, manifest: Manifest): Promise<{ result: CloneResult; steps: string[] }> {
  const steps: string[] = [];
  const result = await cloneServiceData(docker, {
    manifest, service: 'db', stack: s.stack, root: SAMPLE, home: HOME, key: KEY, replace: true,
    onStep: (m) => steps.push(m), ...(s.seeded ? { seeded: s.seeded } : {}),
  });
  return { result, steps };
}

const dbId = (s: Started): string => s.stack.containers.find((c) => c.entry === 'db' && c.role === 'service')!.id;

/** Whether the service's PostgreSQL ran initdb (its log says whose files it created). */
async function ranInitdb(s: Started): Promise<boolean> {
  const logs = (await docker.getContainer(dbId(s)).logs({ stdout: true, stderr: true })).toString('utf8');
  return /The files belonging to this database system will be owned by user/.test(logs);
}

/** Rows per table, and the customers' e-mails, in the clone. */
async function contents(s: Started): Promise<{ counts: string; emails: string[] }> {
  const t = await pgTarget(docker, dbId(s));
  const counts = (await psqlRows(docker, t, `SELECT (SELECT count(*) FROM customers), (SELECT count(*) FROM orders), (SELECT count(*) FROM order_items)`))[0]!.join(',');
  const emails = (await psqlRows(docker, t, 'SELECT email FROM customers ORDER BY id')).map((r) => r[0]!);
  return { counts, emails };
}

async function end(s: Started): Promise<void> {
  await removeSession(docker, s.stack.session, { graceSeconds: 0 });
  sessions.delete(s.stack.session);
}

/** The labels of the engine's copy of the physical snapshot `key`, if the engine holds one. */
const copyLabels = async (key: string): Promise<Record<string, string> | undefined> =>
  docker.getVolume(engineCopyName(key)).inspect().then((v) => v.Labels ?? {}, () => undefined);

const physicalFiles = (): string[] => (fs.existsSync(path.join(HOME, 'data')) ? fs.readdirSync(path.join(HOME, 'data')) : []).filter((f) => f.endsWith('.pg.tar.gz'));

before(async () => {
  const conn = await connectEngine({});
  docker = conn.docker;
  selfHealthCheck = selfCheckOf(conn);
  await docker.getImage('postgres:15').inspect().catch(() => {
    throw new Error('image postgres:15 is missing on the engine: run "bash scripts/provision/images.sh"');
  });
});

after(async () => {
  for (const s of sessions) await removeSession(docker, s, { graceSeconds: 0 }).catch(() => undefined);
  await docker.getImage(DERIVED).remove({ force: true }).catch(() => undefined);
  await removeEngineCopies(docker, HOME).catch(() => undefined);
  fs.rmSync(HOME, { recursive: true, force: true });
});

describe('physical snapshots', () => {
  let cold: { counts: string; emails: string[]; snapshot: string };
  /** The sample's physical snapshot under its own rules and postgres:15. */
  let kept = '';
  const keptFile = () => path.join(HOME, 'data', `${kept}.pg.tar.gz`);

  test('a cold clone keeps one; the next session starts PostgreSQL on it, with every row and no initdb', async () => {
    const m = dbOnly();
    const first = await startDb('cold', m);
    assert.equal(first.seeded, undefined);
    assert.match(first.log.join('\n'), /no physical snapshot of this data for image [0-9a-f]{12}/);
    const c = await clone(first, m);
    assert.equal(c.result.cached, false);
    assert.ok(c.result.timings.some((t) => /keeping a physical snapshot/.test(t.step)), c.steps.join('; '));
    assert.equal(physicalFiles().length, 1, 'one physical snapshot kept');
    assert.ok(await ranInitdb(first), 'a fresh session initialises PostgreSQL');
    cold = { ...await contents(first), snapshot: c.result.snapshot };
    await end(first);
    // The engine's copy is made in the background; here the file is what serves.
    await removeEngineCopies(docker, HOME);

    const second = await startDb('warm', m);
    assert.ok(second.seeded, `not seeded: ${second.log.join('; ')}`);
    kept = second.seeded.key;
    assert.match(second.log.join('\n'), /data folder from the physical snapshot [0-9a-f]{12} \(\d+\.\d MB, PostgreSQL 15/);
    assert.equal(await ranInitdb(second), false, 'PostgreSQL ran initdb on a seeded volume');
    const w = await clone(second, m);
    assert.equal(w.result.from, 'physical');
    assert.equal(w.result.snapshot, cold.snapshot, 'the receipt names the same scrubbed snapshot');
    assert.ok(!w.steps.some((s) => /scrubbing|restoring|keeping/.test(s)), `the data was restored again: ${w.steps.join('; ')}`);
    assert.ok(w.result.verified.counts.length >= 3 && w.result.verified.counts.every((x) => x.actual === x.expected));
    assert.deepEqual(await contents(second), { counts: cold.counts, emails: cold.emails });
    // The scrubbed e-mails, not production's.
    const dump = fs.readFileSync(path.join(SAMPLE, 'data/production.sql'), 'utf8');
    assert.ok(cold.emails.length > 10 && cold.emails.every((e) => !dump.includes(`\t${e}\t`)), 'an original e-mail is in the clone');
    await end(second);
  });

  test('the engine gets a copy of it: the next session copies the folder volume to volume, and the copy outlives that session', async () => {
    await engineCopiesSettled(); // the copy the last session's seeding started
    const labels = await copyLabels(kept);
    const meta = lookupPhysical(HOME, kept)!.meta;
    assert.equal(labels?.[LABEL.role], COPY_ROLE, 'the engine holds no copy of the snapshot');
    assert.equal(labels?.['dev.repro.copy.sha256'], meta.sha256, 'the copy names another file');
    assert.equal(labels?.[LABEL.session], undefined, 'a copy belongs to no session');
    // What the copy takes on the engine, measured as it was made: more than the gzip file.
    assert.ok(meta.unpackedBytes !== undefined && meta.unpackedBytes > meta.bytes && meta.unpackedBytes < 100 * meta.bytes, `unpacked size recorded: ${meta.unpackedBytes}`);

    const m = dbOnly();
    const s = await startDb('copy', m);
    assert.equal(s.seeded?.key, kept, `not seeded: ${s.log.join('; ')}`);
    assert.match(s.log.join('\n'), /data folder from the engine's copy of the physical snapshot [0-9a-f]{12} \(PostgreSQL 15, .*copied in \d+\.\d\d s\)/);
    assert.equal(await ranInitdb(s), false, 'PostgreSQL ran initdb on a copied volume');
    const w = await clone(s, m);
    assert.equal(w.result.from, 'physical');
    assert.equal(w.result.snapshot, cold.snapshot);
    assert.deepEqual(await contents(s), { counts: cold.counts, emails: cold.emails });
    // The copy's own mark stays in the copy, not in the session's data folder.
    const t = await pgTarget(docker, dbId(s));
    assert.deepEqual(await psqlRows(docker, t, "SELECT count(*) FROM pg_ls_dir('.') AS f WHERE f = '.repro-complete'"), [['0']]);
    await end(s);
    assert.ok(await copyLabels(kept), 'the session\'s teardown removed the engine\'s copy');
  });

  test('an incomplete copy (a fill that stopped) is removed and the file serves; the copies of a pruned snapshot, of a deleted REPRO_HOME and past the three most recently used go at the next fill', async () => {
    const labels = (await copyLabels(kept))!;
    await removeEngineCopies(docker, HOME);
    // The same labels, no completion mark: what a fill stopped half way leaves.
    await docker.createVolume({ Name: engineCopyName(kept), Labels: labels });
    // A copy of this REPRO_HOME whose snapshot file is gone.
    const gone = 'f'.repeat(64);
    await docker.createVolume({ Name: engineCopyName(gone), Labels: { ...labels, 'dev.repro.copy.key': gone } });
    // A copy made from a REPRO_HOME of this host that was since deleted.
    const orphan = 'e'.repeat(64);
    await docker.createVolume({ Name: engineCopyName(orphan), Labels: { ...labels, 'dev.repro.copy.key': orphan, 'dev.repro.copy.home': `${os.hostname()}:${HOME}-deleted` } });
    // Copies of three other snapshots of this REPRO_HOME (their files there, used a day apart):
    // with the one being made, the least recently used one is past MAX_COPIES.
    const others = ['a', 'b', 'c'].map((x) => x.repeat(64));
    const realMeta = JSON.parse(fs.readFileSync(path.join(HOME, 'data', `${kept}.pg.json`), 'utf8')) as PhysicalMeta;
    for (const [i, k] of others.entries()) {
      const tar = path.join(HOME, 'data', `${k}.pg.tar.gz`);
      const meta = path.join(HOME, 'data', `${k}.pg.json`);
      fs.copyFileSync(keptFile(), tar);
      fs.writeFileSync(meta, JSON.stringify({ ...realMeta, key: k }));
      const used = new Date(Date.now() - (3 - i) * 86400e3);
      for (const f of [tar, meta]) fs.utimesSync(f, used, used);
      await docker.createVolume({ Name: engineCopyName(k), Labels: { ...labels, 'dev.repro.copy.key': k } });
    }
    assert.equal(MAX_COPIES, 3);

    const m = dbOnly();
    const s = await startDb('incomplete', m);
    assert.equal(s.seeded?.key, kept, `not seeded: ${s.log.join('; ')}`);
    assert.match(s.log.join('\n'), /the engine's copy was incomplete: it was removed; the data folder comes from the file/);
    assert.match(s.log.join('\n'), /data folder from the physical snapshot [0-9a-f]{12} \(\d+\.\d MB/);
    assert.deepEqual(await contents(s), { counts: cold.counts, emails: cold.emails });
    await end(s);
    await engineCopiesSettled();
    assert.equal((await copyLabels(kept))?.['dev.repro.copy.sha256'], labels['dev.repro.copy.sha256'], 'the copy was not made again');
    assert.equal(await copyLabels(gone), undefined, 'the copy of a snapshot that is gone was kept');
    assert.equal(await copyLabels(orphan), undefined, 'the copy of a deleted REPRO_HOME was kept');
    assert.equal(await copyLabels(others[0]!), undefined, 'the least recently used copy was kept past MAX_COPIES');
    assert.ok(await copyLabels(others[1]!) && await copyLabels(others[2]!), 'a recently used copy was removed');
    for (const k of others) for (const ext of ['pg.tar.gz', 'pg.json']) fs.rmSync(path.join(HOME, 'data', `${k}.${ext}`));
  });

  test('a data cache size smaller than the data folder: no engine copy is kept, the log says why, the file serves', async () => {
    await removeEngineCopies(docker, HOME);
    const metaFile = path.join(HOME, 'data', `${kept}.pg.json`);
    const { unpackedBytes: unpacked, ...unmeasured } = JSON.parse(fs.readFileSync(metaFile, 'utf8')) as PhysicalMeta;
    assert.ok(unpacked, 'the first copy measured nothing');
    // Not measured yet (a snapshot no engine has copied): the copy is made, measured, and removed.
    fs.writeFileSync(metaFile, JSON.stringify(unmeasured));
    assert.equal(lookupPhysical(HOME, kept, { touch: false })!.meta.unpackedBytes, undefined);
    const m = dbOnly();
    const small = 1024 ** 2;
    const first = await startDb('small1', m, undefined, small);
    assert.equal(first.seeded?.key, kept, `not seeded: ${first.log.join('; ')}`);
    await engineCopiesSettled();
    const why = /no engine copy of the physical snapshot [0-9a-f]{12} is kept: its data folder takes \d+\.\d MB unpacked, more than the data cache's size \(1\.0 MB; the repro\.data\.cacheSize setting, REPRO_DATA_CACHE_SIZE for the command line\)/;
    assert.match(first.log.join('\n'), why);
    assert.equal(await copyLabels(kept), undefined, 'a copy larger than the cache size was kept');
    const measured = lookupPhysical(HOME, kept, { touch: false })!.meta.unpackedBytes;
    assert.ok(measured !== undefined && Math.abs(measured - unpacked) < unpacked / 10, `measured again: ${measured} against ${unpacked}`);
    assert.deepEqual(await contents(first), { counts: cold.counts, emails: cold.emails }, 'the file served');
    await end(first);
    // Measured now: no copy is even started.
    const second = await startDb('small2', m, undefined, small);
    await engineCopiesSettled();
    assert.match(second.log.join('\n'), why);
    assert.equal(await copyLabels(kept), undefined);
    await end(second);

    // Room for this copy and one more: of two older copies of the same size, the least recently
    // used goes, though three copies would be allowed by their number.
    const labels = { [LABEL.role]: COPY_ROLE, 'dev.repro.copy.sha256': 'x', 'dev.repro.copy.home': `${os.hostname()}:${HOME}` };
    const older = ['a', 'b'].map((x) => x.repeat(64));
    for (const [i, k] of older.entries()) {
      const tar = path.join(HOME, 'data', `${k}.pg.tar.gz`);
      const meta = path.join(HOME, 'data', `${k}.pg.json`);
      fs.copyFileSync(keptFile(), tar);
      fs.writeFileSync(meta, JSON.stringify({ ...unmeasured, key: k, unpackedBytes: unpacked }));
      const used = new Date(Date.now() - (2 - i) * 86400e3);
      for (const f of [tar, meta]) fs.utimesSync(f, used, used);
      await docker.createVolume({ Name: engineCopyName(k), Labels: { ...labels, 'dev.repro.copy.key': k } });
    }
    const third = await startDb('room', m, undefined, Math.floor(2.5 * unpacked));
    await engineCopiesSettled();
    assert.match(third.log.join('\n'), /the engine now holds a copy of the physical snapshot/);
    assert.ok(await copyLabels(kept), 'no copy was made');
    assert.equal(await copyLabels(older[0]!), undefined, 'the least recently used copy was kept past the cache size');
    assert.ok(await copyLabels(older[1]!), 'a copy that fits was removed');
    await end(third);
    for (const k of older) for (const ext of ['pg.tar.gz', 'pg.json']) fs.rmSync(path.join(HOME, 'data', `${k}.${ext}`));
    await removeEngineCopies(docker, HOME);
  });

  test('a changed rule does not get it: the source is scrubbed again under the new rules', async () => {
    const m = dbOnly((x) => { x.services!.db!.data!.tables!.orders = { columns: { shipping_address: 'hash' } }; });
    const s = await startDb('rules', m);
    assert.equal(s.seeded, undefined);
    assert.match(s.log.join('\n'), /no physical snapshot of this data/);
    assert.ok(await ranInitdb(s));
    const c = await clone(s, m);
    assert.equal(c.result.cached, false, 'a rule change must miss every cache');
    assert.notEqual(c.result.rules, undefined);
    await end(s);
  });

  test('another image (here: the same PostgreSQL, another image id) falls back to the SQL snapshot, and says so', async () => {
    // A derived image: same layers, one more label, so another id.
    const tmp = await docker.createContainer({ Image: 'postgres:15', name: `${RUN}-derive`, Labels: { [LABEL.session]: `${RUN}-derive` } });
    try {
      await tmp.commit({ repo: DERIVED.split(':')[0], tag: '15', changes: [`LABEL dev.repro.test=${RUN}`] });
    } finally {
      await tmp.remove({ force: true, v: true });
    }
    const m = dbOnly();
    const s = await startDb('image', m, DERIVED);
    assert.equal(s.seeded, undefined);
    assert.match(s.log.join('\n'), /no physical snapshot of this data for image [0-9a-f]{12}: PostgreSQL initialises and the data comes from SQL/);
    const c = await clone(s, m);
    assert.equal(c.result.from, 'sql');
    assert.ok(c.steps.includes('restoring the cached SQL snapshot'), c.steps.join('; '));
    assert.deepEqual(await contents(s), { counts: cold.counts, emails: cold.emails });
    await end(s);
  });

  test('a truncated snapshot is found before anything is written, removed, and the clone comes from SQL', async () => {
    await removeEngineCopies(docker, HOME); // an engine without the copy: the file serves
    const full = keptFile();
    assert.ok(fs.existsSync(full), 'no physical snapshot to truncate');
    fs.truncateSync(full, Math.floor(fs.statSync(full).size / 2));
    const m = dbOnly();
    const s = await startDb('truncated', m);
    assert.equal(s.seeded, undefined);
    assert.match(s.log.join('\n'), /the physical snapshot [0-9a-f]{12} is damaged \(its file has \d+ bytes, \d+ were written\): it was removed, and the data comes from SQL/);
    assert.equal(fs.existsSync(full), false, 'the damaged snapshot was not removed');
    assert.ok(await ranInitdb(s), 'the volume was not left empty');
    const c = await clone(s, m);
    assert.equal(c.result.from, 'sql');
    assert.deepEqual(await contents(s), { counts: cold.counts, emails: cold.emails });
    assert.ok(fs.existsSync(full), 'the clone from SQL keeps a new physical snapshot');
    await end(s);
  });

  test('a snapshot damaged inside (its sha256 rewritten to match) fails while extracting: the volume is emptied again, PostgreSQL initialises, the clone comes from SQL', async () => {
    await removeEngineCopies(docker, HOME); // an engine without the copy: the file serves
    const full = keptFile();
    assert.ok(fs.existsSync(full), 'no physical snapshot to damage');
    const bytes = fs.readFileSync(full);
    // Garbage over the middle of the compressed data: files before it are already extracted.
    for (let i = Math.floor(bytes.length / 2); i < Math.floor(bytes.length / 2) + 4096 && i < bytes.length - 8; i++) bytes[i] = (i * 7919) & 0xff;
    fs.writeFileSync(full, bytes);
    const key = kept;
    const metaFile = path.join(HOME, 'data', `${key}.pg.json`);
    const meta = JSON.parse(fs.readFileSync(metaFile, 'utf8')) as PhysicalMeta;
    fs.writeFileSync(metaFile, JSON.stringify({ ...meta, sha256: createHash('sha256').update(bytes).digest('hex') }));
    assert.ok(lookupPhysical(HOME, key), 'the altered entry looks intact from outside');

    const m = dbOnly();
    const s = await startDb('damaged', m);
    assert.equal(s.seeded, undefined);
    assert.match(s.log.join('\n'), /the physical snapshot [0-9a-f]{12} could not be extracted \(.+\): it was removed, the data volume emptied again, and the data comes from SQL/);
    assert.ok(await ranInitdb(s), 'PostgreSQL did not initialise: the volume was left half filled');
    const c = await clone(s, m);
    assert.equal(c.result.from, 'sql');
    assert.deepEqual(await contents(s), { counts: cold.counts, emails: cold.emails });
    // The throwaway container that emptied the volume is gone.
    const jobs = await docker.listContainers({ all: true, filters: { label: [`${LABEL.session}=${s.stack.session}`, `${LABEL.role}=${JOB_ROLE}`] } });
    assert.deepEqual(jobs, []);
    await end(s);
  });
});
