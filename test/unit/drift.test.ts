// Drift: the published state document, the comparison and its severities, the fixes, and the
// local observers on real files (compose files from real projects, version files, this
// machine's node), plus `repro drift` on a real git history. No engine: the local session side
// says it cannot see one.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { compareSides, differ } from '../../extension/core/drift/compare';
import { alignVersions, setDeclaredVersion } from '../../extension/core/drift/fixes';
import { composeSide, toolchainSide, versionFilesSide } from '../../extension/core/drift/localObservers';
import type { Side } from '../../extension/core/drift/model';
import { factsFromManifest, manifestSide } from '../../extension/core/drift/sides';
import { describeFreshness, loadEnvironmentState } from '../../extension/core/drift/stateCache';
import { parseStateDocument } from '../../extension/core/drift/stateDocument';
import { versionFromOutput } from '../../extension/core/drift/stackState';
import { loadManifestText } from '../../extension/core/manifest/loader';
import type { Manifest } from '../../extension/core/manifest/schema';
import { parseYaml } from '../../extension/core/manifest/yamlDocument';
import { runCli } from './cliHarness';
import { ROOT, tempDir, writeFiles } from './helpers';

// The CLI's engine: a socket that does not exist, so the session side is "not available".
process.env.REPRO_ENGINE_HOST = 'unix:///nonexistent/repro-drift-test.sock';

const SHA = 'a'.repeat(40);
const MANIFEST = `version: 1
project: { name: shop }
apps:
  web: { runtime: "nodejs:20", run: node server.js, port: 3000, relationships: { database: db } }
services:
  # the main database
  db: { type: "postgresql:15" }
  cache:
    type: redis:7
environments:
  production:
    state: { file: state/production.json }
`;

const manifest = (text = MANIFEST): Manifest => {
  const r = loadManifestText(text, 'repro.yaml');
  assert.ok(r.manifest, JSON.stringify(r.diagnostics));
  return r.manifest;
};

const stateDoc = (over: Record<string, unknown> = {}) => JSON.stringify({
  version: 1, commit: SHA, services: { db: { type: 'postgresql', version: '15.4', image: 'postgres:15.4' }, cache: { type: 'redis', version: '7.2.4' } },
  apps: { web: { type: 'nodejs', version: '20.11.1', env: ['NODE_ENV'], secrets: ['SESSION_SECRET'] } }, flags: { checkout_v2: true }, ...over,
});

test('a state document of version 1 is read; the older commit-only form still gives its commit', () => {
  const p = parseStateDocument(stateDoc(), 'prod');
  assert.equal(p.commitOnly, false);
  assert.equal(p.doc.services.db?.version, '15.4');
  const old = parseStateDocument(JSON.stringify({ git: { commit: 'ABCDEF1234567' } }), 'prod');
  assert.deepEqual(old, { doc: { version: 1, commit: 'abcdef1234567', services: {} }, commitOnly: true });
  // A health endpoint's own "version" is the app's, not the document format's.
  assert.equal(parseStateDocument(JSON.stringify({ version: '1.4.0', commit: 'abcdef1234567' }), 'prod').commitOnly, true);
});

test('bad state documents: HTML, a newer version, values instead of names, a wrong field, each said plainly', () => {
  assert.throws(() => parseStateDocument('<!DOCTYPE html><html><body>Sign in</body></html>', 'https://x/state'), /https:\/\/x\/state returned HTML \(a web page\), not a state document/);
  assert.throws(() => parseStateDocument(stateDoc({ version: 2 }), 'prod'), /version 2; this Repro reads version 1\. Update Repro/);
  assert.throws(() => parseStateDocument(stateDoc({ apps: { web: { type: 'nodejs', version: '20', env: { STRIPE_KEY: 'sk_live_x' } } } }), 'prod'),
    /apps\.web\.env holds values; a state document lists names only/);
  assert.throws(() => parseStateDocument(stateDoc({ services: { db: { type: 'postgresql' } } }), 'prod'), /prod: services\.db.*version/);
  assert.throws(() => parseStateDocument('{"version": 1, "commit": "xyz"', 'prod'), /prod is not JSON/);
});

