import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { importProject, importableFiles } from '../../extension/core/manifest/importers/detect';
import { manifestToYaml } from '../../extension/core/manifest/importers/write';
import { loadManifestText } from '../../extension/core/manifest/loader';
import { ROOT, tempDir, writeFiles } from './helpers';

const RW = path.join(ROOT, 'test/fixtures/realworld');

/** Lays corpus files out in a fresh project folder the way their repository had them. */
function stage(layout: Record<string, string>): string {
  const dir = tempDir('repro-import-');
  for (const [dst, src] of Object.entries(layout)) {
    fs.mkdirSync(path.dirname(path.join(dir, dst)), { recursive: true });
    fs.cpSync(src, path.join(dir, dst), { recursive: true });
  }
  return dir;
}

function corpus(): { name: string; layout: Record<string, string> }[] {
  const out: { name: string; layout: Record<string, string> }[] = [];
  const up = path.join(RW, 'upsun');
  for (const f of fs.readdirSync(up)) if (f.endsWith('__config.yaml')) out.push({ name: `upsun/${f}`, layout: { '.upsun/config.yaml': path.join(up, f) } });
  const legacy = path.join(up, 'platformsh-legacy');
  for (const p of fs.readdirSync(legacy)) {
    out.push({ name: `platformsh/${p}`, layout: Object.fromEntries(fs.readdirSync(path.join(legacy, p)).map((n) => [n, path.join(legacy, p, n)])) });
  }
  const compose = path.join(RW, 'compose');
  for (const f of fs.readdirSync(compose)) {
    const full = path.join(compose, f);
    out.push({ name: `compose/${f}`, layout: fs.statSync(full).isDirectory() ? Object.fromEntries(fs.readdirSync(full).map((n) => [n, path.join(full, n)])) : { 'compose.yaml': full } });
  }
  const dev = path.join(RW, 'devcontainer');
  for (const p of fs.readdirSync(dev)) out.push({ name: `devcontainer/${p}`, layout: { '.devcontainer': path.join(dev, p, '.devcontainer') } });
  return out;
}

test('every real-world Upsun, Platform.sh, compose and devcontainer case loads into a valid model or gives a located diagnostic', () => {
  const cases = corpus();
  assert.ok(cases.length >= 40, `the corpus has ${cases.length} cases`);
  let imported = 0;
  for (const c of cases) {
    const dir = stage(c.layout);
    const r = importProject(dir);
    assert.ok(r, `${c.name}: a format was detected`);
    for (const d of r.diagnostics) {
      assert.ok(d.message.length > 10, `${c.name}: ${d.code} has a message`);
      assert.ok(fs.existsSync(d.file), `${c.name}: ${d.code} names a real file (${d.file})`);
    }
    if (r.manifest) {
      imported++;
      // What would be written must load back without error.
      const back = loadManifestText(manifestToYaml(r.manifest), path.join(dir, 'repro.yaml'));
      assert.deepEqual(back.diagnostics.filter((d) => d.severity === 'error'), [], `${c.name}: the written repro.yaml validates`);
    } else {
      assert.ok(r.diagnostics.some((d) => d.severity === 'error'), `${c.name}: no model, so an error says why`);
    }
    fs.rmSync(dir, { recursive: true, force: true });
  }
  assert.ok(imported >= 30, `${imported} of ${cases.length} cases gave a model`);
});

