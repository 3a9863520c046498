import assert from 'node:assert/strict';
import { test } from 'node:test';
import { serviceKind } from '../../extension/core/manifest/catalogue';
import { loadManifestText } from '../../extension/core/manifest/loader';
import type { Manifest } from '../../extension/core/manifest/schema';
import { selfHealthCheck } from '../../extension/core/stack/engineConnection';
import { besideAppEnv } from '../../extension/core/stack/nodeDebug';
import { parseMemory, planSession, STEADY_HEALTH_INTERVAL_MS } from '../../extension/core/stack/plan';
import { containerCreateOptions, healthTest } from '../../extension/core/stack/up';

const manifest = (): Manifest => {
  const r = loadManifestText(`version: 1
project: { name: shop }
apps:
  web:
    runtime: nodejs:20
    build: npm ci
    run: node server.js
    port: 3000
    debug: { port: 9229 }
    env: { LOG_LEVEL: debug }
    relationships: { database: db, cache: cache }
    resources: { memory: 512M, cpus: 1.5 }
services:
  db: { type: "postgresql:15.4" }
  cache: { type: "redis:7.2" }
  search: { type: "opensearch:2" }
`, 'x');
  assert.ok(r.manifest, JSON.stringify(r.diagnostics));
  return r.manifest;
};

test('the plan isolates the session: apps and services on the internal network only, a gateway publishes', () => {
  const plan = planSession(manifest(), { session: 's1', sourceDir: '/src', gatewayImage: 'busybox:latest' });
  assert.deepEqual(plan.networks.map((n) => [n.name, n.internal]), [['repro-s1-internal', true], ['repro-s1-edge', false]]);
  for (const c of plan.containers.filter((x) => x.role !== 'gateway')) {
    assert.deepEqual(c.networks, ['repro-s1-internal'], `${c.name} must have no network with a way out`);
    assert.deepEqual(c.ports, []);
  }
  const gw = plan.containers.find((c) => c.role === 'gateway')!;
  assert.equal(gw.image, 'busybox:latest');
  assert.deepEqual(gw.networks, ['repro-s1-edge', 'repro-s1-internal']);
  assert.ok(gw.ports.every((p) => p.hostIp === '127.0.0.1' && p.hostPort === 0), 'published on loopback, port chosen at start');
  assert.deepEqual(plan.published.map((p) => [p.entry, p.name, p.targetPort]), [['web', 'http', 3000], ['web', 'debug', 9229]]);
  assert.match(gw.cmd!.join(' '), /nc -ll -p 3000 -e nc web 3000 &.*nc -ll -p 9229 -e nc web 9229 &/);
});

test('two apps on the same port get distinct gateway ports', () => {
  const m = manifest();
  m.apps!.admin = { runtime: 'nodejs:20', run: 'node admin.js', port: 3000 };
  const plan = planSession(m, { session: 's1' });
  assert.deepEqual(plan.published.map((p) => [p.entry, p.targetPort, p.containerPort]), [['web', 3000, 3000], ['web', 9229, 9229], ['admin', 3000, 3001]]);
});

test('exact images from the catalogue, relationships as env vars, debugger and resources', () => {
  const plan = planSession(manifest(), { session: 's1', sourceDir: '/src' });
  const by = (e: string) => plan.containers.find((c) => c.entry === e)!;
  assert.equal(by('db').image, 'postgres:15.4');
  assert.equal(by('cache').image, 'redis:7.2');
  assert.equal(by('search').image, 'opensearchproject/opensearch:2');
  const web = by('web');
  assert.equal(web.image, 'node:20');
  assert.equal(web.env.DATABASE_URL, 'postgresql://main:main@db:5432/main');
  assert.equal(web.env.CACHE_URL, 'redis://cache:6379');
  assert.equal(web.env.DATABASE_HOST, 'db');
  assert.equal(web.env.LOG_LEVEL, 'debug');
  assert.equal(web.env.PORT, '3000');
  assert.match(web.env.NODE_OPTIONS ?? '', /--inspect=0\.0\.0\.0:9229/);
  assert.deepEqual(Object.keys(JSON.parse(web.env.REPRO_RELATIONSHIPS!)), ['database', 'cache']);
  assert.deepEqual(web.cmd, ['sh', '-c', 'npm ci && exec node server.js']);
  assert.deepEqual(web.mounts, [{ type: 'bind', source: '/src', target: '/app', readOnly: false }]);
  assert.deepEqual(web.resources, { memoryBytes: 512 * 1024 ** 2, nanoCpus: 1.5e9 });
  assert.deepEqual(by('db').health?.test.slice(0, 1), ['pg_isready']);
});

test('a run command that starts with exec is not given a second one (sh cannot run "exec exec")', () => {
  const r = loadManifestText('version: 1\nproject: { name: s }\napps:\n  web: { runtime: "nodejs:20", run: exec node server.js }\n', 'x');
  assert.deepEqual(planSession(r.manifest!, { session: 's' }).containers.find((c) => c.entry === 'web')!.cmd, ['sh', '-c', 'exec node server.js']);
});

test('RabbitMQ runs its management image however the version names it', () => {
  const image = (v: string) => serviceKind('rabbitmq')!.image(v);
  assert.deepEqual(['3.13', '3.13.7', '3.13-alpine', '3.13-management', '3.13-management-alpine'].map(image),
    ['rabbitmq:3.13-management', 'rabbitmq:3.13.7-management', 'rabbitmq:3.13-management-alpine', 'rabbitmq:3.13-management', 'rabbitmq:3.13-management-alpine']);
});

