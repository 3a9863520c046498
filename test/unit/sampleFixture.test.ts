// The sample shop fixture (test/fixtures/sample-shop) that later features and tests reuse: its
// manifest loads, its planted bug fires on production-shaped names only, its dump is generated
// deterministically, and make-sample-repo.sh builds the same git history everywhere.
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, describe, test } from 'node:test';
import { loadManifestFile } from '../../extension/core/manifest/loader';
import { ROOT, tempDir } from './helpers';

const FIXTURE = path.join(ROOT, 'test/fixtures/sample-shop');
const MAKE_REPO = path.join(ROOT, 'test/fixtures/make-sample-repo.sh');

/** The customers the INCIDENT.md names. */
const EMOJI_ID = 137;
const COMBINING_ID = 58;
const ZWJ_ID = 171;
const PLAIN_ID = 42;
const BADGE_FRAME = /\bmeasure \(.*[\\/]src[\\/]badge\.js:40:\d+\)/;

interface Customer { id: number; email: string; display_name: string }
const badge = require(path.join(FIXTURE, 'src/badge.js')) as { renderBadge(c: Customer): string };

/** Rows of one COPY block of a plain pg_dump, with COPY text escapes decoded. */
function copyRows(sql: string, table: string): Record<string, string | null>[] {
  const head = new RegExp(`^COPY public\\.${table} \\(([^)]*)\\) FROM stdin;$`, 'm').exec(sql);
  assert.ok(head, `no COPY block for ${table}`);
  const columns = head[1]!.split(', ');
  const body = sql.slice(head.index + head[0].length + 1, sql.indexOf('\n\\.\n', head.index));
  const escapes: Record<string, string> = { n: '\n', t: '\t', r: '\r', b: '\b', f: '\f', v: '\v', '\\': '\\' };
  return body.split('\n').map((line) => {
    const fields = line.split('\t');
    assert.equal(fields.length, columns.length, `bad ${table} row: ${line}`);
    return Object.fromEntries(columns.map((c, i) => {
      const f = fields[i]!;
      return [c, f === '\\N' ? null : f.replace(/\\(.)/g, (_, ch: string) => escapes[ch] ?? ch)];
    }));
  });
}

function productionCustomers(): Customer[] {
  const sql = fs.readFileSync(path.join(FIXTURE, 'data/production.sql'), 'utf8');
  return copyRows(sql, 'customers').map((r) => ({ id: Number(r.id), email: r.email!, display_name: r.display_name! }));
}

