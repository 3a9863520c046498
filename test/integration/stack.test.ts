// The stack code on a real engine (no mocks): the sample project (test/fixtures/sample-shop: a
// Node app + PostgreSQL + Redis) planned from its repro.yaml, started by up(), checked the way
// a user checks it (HTTP on the published port, the debugger, the incident's 500), inspected
// for isolation, and taken down by removeSession. Then what goes wrong: no engine, an image
// that is missing with no registry, host ports already taken, an app that crashes or never
// listens, a cancel, a crashed session left behind. Every failure must say what happened and
// leave nothing on the engine: after each one the test asks the engine itself for containers,
// networks and volumes labelled with the session.
//
// Needs a running engine and the images of scripts/provision/images.sh (npm test provisions
// both). npm test runs this file on Docker (integration phase) and again on Podman (podman
// phase: DOCKER_HOST=unix:///run/podman/podman.sock, see scripts/provision/podman.sh); where
// the two engines' answers differ in form, the assertion says so. Traffic goes only to the engine's socket, 127.0.0.1 and the test's own containers;
// the one exception is the engine's own attempt to pull a missing image, which fails at the
// name lookup (no registry is reachable here) and is the behaviour under test.
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, test } from 'node:test';
import type Docker from 'dockerode';
import type { Manifest } from '../../extension/core/manifest/schema';
import { execIn, lastLogLines, streamLogs } from '../../extension/core/stack/containerIo';
import { connectEngine, EngineUnavailableError, selfHealthCheck as selfCheckOf, type EngineKind } from '../../extension/core/stack/engineConnection';
import { ContainerFailedError } from '../../extension/core/stack/health';
import { ImageUnavailableError } from '../../extension/core/stack/images';
import { LABEL } from '../../extension/core/stack/labels';
import { planSession, type Plan } from '../../extension/core/stack/plan';
import type { EngineInfo } from '../../extension/core/stack/checkedHealth';
import { listSessions, removeSession } from '../../extension/core/stack/teardown';
import { CancelledError, containerCreateOptions, SessionExistsError, up, type RunningStack, type StackEvent, type UpOptions } from '../../extension/core/stack/up';
import { runCli } from '../unit/cliHarness';
import { get } from './localHttp';
import { sampleManifest } from './sampleManifest';

const ROOT = path.resolve(__dirname, '../../..');
const SAMPLE = path.join(ROOT, 'test/fixtures/sample-shop');
/** The gateway image the provisioning script tags (the plan's default pins a busybox version). */
const GATEWAY_IMAGE = 'busybox:latest';
const IMAGES = ['postgres:15', 'redis:7', 'node:20', GATEWAY_IMAGE];

const RUN = `its${Date.now().toString(36)}`;
const sessions = new Set<string>();
/** A fresh session name for one test; the file's `after` collects it if the test could not. */
const sessionName = (what: string): string => {
  const name = `${RUN}-${what}`;
  sessions.add(name);
  return name;
};

let docker: Docker | undefined;
/**
 * As the extension and the CLI do: where the engine runs no health checks (Podman without
 * systemd, which scripts/test-all.sh's podman phase runs these tests on), up() runs them.
 */
let selfHealthCheck = false;
let kind: EngineKind = 'docker';
let engineInfo: EngineInfo = { engine: 'docker', apiVersion: '' };
const engine = (): Docker => {
  assert.ok(docker, 'no engine connection (see the first failure)');
  return docker;
};

/** dist/cli.js run as a user runs it, in the sample project, with `input` as its stdin. */
function cliProcess(args: string[], input: string): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, [path.join(ROOT, 'dist/cli.js'), ...args], { cwd: SAMPLE, stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    p.stdout.on('data', (d: Buffer) => { out += d.toString(); });
    p.stderr.on('data', (d: Buffer) => { err += d.toString(); });
    p.on('error', reject);
    p.on('close', (code) => resolve({ code, out, err }));
    p.stdin.end(input);
  });
}

before(async () => {
  const conn = await connectEngine({});
  docker = conn.docker;
  kind = conn.engine;
  engineInfo = conn;
  selfHealthCheck = selfCheckOf(conn);
  for (const ref of IMAGES) {
    await docker.getImage(ref).inspect().catch(() => {
      throw new Error(`image ${ref} is missing on the engine: run "bash scripts/provision/images.sh" (npm test does it)`);
    });
  }
});

after(async () => {
  if (!docker) return;
  for (const s of sessions) await removeSession(docker, s, { graceSeconds: 0 }).catch(() => undefined);
});

// ---------------------------------------------------------------------------------- helpers


function samplePlan(session: string, edit?: (m: Manifest) => void): Plan {
  return planSession(sampleManifest(edit), { session, sourceDir: SAMPLE, gatewayImage: GATEWAY_IMAGE });
}

interface EngineObjects { containers: string[]; networks: string[]; volumes: string[] }

/** What the engine holds with the session's label, asked directly (not through the code under test). */
async function labelled(session: string): Promise<EngineObjects> {
  const filters = { label: [`${LABEL.session}=${session}`] };
  const d = engine();
  const [c, n, v] = await Promise.all([
    d.listContainers({ all: true, filters }),
    d.listNetworks({ filters }),
    d.listVolumes({ filters }),
  ]);
  return {
    containers: c.map((x) => `${(x.Names[0] ?? x.Id).replace(/^\//, '')} (${x.State})`).sort(),
    networks: n.map((x) => x.Name).sort(),
    volumes: (v.Volumes ?? []).map((x) => x.Name).sort(),
  };
}

