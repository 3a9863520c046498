// The engine side of the data clone, the parts that need no engine: where conditions, connection
// strings, paths inside the repository, the snapshot cache, the statement index psql errors are
// reported by, the stream demultiplexer and the tar writer.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { test } from 'node:test';
import { cacheKey, CACHE_FORMAT, lookupCache, openCacheWriter, pruneCache, serialSummary, summaryOf } from '../../extension/core/data/cache';
import { DataSourceError, dumpFormat, fileSha256, readHashed, resolveInside } from '../../extension/core/data/dumpSource';
import { connectionString, liveIdentity, parseConnection } from '../../extension/core/data/liveSource';
import { StatementIndex } from '../../extension/core/data/restore';
import { Demux, gated, tarStream, Tail } from '../../extension/core/data/streams';
import { checkCondition, SubsetError } from '../../extension/core/data/subset';
import { tempDir } from './helpers';

const NO_CHECK = { columns: 0, values: 0, leaks: [], skipped: [], short: 0 };

test('a where condition must be one expression: ";" only inside quotes, no comments or backslash commands', () => {
  for (const ok of [
    'id <= 20',
    "status = 'paid;unpaid'",
    "note = E'it''s \\' ; fine'",
    '"weird;name" > 3',
    "body LIKE $$a;b$$ AND x = $tag$;$tag$",
    'customer_id IN (SELECT id FROM customers WHERE created_at > now() - interval \'30 days\')',
  ]) assert.doesNotThrow(() => checkCondition('public.t', ok), ok);
  for (const [bad, why] of [
    ['id < 3; DROP TABLE customers', /contains ";"/],
    ["status = 'open", /quote is not closed/],
    ['id < 3 -- comment', /comment/],
    ['id < 3 /* x */', /comment/],
    ['id < 3 \\! rm -rf /', /backslash/],
    ['(id < 3', /"\(" is not closed/],
    ['id < 3)', /"\)" has no "\("/],
    ['  ', /empty/],
    ['x = $a$;', /dollar-quoted string is not closed/],
  ] as const) {
    assert.throws(() => checkCondition('public.t', bad), (e: Error) => e instanceof SubsetError && why.test(e.message) && /public\.t/.test(e.message), bad);
  }
});

test('connection strings: URLs and key=value pairs, the password kept apart, errors naming the variable only', () => {
  const u = parseConnection('postgresql://shop:s3cr%40t@db.example.com:6543/shop_prod?sslmode=require&connect_timeout=5', 'PROD_URL');
  assert.deepEqual(u, { host: 'db.example.com', port: 6543, database: 'shop_prod', user: 'shop', password: 's3cr@t', env: { PGSSLMODE: 'require', PGCONNECT_TIMEOUT: '5' } });
  assert.equal(liveIdentity(u), 'postgresql://db.example.com:6543/shop_prod');
  const kv = parseConnection("host=10.0.0.5 port=5433 dbname=shop user=ro password='a b\\'c' sslmode=disable", 'PROD_URL');
  assert.deepEqual(kv, { host: '10.0.0.5', port: 5433, database: 'shop', user: 'ro', password: "a b'c", env: { PGSSLMODE: 'disable' } });
  assert.equal(parseConnection('postgres://ro@[::1]/x', 'V').host, '::1');
  for (const bad of ['postgresql://u:hunter22@h/db?sslrootcert=/x', 'not a url at all', 'postgresql://:hunter22@/db']) {
    assert.throws(() => parseConnection(bad, 'PROD_URL'), (e: Error) => e instanceof DataSourceError && /PROD_URL/.test(e.message) && !e.message.includes('hunter22'), bad);
  }
  delete process.env.REPRO_UNIT_UNSET;
  assert.throws(() => connectionString('REPRO_UNIT_UNSET'), /REPRO_UNIT_UNSET, which is not set/);
  assert.equal(connectionString('X', (n) => (n === 'X' ? 'postgresql://h/d' : undefined)), 'postgresql://h/d');
});