const side = (id: string, facts: Side['facts'], extra: Partial<Side> = {}): Side => ({ id, kind: 'local', label: id, kinds: ['type', 'version', 'digest', 'env', 'secret', 'flag'], facts, ...extra });
const D1 = `sha256:${'1'.repeat(64)}`;
const D2 = `sha256:${'2'.repeat(64)}`;

test('severity: major or minor apart is an error, a patch apart or a digest apart with the same tag a warning', () => {
  const ref = side('prod', { 'service db': { type: { value: 'mysql' }, version: { value: '15.4.1' }, digest: { value: D1 } } });
  const at = (version: string, digest = D1) => compareSides(ref, [side('local', { 'service db': { type: { value: 'mysql' }, version: { value: version }, digest: { value: digest } } })]);
  const cell = (r: ReturnType<typeof at>, attr: string) => r.rows.find((x) => x.attribute === attr)!.cells[0]!;
  assert.deepEqual([cell(at('16.0'), 'version').state, cell(at('16.0'), 'version').severity], ['drift', 'error']);
  assert.deepEqual([cell(at('15.2.1'), 'version').severity, cell(at('15.2.1'), 'version').reason], ['error', 'a minor version apart']);
  assert.deepEqual([cell(at('15.4.3'), 'version').severity, cell(at('15.4.3'), 'version').reason], ['warning', 'a patch version apart']);
  assert.equal(cell(at('15'), 'version').state, 'in-sync', '"15" pins no minor: it matches 15.4.1');
  const digest = at('15.4.1', D2);
  assert.deepEqual([cell(digest, 'version').state, cell(digest, 'digest').state, cell(digest, 'digest').severity], ['in-sync', 'drift', 'warning']);
  assert.equal(digest.severity, 'warning');
  assert.equal(at('15.4.1').counts.drift, 0);
});

test('missing and unknown: a service the session lacks, an unavailable side, a partial side that says nothing', () => {
  const ref = side('prod', { 'service db': { version: { value: '15.4' } }, 'service cache': { version: { value: '7.2' } }, 'app web': { 'env NODE_ENV': { value: 'set' }, 'secret SESSION_SECRET': { value: 'set' } } });
  const local = side('local', { 'service db': { version: { value: '15.4' } }, 'app web': { 'env NODE_ENV': { value: 'set' }, 'env REPRO_EXTRA': { value: 'set' } } });
  const compose = side('compose', { 'service db': { version: { value: '15.4' } } }, { partial: true, kinds: ['type', 'version'] });
  const gone = side('staging', {}, { unavailable: 'no answer within 10 s' });
  const r = compareSides(ref, [local, compose, gone]);
  const cell = (subject: string, attr: string, s: string) => r.rows.find((x) => x.subject === subject && x.attribute === attr)?.cells.find((c) => c.side === s);
  assert.deepEqual([cell('service cache', 'version', 'local')?.state, cell('service cache', 'version', 'local')?.severity], ['missing', 'error']);
  assert.equal(cell('service cache', 'version', 'compose'), undefined, 'compose shows part of the picture: no cell, not "missing"');
  assert.deepEqual([cell('app web', 'secret SESSION_SECRET', 'local')?.state, cell('app web', 'secret SESSION_SECRET', 'local')?.severity], ['missing', 'warning']);
  assert.equal(cell('app web', 'env REPRO_EXTRA', 'local'), undefined, 'a variable only the local side has is not drift');
  assert.deepEqual([cell('service db', 'version', 'staging')?.state, cell('service db', 'version', 'staging')?.reason], ['unknown', 'no answer within 10 s']);
  assert.deepEqual(r.counts, { 'in-sync': 3, drift: 0, missing: 2, unknown: 5 });
  // Staging could not be read: that does not make a row the others agree on unknown.
  assert.equal(r.rows.find((x) => x.subject === 'service db' && x.attribute === 'version')?.state, 'in-sync');
});