test('Upsun: apps with runtime, build, start command and relationships; services at their exact versions; the rest reported by key', () => {
  const dir = stage({ '.upsun/config.yaml': path.join(RW, 'upsun/upsun__demo-js__config.yaml') });
  const r = importProject(dir)!;
  assert.equal(r.format, 'upsun');
  const m = r.manifest!;
  assert.deepEqual(m.services, { database: { type: 'mariadb:10.4' } });
  const node = m.apps!['nodejs_app']!;
  assert.equal(node.runtime, 'nodejs:22', 'the composable stack "nodejs@22" gives the runtime');
  assert.equal(node.run, 'npm run start');
  assert.equal(node.root, 'apps/nodejs');
  assert.match(node.build!, /npm install/);
  assert.deepEqual(node.relationships, { database: 'database' }, 'a null relationship points at the service of its name');
  assert.equal(m.apps!['bun_app']!.runtime, 'bun:1');
  const skipped = r.diagnostics.find((d) => d.path === 'applications.main_app.web.commands.start');
  assert.ok(skipped, 'the static app without a start command is reported at its key');
  assert.equal(skipped.line, 16);
  const deno = r.diagnostics.find((d) => d.path === 'applications.deno_app.type');
  assert.match(deno!.message, /no runtime Repro knows \(stack deno\)/, 'an unversioned stack entry is named');
});

test('Upsun: multi-service projects map aliases to catalogue types and name what has no image', () => {
  const r = importProject(stage({ '.upsun/config.yaml': path.join(RW, 'upsun/platformsh-templates__magentoCE24__config.yaml') }))!;
  assert.deepEqual(r.manifest!.services, {
    db: { type: 'mariadb:10.6' }, cache: { type: 'redis:7.2' }, session: { type: 'redis:7.2' },
    indexer: { type: 'opensearch:2' }, queue: { type: 'rabbitmq:3.13' },
  }, 'redis-persistent becomes redis');
  const gally = importProject(stage({ '.upsun/config.yaml': path.join(RW, 'upsun/Elastic-Suite__gally__config.yaml') }))!;
  const varnish = gally.diagnostics.find((d) => d.path === 'services.varnish.type');
  assert.equal(varnish?.severity, 'warning');
  assert.match(varnish!.message, /varnish:7\.6.*no container image/);
  assert.ok(gally.diagnostics.some((d) => d.code === 'yaml-warning' && /!include/.test(d.message)), 'the custom tag is a warning, not a failure');
});

test('Upsun: every YAML file in .upsun/ is read as one configuration', () => {
  const dir = stage({
    '.upsun/config.yaml': path.join(RW, 'upsun/ralt__distributed-elixir-upsun__config.yaml'),
    '.upsun/routes.yaml': path.join(RW, 'upsun/ralt__distributed-elixir-upsun__routes.yaml'),
  });
  const r = importProject(dir)!;
  assert.equal(r.files.length, 2);
  assert.equal(r.manifest!.apps!['hello_distributed']!.runtime.split(':')[0], 'elixir');
  assert.ok(r.diagnostics.some((d) => d.path === 'routes' && d.file.endsWith('routes.yaml')), 'the routes file\'s key is reported in that file');
});

test('Platform.sh: one .platform.app.yaml per folder, each folder its app\'s root, services from .platform/services.yaml', () => {
  const base = path.join(RW, 'upsun/platformsh-legacy/upsun__service-examples');
  const dir = stage(Object.fromEntries(fs.readdirSync(base).map((n) => [n, path.join(base, n)])));
  const r = importProject(dir)!;
  assert.equal(r.format, 'platformsh');
  assert.deepEqual(Object.keys(r.manifest!.apps!).sort(), ['golang', 'java', 'main', 'nodejs', 'php', 'python']);
  assert.equal(r.manifest!.apps!['nodejs']!.root, 'nodejs');
  assert.equal(r.manifest!.services!['oraclemysql']!.type, 'mysql:8.0', 'oracle-mysql is MySQL');
  assert.ok(r.diagnostics.some((d) => d.path === 'headlesschrome.type' && d.file.endsWith('services.yaml') && d.line > 0));
});