test('a dump path stays inside the repository: no absolute path, no "..", no link leading out', () => {
  const root = tempDir('repro-root-');
  const outside = tempDir('repro-outside-');
  fs.mkdirSync(path.join(root, 'data'));
  fs.writeFileSync(path.join(root, 'data', 'dump.sql'), 'SELECT 1;\n');
  fs.writeFileSync(path.join(outside, 'secret.sql'), 'SELECT 2;\n');
  fs.symlinkSync(path.join(outside, 'secret.sql'), path.join(root, 'data', 'link.sql'));
  assert.equal(resolveInside(root, 'data/dump.sql'), fs.realpathSync(path.join(root, 'data', 'dump.sql')));
  assert.equal(resolveInside(root, './data/../data/dump.sql'), fs.realpathSync(path.join(root, 'data', 'dump.sql')));
  assert.throws(() => resolveInside(root, '../' + path.basename(outside) + '/secret.sql'), /leads outside the repository root/);
  assert.throws(() => resolveInside(root, path.join(outside, 'secret.sql')), /must be relative/);
  assert.throws(() => resolveInside(root, 'data/link.sql'), /link that leads outside/);
  assert.throws(() => resolveInside(root, 'data/missing.sql'), /does not exist/);
  assert.throws(() => resolveInside(root, 'data'), /not a file/);
  assert.equal(dumpFormat(path.join(root, 'data', 'dump.sql')), 'plain');
  fs.writeFileSync(path.join(root, 'c.dump'), Buffer.concat([Buffer.from('PGDMP'), Buffer.alloc(10)]));
  assert.equal(dumpFormat(path.join(root, 'c.dump')), 'custom');
});

test('a dump\'s sha256 is remembered while the file is the same, and taken again once it changed, even at the same size', async () => {
  const dir = tempDir('repro-sha-');
  const file = path.join(dir, 'dump.sql');
  const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');
  fs.writeFileSync(file, 'SELECT 1;\n');
  assert.equal(await fileSha256(file), sha(Buffer.from('SELECT 1;\n')));
  assert.equal(await fileSha256(file), sha(Buffer.from('SELECT 1;\n')), 'the same file, the same answer');
  fs.writeFileSync(file, 'SELECT 2;\n'); // same size, new content
  assert.equal(await fileSha256(file), sha(Buffer.from('SELECT 2;\n')));
  fs.rmSync(file);
  fs.writeFileSync(file, 'SELECT 3;\n'); // another file at the same path
  assert.equal(await fileSha256(file), sha(Buffer.from('SELECT 3;\n')));
});

/** Bytes this process has read through read(2) and the like so far (Linux). */
const bytesRead = () => Number(/^rchar: (\d+)$/m.exec(fs.readFileSync('/proc/self/io', 'utf8'))![1]);

test('a reproduction reads its dump once for the gate, the seeding and the clone\'s identity, even just checked out', { skip: !fs.existsSync('/proc/self/io') }, async () => {
  const dir = tempDir('repro-sha-');
  const size = 16 * 1024 * 1024;
  const bytes = Buffer.alloc(size, 'INSERT INTO t VALUES (1);\n');
  const want = createHash('sha256').update(bytes).digest('hex');
  for (const [i, file] of [path.join(dir, 'a.sql'), path.join(dir, 'b.sql')].entries()) {
    fs.writeFileSync(file, bytes);
    await new Promise((r) => setTimeout(r, 150)); // a worktree checked out a moment ago
    const before = bytesRead();
    const drain = async (b: NodeJS.ReadableStream) => { for await (const _ of b); };
    // The gate's read with the seeding's digest asked for while it runs (b), or before (a).
    const [gate, seeding] = i === 0
      ? [await readHashed(file, drain), await fileSha256(file)]
      : await Promise.all([readHashed(file, drain), fileSha256(file)]);
    const clone = await fileSha256(file);
    assert.deepEqual([gate.sha, seeding, clone], [want, want, want]);
    const read = bytesRead() - before;
    assert.ok(read < size * 1.5, `${(read / size).toFixed(2)} times the file was read`);
  }
});

