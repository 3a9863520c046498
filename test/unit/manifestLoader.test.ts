import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import type { Diagnostic } from '../../extension/core/manifest/diagnostics';
import { loadManifestText } from '../../extension/core/manifest/loader';

const GOOD = `version: 1
project:
  name: shop
apps:
  web:
    runtime: nodejs:20.11
    run: node server.js
    port: 3000
    debug: { port: 9229 }
    relationships: { database: db, cache: "cache:redis" }
services:
  db:
    type: postgresql:15.4
  cache:
    type: redis:7.2
`;

function errorsOf(text: string): Diagnostic[] {
  const r = loadManifestText(text, '/ws/repro.yaml');
  assert.equal(r.manifest, undefined, 'a manifest with errors must not load');
  return r.diagnostics.filter((d) => d.severity === 'error');
}

function only(text: string, code: string): Diagnostic {
  const errors = errorsOf(text);
  assert.deepEqual(errors.map((e) => e.code), [code], JSON.stringify(errors, null, 1));
  return errors[0]!;
}

test('a valid manifest loads with its apps and services', () => {
  const r = loadManifestText(GOOD, '/ws/repro.yaml');
  assert.deepEqual(r.diagnostics, []);
  assert.equal(r.manifest?.services?.db?.type, 'postgresql:15.4');
  assert.equal(r.manifest?.apps?.web?.debug?.port, 9229);
});

test('text that is not YAML gets a syntax error at its position', () => {
  const d = only('version: 1\nproject: [name\n  services: {\n', 'yaml-syntax');
  assert.equal(d.file, '/ws/repro.yaml');
  assert.ok(d.line >= 2, `line ${d.line}`);
  assert.match(d.message, /not valid YAML/);
});

test('an unknown key names the key, its place and the key that was meant', () => {
  const d = only(GOOD.replace('    port: 3000', '    prot: 3000'), 'unknown-key');
  assert.equal(d.path, 'apps.web.prot');
  assert.deepEqual([d.line, d.column], [8, 5]);
  assert.match(d.message, /unknown key "prot" in apps\.web/);
  assert.match(d.hint ?? '', /Did you mean "port"\?/);
});

test('a wrong type says what was expected and what was found', () => {
  const d = only(GOOD.replace('port: 3000', 'port: "three thousand"'), 'wrong-type');
  assert.equal(d.path, 'apps.web.port');
  assert.match(d.message, /must be a whole number, found the string "three thousand"/);
  assert.equal(d.line, 8);
});

test('an unknown service type suggests the closest known one', () => {
  const d = only(GOOD.replace('postgresql:15.4', 'postgress:15.4'), 'unknown-service-type');
  assert.equal(d.path, 'services.db.type');
  assert.equal(d.line, 13);
  assert.match(d.hint ?? '', /Did you mean "postgres(ql)?"\?/);
  assert.match(d.hint ?? '', /set "image:"/);
});

test('an explicit image makes any service type acceptable', () => {
  const r = loadManifestText(GOOD.replace('type: postgresql:15.4', 'type: timescale:2.14\n    image: timescale/timescaledb:2.14.2-pg15'), 'x');
  assert.deepEqual(r.diagnostics, []);
});

test('duplicate names: the same key twice, and an app and a service sharing a name', () => {
  const dup = only(GOOD.replace('  cache:\n    type: redis:7.2\n', '  cache:\n    type: redis:7.2\n  db:\n    type: mysql:8.0\n'), 'duplicate-key');
  assert.match(dup.message, /duplicate key "db"/);
  assert.equal(dup.line, 16);
  const shared = only(GOOD + '  web:\n    type: redis:7\n', 'duplicate-name');
  assert.match(shared.message, /"web" is both an app and a service/);
});

test('a cycle in relationships is reported with its path', () => {
  const text = GOOD.replace('    type: redis:7.2\n', '    type: redis:7.2\n    relationships: { q: queue }\n  queue:\n    type: rabbitmq:3.13\n    relationships: { c: cache }\n');
  const d = only(text, 'relationship-cycle');
  assert.match(d.message, /cache -> queue -> cache/);
});

test('a relationship to a missing service suggests the right one', () => {
  const d = only(GOOD.replace('database: db', 'database: dbb'), 'unknown-relationship');
  assert.equal(d.path, 'apps.web.relationships.database');
  assert.match(d.hint ?? '', /Did you mean "db"\?/);
});

test('a misspelt scrub strategy suggests the one meant, and lists them all', () => {
  const withRule = (rule: string) => GOOD.replace('    type: postgresql:15.4\n', `    type: postgresql:15.4\n    data: { source: { dump: prod.sql }, tables: { customers: { columns: { email: "${rule}" } } } }\n`);
  assert.ok(loadManifestText(withRule('fake:email'), 'x').manifest, 'the rule as written is valid');
  for (const [typo, meant] of [['fake:emial', 'fake:email'], ['maks', 'mask'], ['redcat', 'redact']]) {
    const d = only(withRule(typo!), 'bad-format');
    assert.equal(d.path, 'services.db.data.tables.customers.columns.email');
    assert.match(d.hint ?? '', new RegExp(`^Did you mean "${meant}"\\? keep \\| null`), typo);
  }
  assert.doesNotMatch(only(withRule('shred'), 'bad-format').hint ?? '', /Did you mean/);
});

