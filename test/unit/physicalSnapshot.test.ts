// Physical snapshots without an engine: what their key depends on, how a damaged file is found,
// and that pruning treats them as cache entries. Also the restore's statement index on every
// chunking (its data lines take a fast path) and what it says about triggers turned off.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { after, test } from 'node:test';
import { cacheKey, CACHE_FORMAT, openCacheWriter, pruneCache, serialSummary } from '../../extension/core/data/cache';
import { fingerprint } from '../../extension/core/data/keyed';
import { checkPhysical, lookupPhysical, physicalKey, settingsOf, type PhysicalMeta } from '../../extension/core/data/physicalSnapshot';
import { StatementIndex } from '../../extension/core/data/restore';
import { deriveKey } from '../../extension/core/data/rules';
import { tempDir as newTempDir } from './helpers';

const made: string[] = [];
const tempDir = (prefix: string): string => { const d = newTempDir(prefix); made.push(d); return d; };
after(() => { for (const d of made) fs.rmSync(d, { recursive: true, force: true }); });

const parts = { source: 'dump:abc', plan: 'rules-1', image: 'sha256:1111', settings: ['POSTGRES_USER=main', 'POSTGRES_DB=main'] };

test('a physical snapshot is keyed by source, rules, image and settings', () => {
  const key = physicalKey(parts);
  assert.match(key, /^[0-9a-f]{64}$/);
  assert.notEqual(physicalKey({ ...parts, plan: 'rules-2' }), key, 'a rule change misses');
  assert.notEqual(physicalKey({ ...parts, image: 'sha256:2222' }), key, 'another image (another PostgreSQL build or major) misses');
  assert.notEqual(physicalKey({ ...parts, source: 'dump:abd' }), key);
  assert.notEqual(physicalKey({ ...parts, settings: ['POSTGRES_USER=app', 'POSTGRES_DB=main'] }), key);
  assert.equal(physicalKey({ ...parts, settings: [...parts.settings].reverse() }), key, 'the order of the environment does not matter');
  assert.notEqual(key, cacheKey({ source: parts.source, plan: parts.plan, pgMajor: 15 }), 'never the SQL entry\'s key');
  assert.deepEqual(settingsOf(['PATH=/usr/bin', 'POSTGRES_PASSWORD=main', 'PGDATA=/var/lib/postgresql/data', 'LANG=C.UTF-8', 'PG_MAJOR=15']),
    ['POSTGRES_PASSWORD=main', 'PGDATA=/var/lib/postgresql/data']);
});

/** A physical entry as writePhysical leaves it (the archive's bytes are given). */
function writeEntry(home: string, key: string, bytes: Buffer): void {
  const dir = path.join(home, 'data');
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, `${key}.pg.tar.gz`), bytes);
  const meta: PhysicalMeta = {
    format: CACHE_FORMAT, kind: 'physical', key, createdAt: new Date().toISOString(), sha256: createHash('sha256').update(bytes).digest('hex'),
    bytes: bytes.length, image: parts.image, pgMajor: 15, snapshot: 'f'.repeat(64), rules: 'rules-1', counts: [['public.t', 2]],
    foreignKeys: { checked: 0, violations: [] }, fingerprints: { columns: 0, values: 0, leaks: [], skipped: [], short: 0 },
  };
  fs.writeFileSync(path.join(dir, `${key}.pg.json`), JSON.stringify(meta));
}

test('a truncated or altered physical snapshot is found by its size and sha256; one of another format is no entry', async () => {
  const home = tempDir('repro-physical-');
  const key = physicalKey(parts);
  assert.equal(lookupPhysical(home, key), undefined);
  writeEntry(home, key, Buffer.alloc(50_000, 7));
  const entry = lookupPhysical(home, key)!;
  assert.ok(entry);
  assert.equal(await checkPhysical(entry), undefined);
  const file = path.join(home, 'data', `${key}.pg.tar.gz`);
  fs.truncateSync(file, 20_000);
  assert.equal(await checkPhysical(entry), 'its file has 20000 bytes, 50000 were written');
  fs.writeFileSync(file, Buffer.alloc(50_000, 8));
  assert.equal(await checkPhysical(entry), 'its sha256 is not the one written');
  entry.remove();
  assert.deepEqual(fs.readdirSync(path.join(home, 'data')), []);

  writeEntry(home, key, Buffer.alloc(10, 1));
  const metaFile = path.join(home, 'data', `${key}.pg.json`);
  fs.writeFileSync(metaFile, JSON.stringify({ ...JSON.parse(fs.readFileSync(metaFile, 'utf8')), format: CACHE_FORMAT - 1 }));
  assert.equal(lookupPhysical(home, key), undefined, 'an older format misses');
});