test('the cache: a key per source, rules and version; atomic entries; LRU pruning; a rule change misses', async () => {
  const home = tempDir('repro-cache-');
  const parts = { source: 'dump:abc', plan: 'rules-1', pgMajor: 15 };
  const key = cacheKey(parts);
  assert.match(key, /^[0-9a-f]{64}$/);
  assert.notEqual(cacheKey({ ...parts, plan: 'rules-2' }), key, 'a rule change changes the key');
  assert.notEqual(cacheKey({ ...parts, pgMajor: 16 }), key);
  assert.notEqual(cacheKey({ ...parts, source: 'dump:abd' }), key);
  assert.equal(lookupCache(home, key), undefined);

  const summary = { tables: new Map([['public.t', { rowsIn: 3, rowsOut: 2 }]]), fingerprints: new Map([['public.t.c', new Set(['aa', 'bb'])]]), bytesIn: 10, bytesOut: 9 };
  const w = openCacheWriter(home, key);
  await pipeline(Readable.from([Buffer.from('COPY public.t (c) FROM stdin;\n'), Buffer.from('x\n\\.\n')]), w.stream);
  assert.equal(lookupCache(home, key), undefined, 'no entry before commit');
  const meta = await w.commit({ snapshot: 'a'.repeat(64), rules: 'rules-1', pgMajor: 15, summary: serialSummary(summary), verified: NO_CHECK });
  assert.equal(meta.format, CACHE_FORMAT);
  const hit = lookupCache(home, key)!;
  assert.ok(hit);
  assert.deepEqual(summaryOf(hit.meta.summary), summary);
  let text = '';
  for await (const c of hit.open()) text += (c as Buffer).toString();
  assert.equal(text, 'COPY public.t (c) FROM stdin;\nx\n\\.\n');
  const dir = path.join(home, 'data');
  assert.equal((fs.statSync(path.join(dir, `${key}.sql`)).mode & 0o777), 0o600);
  assert.deepEqual(fs.readdirSync(dir).filter((n) => n.endsWith('.tmp')), []);

  // An entry cut short on disk (not the size written) is not served.
  fs.truncateSync(path.join(dir, `${key}.sql`), 10);
  assert.equal(lookupCache(home, key), undefined, 'a cut-off entry is a miss');
  fs.writeFileSync(path.join(dir, `${key}.sql`), 'COPY public.t (c) FROM stdin;\nx\n\\.\n');
  assert.ok(lookupCache(home, key));

  // An aborted writer leaves nothing.
  const other = cacheKey({ ...parts, plan: 'rules-2' });
  const a = openCacheWriter(home, other);
  a.stream.write('partial');
  a.abort();
  assert.equal(lookupCache(home, other), undefined);
  assert.deepEqual(fs.readdirSync(dir).filter((n) => n.endsWith('.tmp')), []);

  // Pruning: the least recently used entries go first, the one just written never.
  const keys = [1, 2, 3].map((i) => cacheKey({ ...parts, source: `dump:${i}` }));
  for (const [i, k] of keys.entries()) {
    const cw = openCacheWriter(home, k);
    await pipeline(Readable.from([Buffer.alloc(20000, i)]), cw.stream);
    await cw.commit({ snapshot: 'b'.repeat(64), rules: 'r', pgMajor: 15, summary: serialSummary(summary), verified: NO_CHECK });
    const t = new Date(Date.now() - (10 - i) * 60_000);
    fs.utimesSync(path.join(dir, `${k}.sql`), t, t);
    fs.utimesSync(path.join(dir, `${k}.json`), t, t);
  }
  lookupCache(home, keys[0]!); // used now: the most recent
  const removed = pruneCache(home, 1, keys[2]);
  assert.ok(!removed.includes(keys[2]!));
  assert.ok(lookupCache(home, keys[2]!), 'the kept entry stays');
  assert.equal(lookupCache(home, keys[1]!), undefined);
  assert.deepEqual(removed.slice(0, 2), [keys[1], key], 'least recently used first');
});

test('the statement index names the statement of a line by its identifiers, never by a value', async () => {
  const sql = [
    'SET client_encoding = \'UTF8\';', '', '--', '-- Name: customers', '--', '',
    'CREATE TABLE public.customers (', '    id integer', ');', '',
    'COPY public.customers (id, name) FROM stdin;',
    '1\tCREATE TABLE secretvalue',
    '2\tSELECT password',
    '\\.', '',
    "INSERT INTO public.notes VALUES (1, 'multi", 'CREATE TABLE hidden_in_a_string', "');",
    'ALTER TABLE ONLY public.customers', '    ADD CONSTRAINT customers_pkey PRIMARY KEY (id);',
  ].join('\n') + '\n';
  const idx = new StatementIndex();
  await pipeline(Readable.from([Buffer.from(sql.slice(0, 50)), Buffer.from(sql.slice(50, 51)), Buffer.from(sql.slice(51))]), idx, async function* (src) { for await (const _ of src) yield; });
  assert.equal(idx.statementAt(1), 'SET');
  assert.equal(idx.statementAt(8), 'CREATE TABLE public.customers');
  assert.equal(idx.statementAt(11), 'COPY public.customers');
  assert.equal(idx.statementAt(12), 'COPY public.customers');
  assert.equal(idx.statementAt(14), 'COPY public.customers');
  assert.equal(idx.statementAt(17), 'INSERT INTO public.notes', 'a line of a string value is not a statement');
  assert.equal(idx.statementAt(19), 'ALTER TABLE ONLY public.customers');
  assert.equal(idx.lines, 20);
  assert.equal(idx.openCopy, undefined);
  const cut = new StatementIndex();
  await pipeline(Readable.from([Buffer.from('COPY public.t (a) FROM stdin;\n1\n2')]), cut, async function* (src) { for await (const _ of src) yield; });
  assert.deepEqual(cut.openCopy, { statement: 'COPY public.t', line: 1 });
});