test('Platform.sh: applications.yaml and a relationship written "service:endpoint"', () => {
  const base = path.join(RW, 'upsun/platformsh-legacy/platformsh-templates__golang');
  const r = importProject(stage(Object.fromEntries(fs.readdirSync(base).map((n) => [n, path.join(base, n)]))))!;
  assert.equal(r.manifest!.apps!['app']!.runtime, 'golang:1.22');
  assert.deepEqual(r.manifest!.apps!['app']!.relationships, { database: 'db:mysql' });
  assert.equal(r.manifest!.services!['db']!.type, 'mariadb:11.2');
  const routes = r.diagnostics.find((d) => d.file.endsWith(path.join('.platform', 'routes.yaml')));
  assert.equal(routes?.code, 'not-carried-over', 'routes.yaml is named, not silently dropped');
});

test('compose: database images become services at their tag\'s version, the exact image kept; unpinned and unknown images are named', () => {
  const r = importProject(stage({ 'compose.yaml': path.join(RW, 'compose/netbox-community__netbox-docker__docker-compose.yml') }))!;
  assert.deepEqual(r.manifest!.services!['postgres'], { type: 'postgresql:16', image: 'postgres:16-alpine' }, '"docker.io/postgres:16-alpine"');
  assert.deepEqual(r.manifest!.services!['redis'], { type: 'valkey:8.0', image: 'valkey/valkey:8.0-alpine' });
  const unpinned = importProject(stage({ 'compose.yaml': path.join(RW, 'compose/docker__awesome-compose__postgresql-pgadmin__compose.yaml') }))!;
  const w = unpinned.diagnostics.find((d) => d.code === 'unpinned-image')!;
  assert.equal(w.path, 'services.postgres.image');
  assert.match(w.hint!, /postgres:16/);
  assert.equal(unpinned.manifest, undefined);
  assert.ok(unpinned.diagnostics.some((d) => d.code === 'nothing-imported' && d.severity === 'error'));
});

test('compose: ${VAR:-default} and .env values are interpolated; a variable with no value is named', () => {
  const dir = writeFiles(tempDir(), {
    'compose.yaml': 'services:\n  db:\n    image: postgres:${PG:-15.4}-alpine\n  cache:\n    image: redis:${REDIS_VERSION}\n  queue:\n    image: rabbitmq:${MQ}\n',
    '.env': 'REDIS_VERSION=7.2\n',
  });
  const r = importProject(dir)!;
  assert.deepEqual(r.manifest!.services, { db: { type: 'postgresql:15.4', image: 'postgres:15.4-alpine' }, cache: { type: 'redis:7.2' } });
  const d = r.diagnostics.find((x) => x.code === 'unresolved-variable')!;
  assert.equal(d.path, 'services.queue.image');
  assert.match(d.message, /\$\{MQ\}/);
  assert.equal(d.line, 7);
});

test('compose: a service that builds the project\'s code becomes an app, its runtime, command and port read from the Dockerfile', () => {
  const dir = writeFiles(tempDir(), {
    'compose.yaml': [
      'services:', '  web:', '    build: ./web', '    environment:', '      - LOG_LEVEL=debug', '    depends_on: [db, mail]',
      '  db:', '    image: postgres:15', '  mail:', '    image: axllent/mailpit', '',
    ].join('\n'),
    'web/Dockerfile': 'FROM node:20.11-bookworm AS base\nWORKDIR /app\nFROM base\nEXPOSE 3000\nCMD ["node", "server.js"]\n',
  });
  const r = importProject(dir)!;
  assert.deepEqual(r.manifest!.apps!['web'], {
    runtime: 'nodejs:20.11', image: 'node:20.11-bookworm', run: 'node server.js', root: 'web', port: 3000,
    debug: { port: 9229 }, env: { LOG_LEVEL: 'debug' }, relationships: { db: 'db' },
  });
  assert.ok(r.diagnostics.some((d) => d.path === 'services.mail.image' && d.code === 'unmapped-service'));
});

