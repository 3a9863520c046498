import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { test } from 'node:test';
import { cacheKey, openCacheWriter, serialSummary } from '../../extension/core/data/cache';
import { projectSessionName } from '../../extension/core/stack/plan';
import { runCli } from './cliHarness';
import { tempDir, writeFiles } from './helpers';

const run = runCli;

const MANIFEST = `version: 1
project: { name: shop }
apps:
  web: { runtime: "nodejs:20", run: node server.js, port: 3000, relationships: { database: db } }
services:
  db: { type: "postgresql:15" }
`;

test('repro validate: 0 and a summary for a valid manifest', async () => {
  const dir = writeFiles(tempDir(), { 'repro.yaml': MANIFEST });
  const r = await run(dir, 'validate');
  assert.equal(r.code, 0, r.err);
  assert.match(r.out, /valid: .*repro\.yaml: 1 app\(s\), 1 service\(s\); 0 errors, 0 warnings/);
});

test('repro validate: a data file that is not in the project\'s folder, or a path out of it, is a warning at its line', async () => {
  const withData = (source: string) => MANIFEST.replace('type: "postgresql:15" }', `type: "postgresql:15", data: { source: ${source} } }`);
  const dir = writeFiles(tempDir(), { 'repro.yaml': withData('{ dump: data/prod.sql }') });
  fs.mkdirSync(path.join(dir, '.git'));
  const missing = await run(dir, 'validate');
  assert.equal(missing.code, 0, missing.err);
  assert.match(missing.err, /^repro\.yaml:6:\d+: warning data-file \(services\.db\.data\.source\.dump\): the dump file "data\/prod\.sql" of service "db" is not in the project's folder/m);
  assert.match(missing.out, /0 errors, 1 warning/);
  writeFiles(dir, { 'data/prod.sql': '-- a dump\n' });
  assert.match((await run(dir, 'validate')).out, /0 errors, 0 warnings/);
  fs.writeFileSync(path.join(dir, 'repro.yaml'), withData('{ dump: ../outside.sql }'));
  assert.match((await run(dir, 'validate')).err, /warning data-file .*: the dump path "\.\.\/outside\.sql" of service "db" leads outside the project's folder/);
  // A project in a subfolder of its repository: its paths are relative to its repro.yaml, as
  // the clone reads them.
  const repo = tempDir();
  fs.mkdirSync(path.join(repo, '.git'));
  writeFiles(path.join(repo, 'shop'), { 'repro.yaml': withData('{ dump: data/prod.sql }'), 'data/prod.sql': '-- a dump\n' });
  assert.match((await run(path.join(repo, 'shop'), 'validate')).out, /0 errors, 0 warnings/);
});

test('repro data clone: a service that is not there, or an app, is a usage error naming the services', async () => {
  const dir = writeFiles(tempDir(), { 'repro.yaml': MANIFEST });
  const app = await run(dir, 'data', 'clone', 'web');
  assert.equal(app.code, 64);
  assert.match(app.err, /"web" is an app in repro\.yaml, and data is cloned into a service \(services: db\)/);
  const typo = await run(dir, 'data', 'clone', 'bd');
  assert.equal(typo.code, 64);
  assert.match(typo.err, /no service "bd" in repro\.yaml \(services: db\)/);
});

test('repro validate: 1 and compiler-style lines for an invalid one', async () => {
  const dir = writeFiles(tempDir(), { 'repro.yaml': MANIFEST.replace('postgresql:15', 'postgresql:latest') });
  const r = await run(dir, 'validate', '.');
  assert.equal(r.code, 1);
  assert.match(r.err, /^repro\.yaml:6:\d+: error bad-version \(services\.db\.type\): the version "latest"/m);
  assert.match(r.err, /fix: Write an exact version/);
});

test('repro validate: 66 when there is nothing to read, 64 on a usage error', async () => {
  const empty = tempDir();
  assert.equal((await run(empty, 'validate')).code, 66);
  assert.equal((await run(empty, 'frobnicate')).code, 64);
  const typo = await run(empty, 'up', '--nme', 'x');
  assert.equal(typo.code, 64);
  assert.match(typo.err, /^repro: unknown option --nme \(this command takes --name, --source\)\n/);
  // Then that command's usage, not every command's.
  assert.match(typo.err, /\n\n {2}up \[dir\] +start the stack.*\n.*\n {6}--name <session> .*\n {6}--source <dir> .*\n\(repro --help lists every command\)\n$/);
  const cacheTypo = await run(empty, 'data', 'cache', '--clar');
  assert.match(cacheTypo.err, /^repro: unknown option --clar \(this command takes --clear\)\n\n {2}data cache +the scrubbed .*\n(?: {6}.*\n)*\(repro --help lists every command\)\n$/);
  assert.equal((await run(empty, 'plan', '--jsn')).code, 64);
  assert.equal((await run(empty, 'validate', 'a', 'b')).code, 64);
  const gone = await run(empty, 'validate', 'no-such-folder');
  assert.deepEqual([gone.code, gone.err], [66, `repro: the folder ${path.join(empty, 'no-such-folder')} does not exist\n`]);
  const cloneGone = await run(empty, 'data', 'clone', '--dir', 'elsewhere');
  assert.deepEqual([cloneGone.code, cloneGone.err], [66, `repro: the folder ${path.join(empty, 'elsewhere')} does not exist\n`]);
});

test('repro plan --json prints the session resources without creating anything', async () => {
  const dir = writeFiles(tempDir(), { 'repro.yaml': MANIFEST });
  const r = await run(dir, 'plan', '--json', '--name', 'incident-7');
  assert.equal(r.code, 0, r.err);
  const plan = JSON.parse(r.out) as { containers: { name: string; image: string }[]; networks: { name: string }[] };
  assert.deepEqual(plan.containers.map((c) => [c.name, c.image]), [['repro-incident-7-db', 'postgres:15'], ['repro-incident-7-web', 'node:20'], ['repro-incident-7-gateway', 'busybox:1.36.1']]);
  assert.deepEqual(plan.networks.map((n) => n.name), ['repro-incident-7-internal', 'repro-incident-7-edge']);
  assert.equal((await run(dir, 'plan', '--name', 'Bad Name')).code, 64);
  const text = await run(dir, 'plan');
  assert.match(text.out, /repro-shop-web  node:20  host web\n/, 'no capability added to a Node app');
  // A Go app with a debug port gets SYS_PTRACE (Delve attaches to it): the plan says so.
  const go = writeFiles(tempDir(), { 'repro.yaml': 'version: 1\nproject: { name: gosvc }\napps:\n  api: { runtime: "golang:1.19", run: ./server, port: 8080, debug: { port: 2345 } }\n' });
  assert.match((await run(go, 'plan')).out, /repro-gosvc-api  golang:1\.19  host api  capabilities \+SYS_PTRACE\n/);
});

test('a long project name gives the session name the extension gives it, not an error about --name', async () => {
  // 63 characters, the longest project name; "_" is not allowed in host names, so it becomes "-".
  const name = `payments_${'x'.repeat(31)}_${'y'.repeat(22)}`;
  const dir = writeFiles(tempDir(), { 'repro.yaml': MANIFEST.replace('name: shop', `name: ${name}`) });
  const r = await run(dir, 'plan', '--json');
  assert.equal(r.code, 0, r.err);
  const plan = JSON.parse(r.out) as { session: string; containers: { name: string }[] };
  assert.equal(plan.session, projectSessionName(name));
  assert.equal(plan.session, `payments-${'x'.repeat(31)}`, 'cut to 41 characters, without a trailing "-"');
  assert.equal(plan.containers[0]!.name, `repro-payments-${'x'.repeat(31)}-db`);
});

test('repro import writes repro.yaml from a compose file and refuses to overwrite it', async () => {
  const dir = writeFiles(tempDir(), {
    'compose.yaml': 'services:\n  db:\n    image: postgres:15.4\n  cache:\n    image: redis:7.2\n',
  });
  const r = await run(dir, 'import');
  assert.equal(r.code, 0, r.err);
  const written = fs.readFileSync(path.join(dir, 'repro.yaml'), 'utf8');
  assert.match(written, /postgresql:15\.4/);
  assert.match(written, /redis:7\.2/);
  assert.equal((await run(dir, 'validate')).code, 0, 'what import writes validates');
  const again = await run(dir, 'import');
  assert.equal(again.code, 73);
  assert.match(again.err, /already exists; not overwriting/);
  assert.equal(fs.readFileSync(path.join(dir, 'repro.yaml'), 'utf8'), written, 'the file is untouched');
});

test('repro data scan: 0 when the sample\'s rules cover its dump; 1 with the missing rule and the line to add', async () => {
  const sample = path.resolve(__dirname, '../../../test/fixtures/sample-shop');
  const ok = await run(sample, 'data', 'scan');
  assert.equal(ok.code, 0, ok.err);
  assert.match(ok.out, /db \(dump data\/production\.sql\):\n {2}Every column that looks personal has a rule or an acknowledgement \(3 tables, 19 columns scanned\)/);
  const dir = tempDir();
  fs.mkdirSync(path.join(dir, 'data'));
  fs.copyFileSync(path.join(sample, 'data/production.sql'), path.join(dir, 'data/production.sql'));
  fs.writeFileSync(path.join(dir, 'repro.yaml'), fs.readFileSync(path.join(sample, 'repro.yaml'), 'utf8').replace('email: "fake:email", ', ''));
  const bad = await run(dir, 'data', 'scan');
  assert.equal(bad.code, 1);
  assert.match(bad.out, /public\.customers\.email \(text\): name: looks like .*; suggested: fake:email/);
  assert.match(bad.out, /customers: \{ columns: \{ email: "fake:email" \} \}/);
  // A rule the column's type cannot take fails the scan too, as it would fail the clone.
  fs.writeFileSync(path.join(dir, 'repro.yaml'), fs.readFileSync(path.join(sample, 'repro.yaml'), 'utf8').replace('birth_date: hash', 'birth_date: mask'));
  const unfit = await run(dir, 'data', 'scan');
  assert.equal(unfit.code, 1, unfit.out);
  assert.match(unfit.out, /cannot apply to their column's type \(the clone stops on them\):\n {4}public\.customers\.birth_date \(mask, type date\): mask would make invalid date values: use hash or fake:date/);
});

test('repro reproduce --rules-from takes incident or workspace; anything else is a usage error, before anything is read', async () => {
  const empty = tempDir();
  const r = await run(empty, 'reproduce', 'vscode://reprokit.repro/reproduce?incident=INC-1&commit=abcdef1', '--rules-from', 'latest');
  assert.equal(r.code, 64);
  assert.match(r.err, /--rules-from takes incident or workspace, not "latest"/);
});

test('repro data cache lists the kept snapshots and what they hold; --clear removes them; no engine is needed', async () => {
  const home = tempDir('repro-cache-cli-');
  const env = { REPRO_HOME: process.env.REPRO_HOME, REPRO_ENGINE_HOST: process.env.REPRO_ENGINE_HOST, REPRO_DATA_CACHE_SIZE: process.env.REPRO_DATA_CACHE_SIZE };
  process.env.REPRO_HOME = home;
  process.env.REPRO_ENGINE_HOST = `unix://${path.join(home, 'no-engine.sock')}`;
  delete process.env.REPRO_DATA_CACHE_SIZE;
  try {
    const empty = await run(home, 'data', 'cache');
    assert.equal(empty.code, 0, empty.err);
    assert.match(empty.out, /: 0 snapshots, 0 B/);
    const summary = serialSummary({ tables: new Map([['public.customers', { rowsIn: 300, rowsOut: 300 }], ['public.orders', { rowsIn: 1000, rowsOut: 734 }]]), fingerprints: new Map(), bytesIn: 1, bytesOut: 1 });
    const key = cacheKey({ source: 'dump:abc', plan: 'rules-1', pgMajor: 15 });
    const w = openCacheWriter(home, key);
    await pipeline(Readable.from([Buffer.alloc(300_000, 'x')]), w.stream);
    await w.commit({ snapshot: 'a'.repeat(64), rules: 'rules-1', pgMajor: 15, summary, verified: { columns: 0, values: 0, leaks: [], skipped: [], short: 0 }, origin: { service: 'db', source: 'the dump data/production.sql' } });
    // A snapshot being written now (by a clone in another window) is not an entry yet, and stays.
    const writing = openCacheWriter(home, cacheKey({ source: 'dump:def', plan: 'rules-1', pgMajor: 15 }));
    writing.stream.write('COPY');
    await new Promise((r) => setImmediate(r));

    const listed = await run(home, 'data', 'cache');
    assert.equal(listed.code, 0, listed.err);
    assert.match(listed.out, /: 1 snapshot, 293\.\d KB \(the least recently used go past 2\.0 GB, the default\)/);
    process.env.REPRO_DATA_CACHE_SIZE = '500 MB';
    assert.match((await run(home, 'data', 'cache')).out, /: 1 snapshot, 293\.\d KB \(the least recently used go past 500\.0 MB, \$REPRO_DATA_CACHE_SIZE\)/);
    process.env.REPRO_DATA_CACHE_SIZE = 'lots';
    const bad = await run(home, 'data', 'cache');
    assert.equal(bad.code, 64);
    assert.match(bad.err, /The variable REPRO_DATA_CACHE_SIZE is "lots", which is not a size: write a number and a unit, such as 500 MB, 2 GB or 20 GB/);
    delete process.env.REPRO_DATA_CACHE_SIZE;
    assert.match(listed.out, new RegExp(`\\n {2}${key.slice(0, 12)} {2}used \\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d +293\\.\\d KB {2}SQL {2}\\(db: the dump data/production\\.sql, PostgreSQL 15, 2 tables, 1,034 rows, snapshot a{12}\\)\\n`));
    assert.match(listed.out, /\nengine: not checked \(.+\)\n$/, 'without an engine the files are still listed');

    const cleared = await run(home, 'data', 'cache', '--clear');
    assert.equal(cleared.code, 0, cleared.err);
    assert.match(cleared.out, /^removed 1 snapshot \(293\.\d KB\) from .*\nthe next reproduction of that data clones it from its source again\n$/);
    assert.match(cleared.err, /the engine's copies were not removed/);
    assert.deepEqual(fs.readdirSync(path.join(home, 'data')).filter((n) => !n.endsWith('.tmp')), [], 'every entry is gone');
    assert.equal(fs.readdirSync(path.join(home, 'data')).filter((n) => n.endsWith('.tmp')).length, 1, 'the one being written is not');
    writing.abort();
    assert.match((await run(home, 'data', 'cache', 'x')).err, /usage: repro data cache \[--clear\]/);
  } finally {
    for (const [k, v] of Object.entries(env)) { if (v === undefined) delete process.env[k]; else process.env[k] = v; }
  }
});