test('the engine stream demultiplexer splits stdout from stderr across any chunking, with backpressure', async () => {
  const frame = (kind: number, s: string) => {
    const p = Buffer.from(s);
    const h = Buffer.alloc(8);
    h[0] = kind;
    h.writeUInt32BE(p.length, 4);
    return Buffer.concat([h, p]);
  };
  const all = Buffer.concat([frame(1, 'hello '), frame(2, 'warn'), frame(1, 'world'), frame(2, '!'), frame(1, '')]);
  for (const size of [1, 3, 8, 9, all.length]) {
    const chunks: Buffer[] = [];
    for (let i = 0; i < all.length; i += size) chunks.push(all.subarray(i, i + size));
    const err: Buffer[] = [];
    const d = new Demux((b) => err.push(Buffer.from(b)));
    let out = '';
    await pipeline(Readable.from(chunks), d, async (src) => { for await (const c of src) out += (c as Buffer).toString(); });
    assert.equal(out, 'hello world', `chunks of ${size}`);
    assert.equal(Buffer.concat(err).toString(), 'warn!');
  }
  const tail = new Tail(10);
  tail.push(Buffer.from('0123456789'));
  tail.push(Buffer.from('abcdef'));
  assert.equal(tail.text(), '6789abcdef');
});

test('a gated stream ends only when the producer succeeded, and fails otherwise', async () => {
  const read = async (r: Readable) => { let s = ''; for await (const c of r) s += (c as Buffer).toString(); return s; };
  assert.equal(await read(gated(Readable.from([Buffer.from('ok')]), Promise.resolve())), 'ok');
  await assert.rejects(read(gated(Readable.from([Buffer.from('partial')]), Promise.reject(new Error('pg_dump failed')))), /pg_dump failed/);
});

test('the tar writer makes archives tar reads back (files and folders, any size)', async () => {
  const dir = tempDir('repro-tar-');
  fs.mkdirSync(path.join(dir, 'src', 'sub'), { recursive: true });
  fs.writeFileSync(path.join(dir, 'src', 'a.txt'), 'alpha');
  fs.writeFileSync(path.join(dir, 'src', 'sub', 'b.bin'), Buffer.alloc(513, 7));
  fs.writeFileSync(path.join(dir, 'src', 'empty'), '');
  const { folderEntries } = await import('../../extension/core/data/streams');
  const tarFile = path.join(dir, 'out.tar');
  await pipeline(tarStream(folderEntries(path.join(dir, 'src'))), fs.createWriteStream(tarFile));
  const x = path.join(dir, 'x');
  fs.mkdirSync(x);
  execFileSync('tar', ['-xf', tarFile, '-C', x]);
  assert.equal(fs.readFileSync(path.join(x, 'a.txt'), 'utf8'), 'alpha');
  assert.deepEqual(fs.readFileSync(path.join(x, 'sub', 'b.bin')), Buffer.alloc(513, 7));
  assert.equal(fs.readFileSync(path.join(x, 'empty'), 'utf8'), '');
  const long = `${'d'.repeat(120)}/${'f'.repeat(90)}`;
  fs.mkdirSync(path.join(dir, 'd'.repeat(120)));
  fs.writeFileSync(path.join(dir, long), 'deep');
  await pipeline(tarStream([{ name: long, file: path.join(dir, long) }]), fs.createWriteStream(tarFile));
  execFileSync('tar', ['-xf', tarFile, '-C', x]);
  assert.equal(fs.readFileSync(path.join(x, long), 'utf8'), 'deep');
});