async function assertNothingLeft(session: string): Promise<void> {
  assert.deepEqual(await labelled(session), { containers: [], networks: [], volumes: [] }, `leftovers of session ${session}`);
}

/**
 * Every volume the session's containers mount, labelled or not: an image's anonymous volumes
 * carry no session label, so only this finds them (the engine may be shared with other tests).
 */
async function mountedVolumes(session: string): Promise<string[]> {
  const d = engine();
  const list = await d.listContainers({ all: true, filters: { label: [`${LABEL.session}=${session}`] } });
  const names = new Set<string>();
  for (const c of list) {
    for (const m of (await d.getContainer(c.Id).inspect()).Mounts) if (m.Type === 'volume' && m.Name) names.add(m.Name);
  }
  return [...names].sort();
}

async function assertVolumesGone(names: string[]): Promise<void> {
  for (const v of names) {
    await assert.rejects(engine().getVolume(v).inspect(), (e: { statusCode?: number }) => e.statusCode === 404, `volume ${v} left behind`);
  }
}

/** Starts a session and always removes it, whatever the test body does. */
async function withStack(session: string, plan: Plan, opts: UpOptions, body: (stack: RunningStack) => Promise<void>): Promise<void> {
  let volumes: string[] = [];
  try {
    const stack = await up(engine(), plan, { selfHealthCheck, ...opts });
    volumes = await mountedVolumes(session);
    await body(stack);
  } finally {
    await removeSession(engine(), session);
  }
  await assertNothingLeft(session);
  await assertVolumesGone(volumes);
}

/** Runs up() expecting it to fail; returns the error and the events it emitted. */
async function upFails(plan: Plan, opts: UpOptions = {}): Promise<{ error: unknown; events: StackEvent[]; ms: number }> {
  const events: StackEvent[] = [];
  const t0 = performance.now();
  try {
    await up(engine(), plan, { selfHealthCheck, ...opts, onEvent: (e) => { events.push(e); opts.onEvent?.(e); } });
  } catch (error) {
    return { error, events, ms: performance.now() - t0 };
  }
  assert.fail(`up() of ${plan.session} succeeded; expected it to fail`);
}


function published(stack: RunningStack, name: 'http' | 'debug'): number {
  const p = stack.published.find((x) => x.entry === 'web' && x.name === name);
  assert.ok(p, `web's ${name} port is not published: ${JSON.stringify(stack.published)}`);
  assert.equal(p.hostIp, '127.0.0.1');
  assert.ok(p.hostPort > 0, `web's ${name} port has no host port`);
  return p.hostPort;
}

function idOf(stack: RunningStack, entry: string): string {
  const c = stack.containers.find((x) => x.entry === entry);
  assert.ok(c, `no container for ${entry}`);
  return c.id;
}

/**
 * The sample's data: repro.yaml restores `data/production.sql` into db (the product's data
 * step also scrubs it; the shape of the names, which the incident depends on, survives either
 * way). Done here as the sample's README does by hand: the dump copied into the container,
 * then psql.
 */
async function restoreProductionDump(dbId: string): Promise<void> {
  const tar = execFileSync('tar', ['-c', '-C', path.join(SAMPLE, 'data'), 'production.sql']);
  await engine().getContainer(dbId).putArchive(tar, { path: '/tmp' });
  const r = await execIn(engine(), dbId, ['psql', '-U', 'main', '-d', 'main', '-v', 'ON_ERROR_STOP=1', '-q', '-f', '/tmp/production.sql']);
  assert.equal(r.exitCode, 0, `restoring production.sql failed:\n${r.stderr}${r.stdout}`);
}

/** Listens on 127.0.0.1:port, answering every connection with `banner`; undefined when the port is taken already. */
function occupy(port: number, banner: string): Promise<net.Server | undefined> {
  return new Promise((resolve) => {
    const srv = net.createServer((s) => s.end(banner));
    srv.once('error', () => resolve(undefined));
    srv.listen(port, '127.0.0.1', () => resolve(srv));
  });
}

function readBanner(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    let got = '';
    const s = net.connect(port, '127.0.0.1');
    s.setEncoding('utf8');
    s.on('data', (c: string) => { got += c; });
    s.on('end', () => resolve(got));
    s.on('error', reject);
    s.setTimeout(5000, () => s.destroy(new Error('timeout')));
  });
}

/** True when nothing accepts connections on 127.0.0.1:port (or the peer closes without a word). */
async function closedOrSilent(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1');
    s.on('error', () => resolve(true));
    s.on('connect', () => { s.destroy(); resolve(false); });
  });
}

// ------------------------------------------------------------------------------ the stack