function seedCustomers(): Customer[] {
  const sql = fs.readFileSync(path.join(FIXTURE, 'seed.sql'), 'utf8');
  const block = sql.slice(sql.indexOf('INSERT INTO customers'), sql.indexOf(';', sql.indexOf('INSERT INTO customers')));
  return [...block.matchAll(/^\s+\((\d+), '((?:[^']|'')*)', '((?:[^']|'')*)'/gm)].map((m) => ({
    id: Number(m[1]), email: m[2]!.replace(/''/g, "'"), display_name: m[3]!.replace(/''/g, "'"),
  }));
}

function badgeError(c: Customer): Error | undefined {
  try {
    badge.renderBadge(c);
    return undefined;
  } catch (e) {
    return e as Error;
  }
}

const graphemes = (s: string): number => [...new Intl.Segmenter('en', { granularity: 'grapheme' }).segment(s)].length;

describe('sample-shop fixture', () => {
  test('repro.yaml loads without errors and points at files that exist', () => {
    const r = loadManifestFile(path.join(FIXTURE, 'repro.yaml'));
    assert.deepEqual(r.diagnostics.filter((d) => d.severity === 'error'), []);
    const m = r.manifest;
    assert.ok(m);
    assert.equal(m.project.name, 'shop');
    assert.equal(m.apps?.web?.run, 'node server.js');
    assert.deepEqual(m.apps?.web?.relationships, { database: 'db', cache: 'cache' });
    assert.equal(m.services?.db?.type, 'postgresql:15');
    assert.equal(m.services?.cache?.type, 'redis:7');
    const source = m.services?.db?.data?.source;
    assert.ok(source && 'dump' in source);
    assert.ok(fs.existsSync(path.join(FIXTURE, source.dump)), source.dump);
    assert.ok(fs.existsSync(path.join(FIXTURE, 'node_modules/pg/package.json')), 'pg is vendored');
    assert.equal(require(path.join(FIXTURE, 'package.json')).version, '1.4.0');
  });

  test('the dump is production-shaped and its scrubbed columns exist', () => {
    const customers = productionCustomers();
    assert.equal(customers.length, 200);
    const byId = new Map(customers.map((c) => [c.id, c]));
    assert.match(byId.get(EMOJI_ID)!.display_name, /\p{Extended_Pictographic}/u);
    assert.match(byId.get(COMBINING_ID)!.display_name, /\p{M}/u);
    assert.notEqual(byId.get(COMBINING_ID)!.display_name, byId.get(COMBINING_ID)!.display_name.normalize('NFC'));
    for (const script of [/\p{Script=Cyrillic}/u, /\p{Script=Greek}/u, /\p{Script=Han}/u, /\p{Script=Arabic}/u, /\p{Script=Hangul}/u, /[À-ž]/u]) {
      assert.ok(customers.some((c) => script.test(c.display_name)), `no name matches ${script}`);
    }
    const sql = fs.readFileSync(path.join(FIXTURE, 'data/production.sql'), 'utf8');
    const orders = copyRows(sql, 'orders');
    assert.ok(orders.length > 200);
    assert.ok(orders.every((o) => byId.has(Number(o.customer_id))), 'every order references a customer');
    assert.ok(orders.some((o) => Number(o.customer_id) === EMOJI_ID));
    const rows = copyRows(sql, 'customers');
    for (const col of ['email', 'display_name', 'phone', 'address', 'birth_date']) assert.ok(col in rows[0]!, col);
    assert.ok(rows.some((r) => r.address?.includes('\n')), 'multi-line addresses survive COPY escaping');
    assert.ok(rows.some((r) => r.phone === null), 'some phones are NULL');
  });

  test('data/generate.js regenerates data/production.sql byte for byte', () => {
    const out = execFileSync(process.execPath, [path.join(FIXTURE, 'data/generate.js'), '--stdout'], { encoding: 'utf8', maxBuffer: 16 << 20 });
    assert.equal(out, fs.readFileSync(path.join(FIXTURE, 'data/production.sql'), 'utf8'));
  });

  test('the badge crashes in src/badge.js on the emoji and combining-accent names of production', () => {
    const byId = new Map(productionCustomers().map((c) => [c.id, c]));
    for (const id of [EMOJI_ID, COMBINING_ID, ZWJ_ID]) {
      const err = badgeError(byId.get(id)!);
      assert.ok(err instanceof TypeError, `customer ${id} (${byId.get(id)!.display_name}) should crash the badge`);
      assert.match(err.stack!.split('\n')[1]!, BADGE_FRAME, err.stack);
    }
    assert.equal(badgeError(byId.get(PLAIN_ID)!), undefined);
  });

  test('the badge crashes exactly for the production names whose graphemes take several code units', () => {
    const crashing = productionCustomers().filter((c) => badgeError(c)).map((c) => c.id);
    const multiUnit = productionCustomers().filter((c) => graphemes(c.display_name) !== c.display_name.length).map((c) => c.id);
    assert.deepEqual(crashing, multiUnit);
    assert.deepEqual(crashing, [COMBINING_ID, EMOJI_ID, ZWJ_ID]);
  });

  test('the badge renders every development seed name (the bug never fires on dev data)', () => {
    const seed = seedCustomers();
    assert.ok(seed.length >= 5, `seed.sql customers: ${seed.length}`);
    for (const c of seed) {
      assert.match(c.display_name, /^[\x20-\x7e]+$/, 'dev names are ASCII');
      assert.equal(badgeError(c), undefined, c.display_name);
      assert.match(badge.renderBadge(c), /^<svg [^>]*>.*<\/svg>$/s);
    }
  });
});

describe('make-sample-repo.sh', () => {
  const dirs: string[] = [];
  after(() => { for (const d of dirs) fs.rmSync(d, { recursive: true, force: true }); });
  const git = (dir: string, ...args: string[]): string => execFileSync('git', ['-C', dir, ...args], { encoding: 'utf8' }).trim();
  const has = (dir: string, spec: string): boolean => spawnSync('git', ['-C', dir, 'cat-file', '-e', spec]).status === 0;
  const make = (dest: string): { status: number | null; sha: string; stderr: string } => {
    const r = spawnSync('bash', [MAKE_REPO, dest], { encoding: 'utf8' });
    return { status: r.status, sha: r.stdout.trim(), stderr: r.stderr };
  };

  test('builds a deterministic repository with the v1.4.0 release behind HEAD', () => {
    const a = path.join(tempDir('sample-shop-a-'), 'repo');
    const b = tempDir('sample-shop-b-');
    dirs.push(path.dirname(a), b);

    const first = make(a);
    assert.equal(first.status, 0, first.stderr);
    assert.match(first.sha, /^[0-9a-f]{40}$/);
    assert.equal(git(a, 'cat-file', '-t', 'v1.4.0'), 'tag', 'v1.4.0 is an annotated tag');
    assert.equal(git(a, 'rev-parse', 'v1.4.0^{commit}'), first.sha);
    assert.ok(Number(git(a, 'rev-list', '--count', 'HEAD')) >= 4);
    assert.ok(Number(git(a, 'rev-list', '--count', 'v1.4.0..HEAD')) >= 1, 'HEAD is after the release');
    assert.equal(git(a, 'rev-parse', '--abbrev-ref', 'HEAD'), 'main');
    assert.equal(git(a, 'remote', 'get-url', 'origin'), 'https://github.com/reprokit/sample-shop.git');
    assert.equal(git(a, 'status', '--porcelain'), '');

    const releaseYaml = git(a, 'show', 'v1.4.0:repro.yaml');
    assert.notEqual(releaseYaml, git(a, 'show', 'HEAD:repro.yaml'));
    assert.equal(releaseYaml, fs.readFileSync(path.join(FIXTURE, 'repro.yaml'), 'utf8').trim());
    assert.equal(git(a, 'show', 'v1.4.0:src/badge.js'), fs.readFileSync(path.join(FIXTURE, 'src/badge.js'), 'utf8').trim());
    assert.equal(git(a, 'show', 'v1.4.0:data/production.sql').length > 0, true);
    assert.notEqual(git(a, 'show', 'v1.4.0:server.js'), git(a, 'show', 'HEAD:server.js'));
    const root = git(a, 'rev-list', '--max-parents=0', 'HEAD');
    assert.equal(has(a, `${root}:src/badge.js`), false, 'the first commit has no badge');
    assert.equal(has(a, 'v1.4.0:src/badge.js'), true);
    assert.equal(has(a, 'v1.4.0:INCIDENT.md'), false, 'INCIDENT.md stays out of the sample repository');

    const second = make(b);
    assert.equal(second.status, 0, second.stderr);
    assert.equal(second.sha, first.sha, 'two builds give the same release SHA');
    assert.equal(git(b, 'rev-parse', 'HEAD'), git(a, 'rev-parse', 'HEAD'));

    const again = make(a);
    assert.equal(again.status, 0, `rebuilding its own repository works: ${again.stderr}`);
    assert.equal(again.sha, first.sha);
  });

  test('refuses to overwrite a folder it did not make', () => {
    const dir = tempDir('sample-shop-foreign-');
    dirs.push(dir);
    fs.writeFileSync(path.join(dir, 'keep.txt'), 'mine');
    const r = make(dir);
    assert.notEqual(r.status, 0);
    assert.match(r.stderr, /refusing to overwrite/);
    assert.equal(fs.readFileSync(path.join(dir, 'keep.txt'), 'utf8'), 'mine');
  });
});