test('the manifest side knows where each version is written; the fix keeps comments and quoting', () => {
  const parsed = parseYaml(MANIFEST, '/ws/repro.yaml');
  const facts = factsFromManifest(manifest(), parsed);
  assert.deepEqual(facts['service db']?.version, { value: '15', at: { file: '/ws/repro.yaml', line: 7, column: 15 } });
  assert.equal(facts['app web']?.runtime?.value, 'nodejs');
  const fixed = setDeclaredVersion(MANIFEST, ['services', 'db', 'type'], '15.4');
  assert.match(fixed, /# the main database\n {2}db: \{ type: "postgresql:15\.4" \}/);
  assert.throws(() => setDeclaredVersion(MANIFEST, ['services', 'nope', 'type'], '15.4'), /repro\.yaml has no services\.nope\.type/);
  assert.throws(() => setDeclaredVersion(MANIFEST, ['services', 'db', 'type'], '15; rm -rf /'), /not a version/);
  const ref = side('prod', { 'service db': { version: { value: '16.1' } }, 'service cache': { version: { value: '7.2.4' } } });
  const r = compareSides(ref, [manifestSide(manifest(), parsed)]);
  assert.deepEqual(alignVersions(MANIFEST, r.rows).changed, ['services.db.type: 16.1']);
  const exact = alignVersions(MANIFEST, r.rows, true);
  assert.deepEqual(exact.changed, ['services.db.type: 16.1', 'services.cache.type: 7.2.4']);
  assert.equal(loadManifestText(exact.text, 'repro.yaml').manifest?.services?.cache?.type, 'redis:7.2.4');
});

test('compose files of real projects: versions from their images, the line to open, and a file that does not parse', () => {
  const src = path.join(ROOT, 'test/fixtures/realworld/compose/getsentry__self-hosted__docker-compose.yml');
  const dir = writeFiles(tempDir(), { 'docker-compose.yml': fs.readFileSync(src, 'utf8') });
  const m = manifest(MANIFEST.replace('cache:\n    type: redis:7', 'memcached:\n    type: memcached:1.6'));
  const s = composeSide(dir, m)!;
  assert.equal(s.unavailable, undefined);
  // The compose service "postgres" is the manifest's only PostgreSQL service, "db".
  const db = s.facts['service db']!;
  assert.equal(db.version?.value, '14.24');
  assert.equal(fs.readFileSync(src, 'utf8').split('\n')[db.version!.at!.line - 1]!.trim(), 'image: "postgres:14.24-bookworm"');
  assert.equal(s.facts['service memcached']?.version?.value, '1.6.45');
  // Its service "redis" runs valkey/valkey: a type of its own, not redis.
  assert.deepEqual([s.facts['service redis']?.type?.value, s.facts['service redis']?.version?.value], ['valkey', '8.1.9']);
  const bad = writeFiles(tempDir(), { 'compose.yaml': 'services:\n  db:\n    image: postgres:15\n   ports: [5432\n' });
  assert.match(composeSide(bad, m)!.unavailable ?? '', /^compose\.yaml does not parse \(line \d+: .+\); fix it to compare it$/);
  assert.equal(composeSide(tempDir(), m), undefined);
});

test('the toolchain: this machine\'s node as it reports itself, and the versions .nvmrc, .tool-versions and engines pin', async () => {
  const t = await toolchainSide(manifest());
  assert.equal(t.facts['app web']?.version?.value, process.versions.node);
  const nvm = writeFiles(tempDir(), { '.nvmrc': 'v18.19\n' });
  assert.deepEqual(versionFilesSide(nvm, manifest())?.facts['app web']?.version?.value, '18.19');
  const tv = writeFiles(tempDir(), { '.tool-versions': 'python 3.12.1\nnodejs 20.11.1\n' });
  assert.deepEqual(versionFilesSide(tv, manifest())?.facts['app web']?.version?.at?.line, 2);
  const engines = writeFiles(tempDir(), { 'package.json': '{\n  "name": "x",\n  "engines": { "node": "^20.10" }\n}\n' });
  assert.equal(versionFilesSide(engines, manifest())?.facts['app web']?.version?.value, '20.10');
  const range = writeFiles(tempDir(), { 'package.json': '{ "engines": { "node": ">=18 <21" } }' });
  assert.equal(versionFilesSide(range, manifest()), undefined, 'a range pins no version');
  assert.equal(versionFromOutput('postgres (PostgreSQL) 15.14 (Debian 15.14-0+deb12u1)'), '15.14');
  assert.equal(versionFromOutput('Redis server v=7.0.15 sha=00000000:0 malloc=jemalloc-5.3.0 bits=64'), '7.0.15');
  assert.equal(versionFromOutput('v20.20.2'), '20.20.2');
});

test('a state from a command is run with a timeout; when it does not answer the offline copy is used, and said to be', async () => {
  const dir = writeFiles(tempDir(), { 'state.json': stateDoc() });
  const home = tempDir();
  const withCommand = (command: string) => manifest(MANIFEST.replace('state: { file: state/production.json }', `state: { command: ${JSON.stringify(command)} }`));
  let now = Date.parse('2026-01-01T10:00:00Z');
  const fresh = await loadEnvironmentState(withCommand('cat state.json'), 'production', dir, { home, now: () => now });
  assert.deepEqual([fresh.offline, fresh.state.doc.services.db?.version, describeFreshness(fresh, now)], [false, '15.4', 'fetched just now']);
  now += 10 * 60_000;
  const started = Date.now();
  const off = await loadEnvironmentState(withCommand('sleep 5; cat state.json'), 'production', dir, { home, timeoutMs: 300, now: () => now });
  assert.ok(Date.now() - started < 4000, 'the timeout stopped the command');
  assert.equal(off.offline, true);
  assert.match(off.reason ?? '', /published state command "sleep 5; cat state\.json" failed \(no answer within 0\.3 s\)/);
  assert.equal(describeFreshness(off, now), 'as of 10 min ago, offline');
  await assert.rejects(loadEnvironmentState(withCommand('exit 3'), 'production', dir, { home: tempDir() }), /failed \(exit 3\); no copy from an earlier read is cached for offline use\.$/);
  // A document that answers but is wrong is an error, not hidden behind the copy.
  await assert.rejects(loadEnvironmentState(withCommand('echo "<html>login</html>"'), 'production', dir, { home }), /returned HTML/);
});

const run = runCli;

const git = (dir: string, ...args: string[]) => execFileSync('git', ['-c', 'user.email=t@example.com', '-c', 'user.name=T', '-c', 'commit.gpgsign=false', ...args], { cwd: dir, encoding: 'utf8' }).trim();

test('repro drift on a real history: the manifest changed since the release; exit 2 on drift, 0 in sync, 1 when the state cannot be read', async () => {
  const dir = writeFiles(tempDir(), { 'repro.yaml': MANIFEST.replace('"postgresql:15"', '"postgresql:14"'), 'server.js': '' });
  git(dir, 'init', '-q', '-b', 'main');
  git(dir, 'add', '.');
  git(dir, 'commit', '-qm', 'release');
  const release = git(dir, 'rev-parse', 'HEAD');
  fs.writeFileSync(path.join(dir, 'repro.yaml'), MANIFEST);
  git(dir, 'commit', '-qam', 'postgres 15');
  const prod = (db: string, node = '20.11.1', commit = release) => writeFiles(dir, { 'state/production.json': stateDoc({
    commit, services: { db: { type: 'postgresql', version: db }, cache: { type: 'redis', version: '7.2.4' } }, apps: { web: { type: 'nodejs', version: node } },
  }) });
  process.env.REPRO_HOME = tempDir();

  prod('14.11');
  const drift = await run(dir, 'drift', '--json');
  assert.equal(drift.code, 2, drift.err);
  const j = JSON.parse(drift.out) as { exitCode: number; rows: { subject: string; attribute: string; cells: { side: string; value?: string; state: string; severity: string }[] }[]; sides: { id: string; label: string; unavailable?: string }[] };
  assert.equal(j.exitCode, 2);
  const dbVersion = j.rows.find((r) => r.subject === 'service db' && r.attribute === 'version')!;
  assert.deepEqual(dbVersion.cells.find((c) => c.side === 'manifest'), { side: 'manifest', value: '15', state: 'drift', severity: 'error', reason: 'a major version apart', at: { file: path.join(dir, 'repro.yaml'), line: 7, column: 15 } });
  assert.deepEqual(dbVersion.cells.find((c) => c.side === 'release'), { side: 'release', value: '14', state: 'in-sync', severity: 'none' });
  assert.equal(j.sides.find((s) => s.id === 'release')?.label, `repro.yaml @ ${release.slice(0, 7)}`);
  assert.match(j.sides.find((s) => s.id === 'local')?.unavailable ?? '', /^no container engine/);

  const text = await run(dir, 'drift');
  assert.equal(text.code, 2);
  assert.match(text.out, /^production \(fetched just now, from state\/production\.json, commit a{0}[0-9a-f]{12}\) compared with:/);
  assert.match(text.out, /\n {2}version +production 14\.11 {2}≠ repro\.yaml 15 \(error: a major version apart\) {2}= repro\.yaml @ [0-9a-f]{7} 14/);
  assert.match(text.out, /session shop: not compared, no container engine/);

  // Production deployed HEAD (PostgreSQL 15) and runs this machine's node: nothing differs.
  prod('15.4', process.versions.node, git(dir, 'rev-parse', 'HEAD'));
  const insync = await run(dir, 'drift', '--json');
  const k = JSON.parse(insync.out) as { rows: { subject: string; attribute: string; cells: { side: string; state: string }[] }[] };
  const bad = k.rows.flatMap((r) => r.cells.filter((c) => c.state === 'drift' || c.state === 'missing').map((c) => `${r.subject} ${r.attribute} ${c.side}`));
  assert.deepEqual(bad, []);
  assert.equal(insync.code, 0, insync.out);

  fs.rmSync(path.join(dir, 'state'), { recursive: true });
  const missing = await run(dir, 'drift', '--env', 'production');
  assert.equal(missing.code, 1);
  assert.match(missing.err, /production's published state file state\/production\.json does not exist/);
  // The error is said once, on stderr; the rows it left unknown only say so.
  assert.equal(missing.err.split('does not exist').length - 1, 1, missing.err);
  assert.doesNotMatch(missing.out, /does not exist/);
  assert.match(missing.out, /\? repro\.yaml 15 \(production not read\)/);
  assert.equal((await run(dir, 'drift', '--env', 'staging')).code, 1);
  assert.match((await run(dir, 'drift', '--env', 'staging')).err, /repro\.yaml has no environment "staging"; it declares: production/);
  assert.equal((await run(dir, 'drift', '--timeout', 'soon')).code, 64);
});

test('repro state refuses what it cannot publish before asking the engine: no repro.yaml, flags that are not values, no commit', async () => {
  assert.equal((await run(tempDir(), 'state')).code, 66);
  const dir = writeFiles(tempDir(), { 'repro.yaml': MANIFEST, 'flags.json': '{"checkout_v2": {"rollout": 50}}', 'bad.json': '[1]' });
  const nested = await run(dir, 'state', '--flags', 'flags.json');
  assert.equal(nested.code, 64);
  assert.match(nested.err, /flag "checkout_v2" is \{"rollout":50\}; a flag's value is a string, a number or a boolean/);
  assert.match((await run(dir, 'state', '--flags', 'bad.json')).err, /expected a JSON object of flag name to value/);
  assert.match((await run(dir, 'state', '--flags', 'none.json')).err, /--flags .*none\.json: no such file/);
  const nogit = await run(dir, 'state');
  assert.equal(nogit.code, 64);
  assert.match(nogit.err, /is not in a git repository with a commit; give the deployed commit with --commit <sha>/);
});

test('versions are read with their type\'s numbering: PostgreSQL 15.4 and 15.10 are a fix apart, Redis 7.2 and 7.4 a minor', () => {
  assert.deepEqual(differ('version', '15.4', '15.10', 'postgresql'), { severity: 'warning', reason: 'a patch version apart' });
  assert.deepEqual(differ('version', '15.4', '16.2', 'postgresql'), { severity: 'error', reason: 'a major version apart' });
  // before 10, PostgreSQL's major was two numbers
  assert.deepEqual(differ('version', '9.5', '9.6', 'postgresql'), { severity: 'error', reason: 'a minor version apart' });
  assert.deepEqual(differ('version', '7.2', '7.4', 'redis'), { severity: 'error', reason: 'a minor version apart' });
  assert.deepEqual(differ('version', '7.2.4', '7.2.5', 'redis'), { severity: 'warning', reason: 'a patch version apart' });
  assert.equal(differ('version', '15', '15.6', 'postgresql'), undefined);
});