test('pruning counts physical snapshots as entries: least recently used first, the ones just written kept', async () => {
  const home = tempDir('repro-physical-prune-');
  const dir = path.join(home, 'data');
  const keys = [1, 2, 3].map((i) => physicalKey({ ...parts, source: `dump:${i}` }));
  keys.forEach((k, i) => {
    writeEntry(home, k, Buffer.alloc(20_000, i));
    const t = new Date(Date.now() - (10 - i) * 60_000);
    for (const f of [`${k}.pg.tar.gz`, `${k}.pg.json`]) fs.utimesSync(path.join(dir, f), t, t);
  });
  const sql = cacheKey({ source: 'dump:9', plan: 'r', pgMajor: 15 });
  const w = openCacheWriter(home, sql);
  await pipeline(Readable.from([Buffer.from('SELECT 1;\n')]), w.stream);
  await w.commit({ snapshot: 'c'.repeat(64), rules: 'r', pgMajor: 15, summary: serialSummary({ tables: new Map(), fingerprints: new Map(), bytesIn: 0, bytesOut: 0 }), verified: { columns: 0, values: 0, leaks: [], skipped: [], short: 0 } });
  const removed = pruneCache(home, 1, [sql, keys[2]!]);
  assert.deepEqual(removed, [keys[0], keys[1]]);
  assert.ok(lookupPhysical(home, keys[2]!), 'a kept physical entry stays');
  assert.equal(lookupPhysical(home, keys[0]!), undefined);
  assert.deepEqual(fs.readdirSync(dir).filter((n) => n.startsWith(keys[0]!) || n.startsWith(keys[1]!)), [], 'both files of a pruned entry go');
});

test('the statement index finds the end of every COPY block on any chunking, and notices triggers turned off', async () => {
  const sql = [
    'SET statement_timeout = 0;',
    'CREATE TABLE public.t (a text);',
    'COPY public.t (a) FROM stdin;',
    'x', '\\\\.', 'ALTER TABLE x DISABLE TRIGGER ALL', 'y',
    '\\.',
    'COPY public.u (a) FROM stdin;',
    'z\r',
    '\\.\r',
    'CREATE INDEX i ON public.t (a);',
  ].join('\n') + '\n';
  for (const size of [1, 2, 3, 7, 64, sql.length]) {
    const idx = new StatementIndex();
    const chunks: Buffer[] = [];
    for (let i = 0; i < sql.length; i += size) chunks.push(Buffer.from(sql.slice(i, i + size)));
    await pipeline(Readable.from(chunks), idx, async function* (src) { for await (const _ of src) yield; });
    assert.equal(idx.lines, 12, `chunks of ${size}`);
    assert.equal(idx.openCopy, undefined, `chunks of ${size}`);
    assert.equal(idx.statementAt(7), 'COPY public.t', `a data line that looks like a statement (chunks of ${size})`);
    assert.equal(idx.statementAt(10), 'COPY public.u');
    assert.equal(idx.statementAt(12), 'CREATE INDEX i');
    assert.equal(idx.triggersOff, false, `text inside data is not a statement (chunks of ${size})`);
  }
  const off = new StatementIndex();
  await pipeline(Readable.from([Buffer.from('SET session_replication_role = replica;\nCOPY public.t (a) FROM stdin;\n1\n\\.\n')]), off, async function* (src) { for await (const _ of src) yield; });
  assert.equal(off.triggersOff, true);
});

test('fingerprints are keyed: the same value under another key, or another value, has another one', () => {
  const a = deriveKey('one');
  const b = deriveKey('two');
  assert.match(fingerprint(a, 'ada@example.com'), /^[0-9a-f]{64}$/);
  assert.equal(fingerprint(a, 'ada@example.com'), fingerprint(Buffer.from(a), 'ada@example.com'), 'a function of the key\'s bytes');
  assert.notEqual(fingerprint(a, 'ada@example.com'), fingerprint(b, 'ada@example.com'));
  assert.notEqual(fingerprint(a, 'ada@example.com'), fingerprint(a, 'ada@example.co'));
  assert.notEqual(fingerprint(a, 'ada@example.com'), createHash('sha256').update('ada@example.com').digest('hex'), 'not a plain hash');
});