test('start order: independent services first and together (with the gateway, which needs nothing), the app after them', () => {
  const plan = planSession(manifest(), { session: 's1' });
  assert.deepEqual(plan.waves, [['repro-s1-cache', 'repro-s1-db', 'repro-s1-search', 'repro-s1-gateway'], ['repro-s1-web']]);
});

test('every resource carries the session labels and a data volume per stateful service', () => {
  const plan = planSession(manifest(), { session: 's1', incident: 'INC-42' });
  for (const r of [...plan.containers, ...plan.networks, ...plan.volumes]) {
    assert.equal(r.labels['dev.repro.session'], 's1');
    assert.equal(r.labels['dev.repro.incident'], 'INC-42');
  }
  assert.deepEqual(plan.volumes.map((v) => v.name), ['repro-s1-db-data', 'repro-s1-cache-data', 'repro-s1-search-data']);
});

test('the plan is a pure function of the manifest', () => {
  assert.deepEqual(planSession(manifest(), { session: 'a' }), planSession(manifest(), { session: 'a' }));
});

test('bad session names are refused before anything is planned', () => {
  for (const bad of ['', 'UPPER', '../x', 'a b', 'x'.repeat(60), '-lead']) {
    assert.throws(() => planSession(manifest(), { session: bad }), /invalid session name/);
  }
});

test('memory sizes read as Docker reads them', () => {
  assert.equal(parseMemory('512M'), 536870912);
  assert.equal(parseMemory('2g'), 2 * 1024 ** 3);
  assert.equal(parseMemory('1.5Gi'), 1.5 * 1024 ** 3);
  assert.throws(() => parseMemory('lots'));
});

test('health checks: start-up pace while a container starts, a steady pace after (each check is an exec)', () => {
  const plan = planSession(manifest(), { session: 's1' });
  const db = plan.containers.find((c) => c.entry === 'db')!;
  // An engine with a start interval (Docker, API 1.44 and later) checks fast until the first pass.
  const fast = containerCreateOptions(db).Healthcheck as Record<string, unknown>;
  assert.equal(fast.StartInterval, 200e6);
  assert.equal(fast.Interval, STEADY_HEALTH_INTERVAL_MS * 1e6);
  assert.equal(fast.StartPeriod, 120e9, 'start-up failures count only after the longest start waited for');
  assert.equal(fast.Retries, 3);
  // Without one, readiness is checked through exec and the engine gets no field it lacks.
  const own = containerCreateOptions(db, { selfHealthCheck: true }).Healthcheck as Record<string, unknown>;
  assert.equal(own.StartInterval, undefined);
  assert.equal(own.Interval, STEADY_HEALTH_INTERVAL_MS * 1e6);
  for (const c of plan.containers.filter((x) => x.health)) assert.ok(c.health!.intervalMs >= 5000, `${c.entry} is checked every ${c.health!.intervalMs} ms once started`);
});

test('readiness is checked through exec on engines without a start interval: Podman, Docker before API 1.44', () => {
  assert.equal(selfHealthCheck({ engine: 'podman', apiVersion: '1.41' }), true);
  assert.equal(selfHealthCheck({ engine: 'podman', apiVersion: '1.45' }), true, 'Podman without systemd runs no checks at all');
  assert.equal(selfHealthCheck({ engine: 'docker', apiVersion: '1.41' }), true);
  assert.equal(selfHealthCheck({ engine: 'docker', apiVersion: '1.43' }), true);
  assert.equal(selfHealthCheck({ engine: 'docker', apiVersion: '1.44' }), false);
  assert.equal(selfHealthCheck({ engine: 'docker', apiVersion: '1.51' }), false);
});

test('health checks are stored so that no engine splits their arguments (Podman 4.3 splits a CMD argument at its spaces)', () => {
  assert.deepEqual(healthTest(['pg_isready', '-h', '127.0.0.1']), ['CMD', 'pg_isready', '-h', '127.0.0.1']);
  assert.deepEqual(healthTest(['sh', '-c', 'grep -q x /proc/net/tcp && true']), ['CMD-SHELL', 'grep -q x /proc/net/tcp && true']);
  assert.deepEqual(healthTest(['python', '-c', "import socket; socket.create_connection(('127.0.0.1', 80), 1)"]),
    ['CMD-SHELL', `python -c 'import socket; socket.create_connection(('\\''127.0.0.1'\\'', 80), 1)'`]);
  // Every check the sample plans, as the engine gets it: no CMD argument with whitespace.
  for (const c of planSession(manifest(), { session: 's1' }).containers.filter((x) => x.health)) {
    const t = containerCreateOptions(c).Healthcheck!.Test!;
    assert.ok(t[0] === 'CMD-SHELL' ? t.length === 2 : t.slice(1).every((a) => !/\s/.test(a)), `${c.entry}: ${JSON.stringify(t)}`);
  }
});

test('a command beside a Node app gets NODE_OPTIONS without Repro\'s --inspect, and keeps the app\'s own options', () => {
  const web = planSession(manifest(), { session: 's1' }).containers.find((c) => c.entry === 'web')!;
  const env = Object.entries(web.env).map(([k, v]) => `${k}=${v}`);
  assert.deepEqual(besideAppEnv(env), ['NODE_OPTIONS=']);
  assert.deepEqual(besideAppEnv(['NODE_OPTIONS=--max-old-space-size=512 --inspect=0.0.0.0:9229 --enable-source-maps']), ['NODE_OPTIONS=--max-old-space-size=512 --enable-source-maps']);
  assert.deepEqual(besideAppEnv(['NODE_OPTIONS=--inspect=127.0.0.1:9229']), [], 'an --inspect of the app\'s own is the app\'s');
  assert.deepEqual(besideAppEnv(['PATH=/bin']), []);
});