test('versions that do not parse are refused, with an exact example', () => {
  for (const bad of ['latest', '15.x', 'fifteen', '']) {
    const d = only(GOOD.replace('postgresql:15.4', `"postgresql:${bad}"`), bad === '' ? 'bad-format' : 'bad-version');
    assert.equal(d.path, 'services.db.type');
  }
  for (const good of ['15', '15.4', '15.4.1', '3.13-management']) {
    assert.deepEqual(loadManifestText(GOOD.replace('postgresql:15.4', `postgresql:${good}`), 'x').diagnostics, [], good);
  }
});

test('missing required keys say which key and how to add it', () => {
  const d = only('project: { name: shop }\n', 'missing-key');
  assert.match(d.message, /missing the required key "version"/);
  assert.match(d.hint ?? '', /version: 1/);
  const run = only(GOOD.replace('    run: node server.js\n', ''), 'missing-key');
  assert.match(run.message, /apps\.web is missing the required key "run"/);
});

test('an empty file and a data source of the wrong kind are explained', () => {
  assert.equal(only('', 'empty').code, 'empty');
  const d = only(GOOD.replace('    type: redis:7.2\n', '    type: redis:7.2\n    data: { source: { dump: prod.sql } }\n'), 'data-source-mismatch');
  assert.match(d.message, /cannot take a PostgreSQL dump/);
  // A service with no data folder cannot take files: said when the manifest is read, not when the clone fails.
  const f = only(GOOD.replace('    type: redis:7.2\n', '    type: memcached:1.6\n    data: { source: { files: seed/ } }\n'), 'data-source-mismatch');
  assert.match(f.message, /"cache" \(memcached:1\.6\) has no data folder Repro knows/);
  assert.match(f.hint ?? '', /postgresql, .*redis/);
  const custom = errorsOf(GOOD.replace('    type: redis:7.2\n', '    type: thing:1\n    image: example/thing:1\n    data: { source: { files: seed/ } }\n'));
  assert.deepEqual(custom.map((e) => e.code), ['data-source-mismatch']);
});

test('debugger settings that cannot work are explained with the runtime\'s own values', () => {
  const goApp = (debug: string) => loadManifestText(`version: 1\nproject: { name: g }\napps:\n  api: { runtime: "golang:1.19", run: ./srv, port: 8080, debug: ${debug} }\n`, '/ws/repro.yaml');
  const clash = goApp('{ port: 8080 }').diagnostics.find((d) => d.code === 'port-clash')!;
  assert.equal(clash.hint, 'Give the debugger its own port (golang\'s usual one is 2345).');
  const other = goApp('{ port: 2345, protocol: jdwp }');
  assert.ok(other.manifest, 'a warning, not an error: run may start that debugger itself');
  const w = other.diagnostics.find((d) => d.code === 'debug-protocol')!;
  assert.equal(w.severity, 'warning');
  assert.match(w.message, /app "api" runs golang, whose debugger Repro starts is delve; with debug\.protocol jdwp, Repro starts none/);
  assert.equal(goApp('{ port: 2345, protocol: delve }').diagnostics.length, 0);
});

test('hostile input never throws: deep nesting, aliases bombs, huge keys, binary', () => {
  const bomb = 'a: &a ["x","x","x","x","x","x","x","x","x"]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\nc: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]\nd: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]\ne: [*d,*d,*d,*d,*d,*d,*d,*d,*d]\n';
  const inputs = ['['.repeat(5000), bomb, `${'k'.repeat(100000)}: 1`, '\u0000\u0001\u0002binary', 'version: 1\nproject: 7\n', '- 1\n- 2\n', 'version: 1\nproject: {name: Shop!}\n'];
  for (const text of inputs) {
    const r = loadManifestText(text, 'x');
    assert.equal(r.manifest, undefined);
    assert.ok(r.diagnostics.length > 0, JSON.stringify(text.slice(0, 30)));
  }
});

test('the manifest reference in the README is a manifest Repro accepts', () => {
  const readme = fs.readFileSync(path.join(__dirname, '../../../README.md'), 'utf8');
  const at = readme.indexOf('## The manifest: `repro.yaml`');
  const block = /```yaml\n([\s\S]*?)```/.exec(readme.slice(at));
  assert.ok(at >= 0 && block, 'the README has the annotated repro.yaml');
  const r = loadManifestText(block[1]!, '/ws/repro.yaml');
  assert.deepEqual(r.diagnostics.map((d) => `${d.code}: ${d.message}`), []);
  assert.deepEqual(Object.keys(r.manifest!.services!), ['db', 'cache']);
  assert.ok(r.manifest!.scrub?.key && r.manifest!.environments?.['production']?.url, 'every optional key of the reference is read');
});