test('the sample stack comes up: the app answers on its published port, reaches db and cache by name, the incident reproduces, the inspector answers', { timeout: 90_000 }, async () => {
  const session = sessionName('up');
  const events: StackEvent[] = [];
  await withStack(session, samplePlan(session), { onEvent: (e) => events.push(e) }, async (stack) => {
    assert.equal(stack.session, session);
    assert.deepEqual(stack.containers.map((c) => [c.entry, c.role]).sort(), [['cache', 'service'], ['db', 'service'], ['gateway', 'gateway'], ['web', 'app']]);
    for (const c of stack.containers) {
      assert.match(c.id, /^[0-9a-f]{64}$/);
      assert.match(c.image.id, /^sha256:/);
    }
    // the data directories are the plan's labelled volumes, no anonymous ones beside them
    assert.deepEqual(await mountedVolumes(session), [`repro-${session}-cache-data`, `repro-${session}-db-data`]);
    // every container reported a final state of its own
    for (const entry of ['db', 'cache', 'web', 'gateway']) {
      const last = events.filter((e): e is Extract<StackEvent, { type: 'container' }> => e.type === 'container' && e.entry === entry).at(-1);
      assert.equal(last?.state, 'healthy', `${entry}: ${JSON.stringify(last)}`);
    }
    const port = published(stack, 'http');
    const debugPort = published(stack, 'debug');
    assert.notEqual(port, debugPort);

    // usable the moment up() returns: /health queries PostgreSQL (SELECT 1) and Redis (PING) by name
    const root = await get(port, '/');
    assert.equal(root.status, 200, root.body);
    assert.deepEqual(JSON.parse(root.body), { name: 'shop', version: '1.4.0' });
    const health = await get(port, '/health');
    assert.equal(health.status, 200, health.body);
    assert.deepEqual(JSON.parse(health.body), { ok: true });

    // with the manifest's data in db: a badge renders, and the incident's request fails as in production
    await restoreProductionDump(idOf(stack, 'db'));
    const ok = await get(port, '/customers/42/badge');
    assert.equal(ok.status, 200, ok.body);
    assert.match(ok.type, /^image\/svg\+xml/);
    assert.match(ok.body, /aria-label="Ivana Kovačević"/);
    const crash = await get(port, '/customers/137/badge');
    assert.equal(crash.status, 500, crash.body);
    assert.deepEqual(JSON.parse(crash.body), { error: 'internal server error' });

    // the badge view was counted in Redis (the app reached it by the name "cache")
    const views = await execIn(engine(), idOf(stack, 'cache'), ['redis-cli', 'GET', 'badge:views:42']);
    assert.equal(views.exitCode, 0, views.stderr);
    assert.equal(views.stdout.trim(), '1');

    // the app's log shows the incident's stack trace (stderr kept apart from stdout)
    const lines: { stream: string; text: string }[] = [];
    await streamLogs(engine(), idOf(stack, 'web'), (l) => lines.push(l));
    assert.ok(lines.some((l) => l.stream === 'stdout' && /shop 1\.4\.0 listening on :3000/.test(l.text)), JSON.stringify(lines));
    assert.ok(lines.some((l) => l.stream === 'stdout' && l.text.startsWith('GET /customers/42/badge 200')), JSON.stringify(lines));
    const errors = lines.filter((l) => l.stream === 'stderr').map((l) => l.text).join('\n');
    assert.match(errors, /GET \/customers\/137\/badge failed:\nTypeError: Cannot set properties of undefined \(setting 'width'\)\n\s+at measure \(\/app\/src\/badge\.js:40:21\)/);

    // the inspector, published on 127.0.0.1 too
    const version = await get(debugPort, '/json/version');
    assert.equal(version.status, 200, version.body);
    assert.match(JSON.parse(version.body).Browser as string, /^node\.js\/v20\./);
    const targets = JSON.parse((await get(debugPort, '/json/list')).body) as { webSocketDebuggerUrl?: string }[];
    assert.ok(targets.some((t) => /^ws:\/\//.test(t.webSocketDebuggerUrl ?? '')), JSON.stringify(targets));
  });
});

test('isolation by inspection: apps and services only on internal networks, only the gateway on the edge network, ports on 127.0.0.1 only', { timeout: 90_000 }, async () => {
  const session = sessionName('isolation');
  await withStack(session, samplePlan(session), {}, async (stack) => {
    const d = engine();
    const networks = new Map<string, Docker.NetworkInspectInfo>();
    const networkOf = async (name: string) => {
      let n = networks.get(name);
      if (!n) { n = await d.getNetwork(name).inspect() as Docker.NetworkInspectInfo; networks.set(name, n); }
      return n;
    };
    let gatewayId = '';
    for (const c of stack.containers) {
      const info = await d.getContainer(c.id).inspect();
      const joined = Object.keys(info.NetworkSettings.Networks);
      assert.ok(joined.length > 0, `${c.name} is on no network`);
      for (const name of joined) assert.ok(name.startsWith(`repro-${session}-`), `${c.name} joined ${name}, a network of no session`);
      // Docker names the network the container was created on; Podman's Docker API reports
      // the mode ("bridge") for any bridge network, named or not: the networks joined are above.
      const mode = info.HostConfig.NetworkMode ?? '';
      assert.ok(mode.startsWith(`repro-${session}-`) || (kind === 'podman' && mode === 'bridge'), `${c.name}: NetworkMode ${mode}`);
      assert.equal(info.HostConfig.Privileged, false, `${c.name} is privileged`);
      // Podman lists each port the image exposes with a null binding (published nowhere).
      const bindings = Object.values(info.HostConfig.PortBindings ?? {}).flat().filter(Boolean) as { HostIp?: string }[];
      const live = Object.values(info.NetworkSettings.Ports ?? {}).flat().filter(Boolean) as { HostIp: string }[];
      if (c.role === 'gateway') {
        gatewayId = c.id;
        assert.ok(bindings.length === 2 && live.length === 2, `gateway publishes http and debug: ${JSON.stringify(live)}`);
        for (const b of [...bindings, ...live]) assert.equal(b.HostIp, '127.0.0.1', `${c.name} publishes on ${b.HostIp}`);
        const kinds = await Promise.all(joined.map(async (n) => (await networkOf(n)).Internal));
        assert.deepEqual(kinds.sort(), [false, true], `the gateway joins the edge and the internal network: ${joined.join(', ')}`);
      } else {
        assert.deepEqual(bindings, [], `${c.name} (${c.role}) publishes ports itself`);
        assert.deepEqual(live, [], `${c.name} (${c.role}) has live port bindings`);
        for (const name of joined) assert.equal((await networkOf(name)).Internal, true, `${c.name} (${c.role}) is on ${name}, which is not internal`);
      }
    }
    // the session's networks: exactly one is not internal, and only the gateway is on it
    const sessionNetworks = await d.listNetworks({ filters: { label: [`${LABEL.session}=${session}`] } });
    const open = sessionNetworks.filter((n) => !n.Internal);
    assert.deepEqual(open.map((n) => n.Name), [`repro-${session}-edge`]);
    const onEdge = Object.keys((await d.getNetwork(open[0]!.Id).inspect() as Docker.NetworkInspectInfo).Containers ?? {});
    assert.deepEqual(onEdge, [gatewayId], 'only the gateway joins the edge network');
    assert.deepEqual(sessionNetworks.filter((n) => n.Internal).map((n) => n.Name), [`repro-${session}-internal`]);

    // The same, seen from inside, without leaving the machine: a peer on the edge network is one
    // routed hop away from the internal network, as anything off the machine would be. The
    // gateway (on the edge) reaches it; the app and the database (internal only) cannot.
    const edge = `repro-${session}-edge`;
    const peer = await d.createContainer({
      name: `repro-${session}-peer`, Image: GATEWAY_IMAGE, Cmd: ['nc', '-ll', '-p', '8080', '-e', 'echo', 'peer'],
      Labels: { [LABEL.session]: session }, HostConfig: { NetworkMode: edge },
    });
    await peer.start();
    const peerIp = (await peer.inspect()).NetworkSettings.Networks[edge]?.IPAddress;
    assert.ok(peerIp, 'the peer has an address on the edge network');
    let reply = '';
    for (let i = 0; i < 20 && reply !== 'peer'; i++) {
      if (i) await new Promise((r) => setTimeout(r, 100));
      reply = (await execIn(d, gatewayId, ['nc', '-w', '2', peerIp, '8080'])).stdout.trim();
    }
    assert.equal(reply, 'peer', 'the gateway reaches a peer on the edge network');
    const fromApp = await execIn(d, idOf(stack, 'web'), ['node', '-e',
      `require('net').connect(8080, '${peerIp}').on('connect', () => process.exit(0)).on('error', (e) => { console.log(e.code); process.exit(1); });` +
      `setTimeout(() => { console.log('timeout'); process.exit(2); }, 1000);`], { env: ['NODE_OPTIONS='] });
    assert.notEqual(fromApp.exitCode, 0, 'the app reached a peer outside its internal network');
    assert.match(fromApp.stdout, /timeout|EHOSTUNREACH|ENETUNREACH|ECONNREFUSED/);
    const fromDb = await execIn(d, idOf(stack, 'db'), ['timeout', '1', 'bash', '-c', `exec 3<>/dev/tcp/${peerIp}/8080`]);
    assert.notEqual(fromDb.exitCode, 0, 'the database reached a peer outside its internal network');

    // Nor the developer's own machine: a server listening on all of this host's interfaces (a
    // local database, a tunnel to production) is out of reach at every address the host has,
    // the internal network's gateway address included. Podman is the known exception: its DNS
    // (aardvark-dns) answers on the internal network's gateway address, so the host keeps that
    // address there and is reachable through it (README, Troubleshooting).
    const server = net.createServer((sock) => { sock.on('error', () => undefined); sock.end('host\n'); });
    await new Promise<void>((resolve) => server.listen(0, '0.0.0.0', resolve));
    try {
      const port = (server.address() as net.AddressInfo).port;
      const internal = await networkOf(`repro-${session}-internal`);
      const gateways = (internal.IPAM?.Config ?? []).map((c) => c.Gateway).filter((a): a is string => Boolean(a));
      const hostAddresses = [...new Set([
        ...gateways,
        ...Object.values(os.networkInterfaces()).flat().filter((i) => i && i.family === 'IPv4' && !i.internal).map((i) => i!.address),
      ])];
      assert.ok(hostAddresses.length >= 2, `host addresses: ${hostAddresses.join(', ')}`);
      const reached: string[] = [];
      for (const address of hostAddresses) {
        const app = await execIn(d, idOf(stack, 'web'), ['node', '-e',
          `require('net').connect(${port}, '${address}').on('connect', () => process.exit(0)).on('error', (e) => { console.log(e.code); process.exit(1); });` +
          `setTimeout(() => { console.log('timeout'); process.exit(2); }, 1000);`], { env: ['NODE_OPTIONS='] });
        const db = await execIn(d, idOf(stack, 'db'), ['timeout', '1', 'bash', '-c', `exec 3<>/dev/tcp/${address}/${port}`]);
        if (app.exitCode === 0 || db.exitCode === 0) reached.push(address);
      }
      assert.deepEqual(reached, kind === 'podman' ? gateways : [], 'the clone reached servers of the host at these addresses');
    } finally {
      server.close();
    }
  });
});

test('down: removeSession leaves no container, network or volume of the session, and the published ports close', { timeout: 90_000 }, async () => {
  const session = sessionName('down');
  let stack: RunningStack | undefined;
  try {
    stack = await up(engine(), samplePlan(session), { selfHealthCheck });
    const port = published(stack, 'http');
    assert.equal((await get(port, '/health')).status, 200);
    const before = await labelled(session);
    assert.equal(before.containers.length, 4);
    assert.equal(before.networks.length, 2);
    assert.equal(before.volumes.length, 2);
    const volumes = await mountedVolumes(session);

    // a name that is not running: down says so, lists what is, and says how to name one
    const typo = await runCli(SAMPLE, 'down', `${session}-typo`);
    assert.equal(typo.code, 66, typo.err);
    assert.match(typo.err, new RegExp(`No session named "${session}-typo"; pick one with "repro down <name>": .*\\b${session}\\b`));
    assert.equal((await labelled(session)).containers.length, 4, 'a down of another name touched this session');

    // repro exec as a user pipes into it (the packaged CLI, its stdin a pipe): the input reaches
    // the command, its end ends it, and stdout, stderr and the exit code come back apart.
    const sql = await cliProcess(['exec', 'db', '--session', session, '--', 'psql', '-U', 'main', '-d', 'main', '-At'], 'select 40 + 2;\nselect 7;\n');
    assert.deepEqual(sql, { code: 0, out: '42\n7\n', err: '' });
    const shell = await cliProcess(['exec', 'web', '--session', session, '--', 'sh', '-c', 'wc -l; echo oops >&2; exit 4'], 'a\nb\nc\n');
    assert.deepEqual(shell, { code: 4, out: '3\n', err: 'oops\n' });
    // node beside the app runs without the app's inspector: no "address already in use".
    const node = await cliProcess(['exec', 'web', '--session', session, '--', 'node', '-e', 'console.log(JSON.stringify(process.env.NODE_OPTIONS ?? null))'], '');
    assert.deepEqual(node, { code: 0, out: '""\n', err: '' });

    // repro logs -f ends with Ctrl-C: quietly (no "cancelling"), with 0.
    const follow = spawn(process.execPath, [path.join(ROOT, 'dist/cli.js'), 'logs', '-f', '--session', session, 'db'], { cwd: SAMPLE });
    let followed = '';
    follow.stdout.on('data', (d: Buffer) => { followed += d.toString(); });
    follow.stderr.on('data', (d: Buffer) => { followed += d.toString(); });
    const ended = new Promise<number | null>((resolve) => follow.on('close', resolve));
    for (let i = 0; i < 100 && !followed.includes('db | '); i++) await new Promise((r) => setTimeout(r, 100));
    assert.match(followed, /^db \| /m, 'no line of db followed');
    follow.kill('SIGINT');
    assert.equal(await ended, 0, followed);
    assert.doesNotMatch(followed, /cancel/);

    // `repro logs | head -1`: a reader that is gone before the lines come ends the command, quietly.
    const piped = spawn(process.execPath, [path.join(ROOT, 'dist/cli.js'), 'logs', '--session', session, 'db'], { cwd: SAMPLE });
    piped.stdout.destroy();
    let pipedErr = '';
    piped.stderr.on('data', (d: Buffer) => { pipedErr += d.toString(); });
    const pipedEnded = new Promise<number | null>((resolve) => piped.on('close', resolve));
    assert.equal(await pipedEnded, 0, pipedErr);
    assert.doesNotMatch(pipedErr, /EPIPE|Error/);

    const t0 = performance.now();
    const removed = await removeSession(engine(), session);
    const ms = performance.now() - t0;
    assert.deepEqual(removed, { containers: 4, networks: 2, volumes: 2 });
    await assertNothingLeft(session);
    await assertVolumesGone(volumes);
    for (const c of stack.containers) {
      await assert.rejects(engine().getContainer(c.id).inspect(), (e: { statusCode?: number }) => e.statusCode === 404, `${c.name} still exists`);
    }
    for (const p of stack.published) assert.ok(await closedOrSilent(p.hostPort), `127.0.0.1:${p.hostPort} still answers after down`);
    assert.ok(ms < 20_000, `down took ${Math.round(ms)} ms`);
    // idempotent: a second down finds nothing and does not fail
    assert.deepEqual(await removeSession(engine(), session), { containers: 0, networks: 0, volumes: 0 });
  } finally {
    await removeSession(engine(), session, { graceSeconds: 0 });
  }
});

test('health checks through exec (as on Podman, which runs none): the stack still comes up and answers', { timeout: 90_000 }, async () => {
  const session = sessionName('selfcheck');
  const states: string[] = [];
  await withStack(session, samplePlan(session), {
    selfHealthCheck: true,
    onEvent: (e) => { if (e.type === 'container') states.push(`${e.entry}:${e.state}`); },
  }, async (stack) => {
    assert.ok(['db', 'cache', 'web', 'gateway'].every((e) => states.includes(`${e}:healthy`)), states.join(' '));
    assert.equal((await get(published(stack, 'http'), '/health')).status, 200);
  });
});

test('a started session is listed healthy, service by service, as soon as it is ready, on either engine', { timeout: 90_000 }, async () => {
  const session = sessionName('listed');
  const plan = samplePlan(session);
  await withStack(session, plan, { selfHealthCheck }, async (stack) => {
    // The engine keeps each check as given (Podman 4.3 split CMD arguments at their spaces).
    for (const c of stack.containers) {
      const planned = plan.containers.find((p) => p.name === c.name)!;
      if (!planned.health) continue;
      assert.deepEqual((await engine().getContainer(c.id).inspect()).Config.Healthcheck?.Test, containerCreateOptions(planned).Healthcheck!.Test, c.entry);
    }
    // Listed healthy as soon as the session is ready: on Podman from the checks Repro runs; on
    // Docker before API 1.44 (no start interval, first check after 5 s) from the check run now.
    const listed = (await listSessions(engine(), { conn: engineInfo })).find((s) => s.session === session)?.containers ?? [];
    assert.deepEqual(Object.fromEntries(listed.map((c) => [c.service, c.health])), { db: 'healthy', cache: 'healthy', web: 'healthy', gateway: 'healthy' });
    // repro ps says the same, without the engine's own word on health beside it (Docker's
    // "(health: starting)" until its first check).
    const ps = await runCli(SAMPLE, 'ps');
    assert.equal(ps.code, 0, ps.err);
    const block = ps.out.split(/\n(?=\S)/).find((b) => b.startsWith(`${session} `)) ?? '';
    for (const service of ['db', 'cache', 'web', 'gateway']) assert.match(block, new RegExp(`^  ${service} +healthy `, 'm'), ps.out);
    assert.doesNotMatch(block, /\((?:health|healthy|unhealthy)\b/, ps.out);
    if (kind === 'podman') {
      // What the list alone says there: nothing of health.
      const plain = (await listSessions(engine())).find((s) => s.session === session)!;
      assert.ok(plain.containers.every((c) => c.health === 'running'), JSON.stringify(plain.containers.map((c) => [c.service, c.health])));
    }
  });
});

// ----------------------------------------------------------------------------- the faults

test('no engine: connectEngine on a socket that does not exist fails with EngineUnavailableError saying how to start one', { timeout: 20_000 }, async () => {
  const session = sessionName('noengine');
  const missing = path.join(os.tmpdir(), `${RUN}-no-engine`, 'docker.sock');
  const plan = samplePlan(session);
  const t0 = performance.now();
  await assert.rejects(async () => {
    const conn = await connectEngine({ host: `unix://${missing}` });
    await up(conn.docker, plan); // never reached
  }, (e: unknown) => {
    assert.ok(e instanceof EngineUnavailableError, `expected EngineUnavailableError, got ${String(e)}`);
    assert.equal(e.name, 'EngineUnavailableError');
    assert.ok(e.message.startsWith(`No container engine answered at unix://${missing} (ENOENT; from repro.engine.host).`), e.message);
    assert.match(e.message, /Start Docker \(sudo systemctl start docker \/ `dockerd`\)/);
    assert.match(e.message, /podman system service --time=0/);
    assert.match(e.message, /set repro\.engine\.host \/ DOCKER_HOST/);
    return true;
  });
  assert.ok(performance.now() - t0 < 2000, 'a missing socket fails at once');
  await assertNothingLeft(session);
});

test('an image that is missing and cannot be pulled: ImageUnavailableError naming it, before anything is created', { timeout: 60_000 }, async () => {
  const session = sessionName('noimage');
  const image = 'repro-test/does-not-exist:1';
  const plan = samplePlan(session, (m) => { m.services!.cache!.image = image; });
  assert.equal(plan.containers.find((c) => c.entry === 'cache')?.image, image);
  const { error, events } = await upFails(plan);
  assert.ok(error instanceof ImageUnavailableError, `expected ImageUnavailableError, got ${String(error)}`);
  assert.equal(error.image, image);
  assert.ok(error.message.startsWith(`The image ${image} is not on the engine and could not be pulled (`), error.message);
  assert.ok(error.message.includes(`docker pull ${image}`), error.message);
  assert.match(error.message, /set "image:" in repro\.yaml/);
  assert.ok(error.reason.length > 0 && !/\[object /.test(error.reason), `reason: ${error.reason}`);
  assert.deepEqual(events.filter((e) => e.type === 'container'), [], 'no container was even created');
  await assertNothingLeft(session);
});

test('host ports already taken (a dev server on 3000, an inspector on 9229, the ports the engine would pick next): up picks free ones', { timeout: 90_000 }, async () => {
  // The plan publishes with host port 0: the engine chooses a free port at start. Take the
  // app's own port numbers and the ones the engine would allocate next (it hands out
  // ephemeral ports in sequence: probe it with a throwaway container), then start.
  const session = sessionName('ports');
  const d = engine();
  const probe = await d.createContainer({
    Image: GATEWAY_IMAGE, Cmd: ['sleep', '30'], Labels: { [LABEL.session]: session },
    ExposedPorts: { '1/tcp': {} }, HostConfig: { PortBindings: { '1/tcp': [{ HostIp: '127.0.0.1', HostPort: '' }] } },
  });
  const servers: net.Server[] = [];
  try {
    await probe.start();
    const last = Number((await probe.inspect()).NetworkSettings.Ports['1/tcp']?.[0]?.HostPort);
    assert.ok(last > 0, 'the probe got a port');
    await probe.remove({ force: true });
    const wanted = [3000, 9229, last + 1, last + 2, last + 3, last + 4];
    const taken: number[] = [];
    for (const p of wanted) {
      const srv = await occupy(p, `taken by the test ${p}\n`);
      if (srv) { servers.push(srv); taken.push(p); }
    }
    assert.ok(taken.includes(last + 1) && taken.includes(last + 2), `could not take the engine's next ports (${last + 1}, ${last + 2})`);

    await withStack(session, samplePlan(session), {}, async (stack) => {
      const ports = stack.published.map((p) => p.hostPort);
      for (const p of ports) assert.ok(!taken.includes(p), `published on ${p}, which the test holds`);
      assert.equal((await get(published(stack, 'http'), '/health')).status, 200);
      assert.equal((await get(published(stack, 'debug'), '/json/version')).status, 200);
      // what held the ports before still holds them
      for (const p of taken) assert.equal(await readBanner(p), `taken by the test ${p}\n`);
    });
  } finally {
    for (const s of servers) s.close();
    await removeSession(d, session, { graceSeconds: 0 });
  }
  await assertNothingLeft(session);
});

test('an app that crashes at start: ContainerFailedError with its exit code and last log lines, nothing left', { timeout: 60_000 }, async () => {
  const session = sessionName('crash');
  const plan = samplePlan(session, (m) => { m.apps!.web!.run = `node -e "console.error('boom at start'); process.exit(3)"`; });
  const { error, events } = await upFails(plan);
  assert.ok(error instanceof ContainerFailedError, `expected ContainerFailedError, got ${String(error)}`);
  assert.equal(error.reason, 'exited');
  assert.equal(error.container, `repro-${session}-web`);
  assert.ok(error.message.startsWith('app "web" (node:20) exited with code 3 while starting.'), error.message);
  assert.match(error.message, new RegExp(`Last log lines of repro-${session}-web:\\n(.*\\n)*  boom at start$`));
  assert.equal(error.logs.at(-1), 'boom at start');
  const web = events.filter((e): e is Extract<StackEvent, { type: 'container' }> => e.type === 'container' && e.entry === 'web');
  assert.equal(web.at(-1)?.state, 'exited');
  await assertNothingLeft(session);
});

test('an app whose port never opens: ContainerFailedError "did not become healthy" after the timeout given, nothing left', { timeout: 60_000 }, async () => {
  const session = sessionName('unhealthy');
  const plan = samplePlan(session, (m) => { m.apps!.web!.run = 'node -e "setInterval(() => {}, 1000)"'; });
  const { error, ms } = await upFails(plan, { appTimeoutMs: 3000 });
  assert.ok(error instanceof ContainerFailedError, `expected ContainerFailedError, got ${String(error)}`);
  assert.equal(error.reason, 'unhealthy');
  assert.ok(error.message.startsWith('app "web" (node:20) did not become healthy within 3 s: nothing listened on port 3000 in the container (apps.web.port in repro.yaml: the port the app serves on) (check: sh -c NODE_OPTIONS= node -e'), error.message);
  assert.match(error.message, /connect\(3000,'127\.0\.0\.1'\)/);
  assert.match(error.message, /Debugger listening on ws:\/\/0\.0\.0\.0:9229\//, 'the last log lines are in the message');
  // services take 2-4 s, the app 3 s, removal without a grace period: well under 30 s
  assert.ok(ms < 30_000, `up() took ${Math.round(ms)} ms to fail`);
  await assertNothingLeft(session);
});

test('cancel during start (after the first container is created): CancelledError, nothing left', { timeout: 60_000 }, async () => {
  const session = sessionName('cancel');
  const ctl = new AbortController();
  let created = '';
  const { error, events, ms } = await upFails(samplePlan(session), {
    signal: ctl.signal,
    onEvent: (e) => {
      if (e.type === 'container' && e.state === 'starting' && !created) { created = e.entry; ctl.abort(); }
    },
  });
  assert.ok(created, 'no container was created');
  assert.ok(error instanceof CancelledError, `expected CancelledError, got ${String(error)}`);
  assert.equal(error.message, 'Cancelled; everything the session had created was removed.');
  assert.ok(!events.some((e) => e.type === 'container' && (e.state === 'healthy' || e.entry === 'web')), 'nothing went on after the cancel');
  assert.ok(ms < 15_000, `cancelling took ${Math.round(ms)} ms`);
  await assertNothingLeft(session);
});

test('a session that crashed part-way is listed, refuses a second start under its name, and removeSession collects it', { timeout: 90_000 }, async () => {
  const session = sessionName('crashed');
  // A separate process starts the session and dies (SIGKILL) as soon as the app's container
  // is created: no finally, no cleanup, as in a crash of the editor or the CLI.
  const child = `
    const path = require('node:path');
    const out = path.join(${JSON.stringify(ROOT)}, 'out/extension/core');
    const { loadManifestFile } = require(path.join(out, 'manifest/loader'));
    const { planSession } = require(path.join(out, 'stack/plan'));
    const { connectEngine, selfHealthCheck } = require(path.join(out, 'stack/engineConnection'));
    const { up } = require(path.join(out, 'stack/up'));
    (async () => {
      const m = loadManifestFile(${JSON.stringify(path.join(SAMPLE, 'repro.yaml'))}).manifest;
      const plan = planSession(m, { session: ${JSON.stringify(session)}, sourceDir: ${JSON.stringify(SAMPLE)}, gatewayImage: ${JSON.stringify(GATEWAY_IMAGE)} });
      const conn = await connectEngine({});
      await up(conn.docker, plan, { selfHealthCheck: selfHealthCheck(conn), onEvent: (e) => {
        if (e.type === 'container' && e.entry === 'web' && e.state === 'starting') process.kill(process.pid, 'SIGKILL');
      } });
      console.log('up() finished: the crash did not happen');
    })().catch((e) => { console.error(e); process.exit(1); });`;
  try {
    const { signal, output } = await new Promise<{ signal: NodeJS.Signals | null; output: string }>((resolve, reject) => {
      const p = spawn(process.execPath, ['-e', child], { stdio: ['ignore', 'pipe', 'pipe'] });
      let output = '';
      p.stdout.on('data', (c: Buffer) => { output += c.toString(); });
      p.stderr.on('data', (c: Buffer) => { output += c.toString(); });
      p.on('error', reject);
      p.on('exit', (_code, sig) => resolve({ signal: sig, output }));
    });
    assert.equal(signal, 'SIGKILL', `the child was meant to crash: ${output}`);

    const left = await labelled(session);
    assert.equal(left.containers.length, 4, JSON.stringify(left));
    assert.equal(left.networks.length, 2, JSON.stringify(left));
    assert.equal(left.volumes.length, 2, JSON.stringify(left));
    const volumes = await mountedVolumes(session);

    const found = (await listSessions(engine())).find((s) => s.session === session);
    assert.ok(found, `listSessions does not list ${session}`);
    assert.equal(found.project, 'shop');
    assert.deepEqual(found.containers.map((c) => [c.service, c.role]).sort(), [['cache', 'service'], ['db', 'service'], ['gateway', 'gateway'], ['web', 'app']]);
    assert.equal(found.containers.find((c) => c.service === 'web')?.state, 'created');
    assert.ok(Math.abs(found.created - Date.now()) < 120_000, `created ${new Date(found.created).toISOString()}`);

    // starting again under the same name is refused, and leaves the leftovers alone
    const again = await upFails(samplePlan(session));
    assert.ok(again.error instanceof SessionExistsError, `expected SessionExistsError, got ${String(again.error)}`);
    assert.match(again.error.message, new RegExp(`A session named "${session}" already exists on this engine\\. Stop it first \\(repro down ${session}\\)`));
    assert.deepEqual(await labelled(session), left);
    // repro plan under that name points it out (and still prints the plan).
    const planned = await runCli(SAMPLE, 'plan', '--name', session);
    assert.equal(planned.code, 0, planned.err);
    assert.match(planned.out, new RegExp(`^session ${session} \\(project shop\\)`));
    assert.match(planned.err, new RegExp(`note: a session named "${session}" already exists on the engine \\(4 container\\(s\\): [a-z, ]*created[a-z, ]*\\): repro up would refuse this plan\\. End it \\(repro down ${session}\\)`));
    const free = await runCli(SAMPLE, 'plan', '--name', `${session}-free`);
    assert.equal(free.code, 0, free.err);
    assert.doesNotMatch(free.err, /note:/, 'a free name is not pointed out');

    assert.deepEqual(await removeSession(engine(), session), { containers: 4, networks: 2, volumes: 2 });
    await assertNothingLeft(session);
    assert.ok(!(await listSessions(engine())).some((s) => s.session === session), 'still listed after removal');
    await assertVolumesGone(volumes);
  } finally {
    await removeSession(engine(), session, { graceSeconds: 0 });
  }
});

test('a session that crashed before its first container (only a volume left) is still listed and collected', { timeout: 30_000 }, async () => {
  const session = sessionName('volonly');
  const d = engine();
  try {
    await d.createVolume({ Name: `repro-${session}-db-data`, Labels: { [LABEL.session]: session, [LABEL.project]: 'shop', [LABEL.service]: 'db' } });
    const found = (await listSessions(d)).find((s) => s.session === session);
    assert.ok(found, `listSessions does not list ${session}`);
    assert.equal(found.project, 'shop');
    assert.deepEqual(found.containers, []);
    assert.deepEqual(await removeSession(d, session), { containers: 0, networks: 0, volumes: 1 });
    await assertNothingLeft(session);
  } finally {
    await removeSession(d, session, { graceSeconds: 0 });
  }
});

test('logs: a line written in pieces, or longer than the engine\'s 16 KB messages, reads as one line without timestamps inside', { timeout: 30_000 }, async () => {
  // The engine stamps each log message: Podman keeps every piece written without a newline a
  // message of its own, and both engines cut a long line into 16 KB messages.
  const d = engine();
  const session = sessionName('logs');
  const long = 'x'.repeat(40_000);
  const c = await d.createContainer({
    Image: GATEWAY_IMAGE, Labels: { [LABEL.session]: session }, Tty: false,
    Cmd: ['sh', '-c', `echo first; printf 'part 1,'; sleep 0.3; printf ' part 2,'; sleep 0.3; echo ' part 3'; ` +
      `head -c 40000 /dev/zero | tr '\\0' x; echo; echo 'ünïcode ✓' >&2; echo last`],
  });
  try {
    await c.start();
    const follow: { stream: string; text: string; time: number }[] = [];
    await streamLogs(d, c.id, (l) => follow.push(l), { follow: true }); // until the container exits
    const history: typeof follow = [];
    await streamLogs(d, c.id, (l) => history.push(l));
    for (const lines of [follow, history]) {
      const texts = lines.map((l) => (l.text === long ? `x * ${l.text.length}` : l.text.length > 80 ? `${l.text.slice(0, 80)}... (${l.text.length})` : l.text));
      assert.deepEqual(texts.filter((t) => t !== 'ünïcode ✓'), ['first', 'part 1, part 2, part 3', 'x * 40000', 'last']);
      assert.deepEqual(lines.filter((l) => l.stream === 'stderr').map((l) => l.text), ['ünïcode ✓']);
      for (const l of lines) assert.ok(Math.abs(l.time - Date.now()) < 60_000, `time of "${l.text.slice(0, 20)}": ${l.time}`);
    }
  } finally {
    await c.remove({ force: true }).catch(() => undefined);
  }
  await assertNothingLeft(session);
});

test('lastLogLines of a container that is gone is empty, not an error', { timeout: 10_000 }, async () => {
  assert.deepEqual(await lastLogLines(engine(), 'f'.repeat(64)), []);
});