test('devcontainer: JSON with comments pointing at compose; a missing compose file is named at its line', () => {
  const base = path.join(RW, 'devcontainer/devcontainers__templates__php-mariadb/.devcontainer');
  const r = importProject(stage({ '.devcontainer': base }))!;
  assert.equal(r.format, 'devcontainer');
  assert.deepEqual(r.manifest!.services, { db: { type: 'mariadb:10.4' } });
  assert.equal(r.files.length, 2, 'devcontainer.json and its compose file');
  const missing = importProject(stage({ '.devcontainer': path.join(RW, 'devcontainer/devcontainers__templates__docker-existing-docker-compose/.devcontainer') }))!;
  const d = missing.diagnostics.find((x) => x.code === 'missing-compose')!;
  assert.equal(d.severity, 'error');
  assert.match(d.message, /"\.\.\/docker-compose\.yml" named in dockerComposeFile does not exist/);
  assert.ok(d.line > 1);
  const single = importProject(stage({ '.devcontainer': path.join(RW, 'devcontainer/metalbear-co__mirrord-vscode/.devcontainer') }))!;
  assert.equal(single.diagnostics[0]!.code, 'no-compose');
});

test('devcontainer: the dev container\'s image gives the app its runtime', () => {
  const dir = writeFiles(tempDir(), {
    '.devcontainer/devcontainer.json': '// dev\n{ "dockerComposeFile": "compose.yml", "service": "app", }\n',
    '.devcontainer/compose.yml': 'services:\n  app:\n    image: mcr.microsoft.com/devcontainers/javascript-node:1-20-bookworm\n    command: npm start\n    depends_on: [db]\n  db:\n    image: postgres:16.2\n',
  });
  const r = importProject(dir)!;
  assert.deepEqual(r.manifest!.apps!['app'], { runtime: 'nodejs:20', run: 'npm start', debug: { port: 9229 }, relationships: { db: 'db' } });
});

test('detection order and hostile input: broken files give errors, never exceptions', () => {
  assert.equal(importableFiles(tempDir()), undefined);
  const both = writeFiles(tempDir(), { '.upsun/config.yaml': 'services: {}\n', 'compose.yaml': 'services: {}\n' });
  assert.equal(importableFiles(both)!.format, 'upsun', 'Upsun describes production; it wins over compose');
  const cases: Record<string, string>[] = [
    { 'compose.yaml': 'services: [\n' },
    { 'compose.yaml': 'just a string\n' },
    { 'compose.yaml': 'services:\n  db:\n    image: "postgres:15\x00"\n' },
    { '.upsun/config.yaml': 'applications: 42\nservices: [1, 2]\n' },
    { '.upsun/config.yaml': 'a: &a [*a]\n' },
    { '.platform.app.yaml': '- not a mapping\n' },
    { '.devcontainer/devcontainer.json': '{ "dockerComposeFile": [1, {}], ' },
    { '.devcontainer/devcontainer.json': '{ "dockerComposeFile": "../../../../etc/passwd" }' }, // outside the project: refused
    { 'compose.yaml': `x: &a ["${'lol'.repeat(10)}"]\n${Array.from({ length: 12 }, (_, i) => `l${i + 1}: &l${i + 1} [${Array(10).fill(`*${i ? `l${i}` : 'a'}`).join(',')}]`).join('\n')}\nservices: {}\n` },
  ];
  for (const files of cases) {
    const r = importProject(writeFiles(tempDir(), files));
    assert.ok(r, JSON.stringify(files).slice(0, 60));
    assert.equal(r.manifest, undefined, JSON.stringify(files).slice(0, 60));
    assert.ok(r.diagnostics.some((d) => d.severity === 'error'), `an error for ${JSON.stringify(files).slice(0, 60)}`);
  }
});

test('names that are not host names are renamed, and the rename is reported', () => {
  const dir = writeFiles(tempDir(), { 'compose.yaml': 'services:\n  My_DB:\n    image: postgres:15\n' });
  const r = importProject(dir)!;
  assert.deepEqual(Object.keys(r.manifest!.services!), ['my_db']);
  assert.match(r.diagnostics.find((d) => d.code === 'renamed')!.message, /"My_DB" is named "my_db"/);
});
