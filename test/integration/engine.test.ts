// The container engine, for real (no mocks): engineConnection finds it, and dockerode drives it
// the way the stack code does: containers labelled per session, logs demultiplexed into
// stdout/stderr, exit codes, health checks, exec, and removal that leaves nothing behind.
// Needs a running engine and the images of scripts/provision/images.sh (npm test provisions
// both). npm test runs it on Docker, and on Podman with REPRO_TEST_ENGINE=podman. Traffic goes only to the engine's socket, 127.0.0.1 and the test's own containers.
import assert from 'node:assert/strict';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, test } from 'node:test';
import type Docker from 'dockerode';
import { changesRows } from '../../extension/core/stack/engineEvents';
import { connectEngine, describeEndpoint, EngineUnavailableError, type EngineConnection, type EngineKind } from '../../extension/core/stack/engineConnection';

const SESSION_LABEL = 'dev.repro.session';
/** The engine these tests expect to find: docker, or podman in scripts/test-all.sh's podman phase. */
const EXPECTED: EngineKind = process.env.REPRO_TEST_ENGINE === 'podman' ? 'podman' : 'docker';
const RUN = `it-engine-${process.pid}-${Date.now().toString(36)}`;
const LABELS = { [SESSION_LABEL]: RUN, 'dev.repro.test': 'integration/engine' };

let conn: EngineConnection | undefined;
const engine = (): Docker => {
  assert.ok(conn, 'no engine connection (the first test failed)');
  return conn.docker;
};

async function leftoverContainers(docker: Docker): Promise<string[]> {
  const list = await docker.listContainers({ all: true, filters: { label: [`${SESSION_LABEL}=${RUN}`] } });
  return list.map((c) => `${c.Names.join(',')} (${c.State})`);
}

async function removeEverything(docker: Docker): Promise<void> {
  const list = await docker.listContainers({ all: true, filters: { label: [`${SESSION_LABEL}=${RUN}`] } });
  await Promise.all(list.map((c) => docker.getContainer(c.Id).remove({ force: true, v: true }).catch((e: { statusCode?: number }) => {
    if (e.statusCode !== 404 && e.statusCode !== 409) throw e;
  })));
}

async function requireImage(docker: Docker, ref: string): Promise<void> {
  await docker.getImage(ref).inspect().catch(() => {
    throw new Error(`image ${ref} is missing on the engine: run "bash scripts/provision/images.sh" (npm test does it)`);
  });
}

/** Docker's multiplexed log format (Tty=false): 8-byte header [stream, 0, 0, 0, size BE32] + payload. */
function demux(buf: Buffer): { stream: 'stdout' | 'stderr'; text: string }[] {
  const frames: { stream: 'stdout' | 'stderr'; text: string }[] = [];
  let i = 0;
  while (i < buf.length) {
    assert.ok(i + 8 <= buf.length, `truncated frame header at byte ${i} of ${buf.length}`);
    const kind = buf[i];
    const size = buf.readUInt32BE(i + 4);
    assert.ok(kind === 1 || kind === 2, `unexpected stream type ${kind} at byte ${i}`);
    assert.ok(i + 8 + size <= buf.length, `truncated frame at byte ${i}`);
    frames.push({ stream: kind === 1 ? 'stdout' : 'stderr', text: buf.subarray(i + 8, i + 8 + size).toString('utf8') });
    i += 8 + size;
  }
  // frames need not align with lines: join per stream in order, then split into lines
  const lines: { stream: 'stdout' | 'stderr'; text: string }[] = [];
  const partial: Record<'stdout' | 'stderr', string> = { stdout: '', stderr: '' };
  for (const f of frames) {
    partial[f.stream] += f.text;
    let nl: number;
    while ((nl = partial[f.stream].indexOf('\n')) >= 0) {
      lines.push({ stream: f.stream, text: partial[f.stream].slice(0, nl) });
      partial[f.stream] = partial[f.stream].slice(nl + 1);
    }
  }
  for (const s of ['stdout', 'stderr'] as const) if (partial[s]) lines.push({ stream: s, text: partial[s] });
  return lines;
}

/**
 * Podman without systemd stores a container's health check but never runs it (it schedules
 * checks with systemd timers): run it once through Podman's own API, which records the
 * result in the container's health status as the timer would.
 */
async function runPodmanHealthcheck(docker: Docker, id: string): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    docker.modem.dial({ path: `/v4.0.0/libpod/containers/${id}/healthcheck?`, method: 'GET', statusCodes: { 200: true, 409: 'container not running', 500: 'server error' } },
      (err) => (err ? reject(err) : resolve()));
  });
}

async function execIn(container: Docker.Container, cmd: string[]): Promise<{ exitCode: number | null; output: string }> {
  const exec = await container.exec({ Cmd: cmd, AttachStdout: true, AttachStderr: true });
  const stream = await exec.start({ hijack: true, stdin: false });
  const chunks: Buffer[] = [];
  await new Promise<void>((resolve, reject) => {
    stream.on('data', (c: Buffer) => chunks.push(c));
    stream.on('end', resolve);
    stream.on('error', reject);
  });
  const info = await exec.inspect();
  return { exitCode: info.ExitCode, output: demux(Buffer.concat(chunks)).map((l) => l.text).join('\n') };
}

after(async () => {
  if (!conn) return;
  await removeEverything(conn.docker);
});

test(`connectEngine finds the running engine and reports ${EXPECTED} and its version`, { timeout: 20_000 }, async () => {
  conn = await connectEngine({});
  assert.equal(conn.engine, EXPECTED, `tests expect ${EXPECTED} (REPRO_TEST_ENGINE); found ${conn.engine} at ${conn.endpoint}`);
  assert.match(conn.version, /^\d+\.\d+\.\d+/);
  assert.match(conn.apiVersion, /^1\.\d+$/);
  assert.ok(Number(conn.apiVersion.split('.')[1]) >= 41, `API ${conn.apiVersion} is older than 1.41`);
  assert.match(conn.endpoint, /^(unix|tcp|ssh|npipe):\/\//);
  assert.ok(['setting', 'DOCKER_HOST', 'context', 'default'].includes(conn.source));
  assert.match(describeEndpoint(conn.endpoint, conn.engine), EXPECTED === 'podman' ? /^Podman / : /^Docker /);
  assert.equal(await conn.docker.ping().then(String), 'OK');
});

test('a busybox container: stdout and stderr lines apart and in order, exit code, removal leaves nothing', { timeout: 60_000 }, async () => {
  const docker = engine();
  await requireImage(docker, 'busybox:latest');
  const script = [
    'echo "out 1: hello"', 'sleep 0.1',
    'echo "err 1: warning" >&2', 'sleep 0.1',
    'echo "out 2: ünïcode ✓ and  two  spaces"', 'sleep 0.1',
    'echo "err 2: failing now" >&2', 'sleep 0.1',
    'printf "out 3: no newline at the end"',
    'exit 3',
  ].join('; ');
  const container = await docker.createContainer({
    name: `${RUN}-busybox`,
    Image: 'busybox:latest',
    Cmd: ['sh', '-c', script],
    Tty: false,
    Labels: LABELS,
  });
  try {
    const waited = container.wait({ condition: 'next-exit' }) as Promise<{ StatusCode: number }>;
    await container.start();
    const { StatusCode } = await waited;
    assert.equal(StatusCode, 3);
    assert.equal((await container.inspect()).State.ExitCode, 3);

    const raw = await container.logs({ stdout: true, stderr: true, follow: false }) as unknown as Buffer;
    assert.ok(Buffer.isBuffer(raw), 'logs of a finished container come back as one buffer');
    const lines = demux(raw);
    assert.deepEqual(lines, [
      { stream: 'stdout', text: 'out 1: hello' },
      { stream: 'stderr', text: 'err 1: warning' },
      { stream: 'stdout', text: 'out 2: ünïcode ✓ and  two  spaces' },
      { stream: 'stderr', text: 'err 2: failing now' },
      { stream: 'stdout', text: 'out 3: no newline at the end' },
    ]);
    // asking for one stream gives only that stream
    const errOnly = demux(await container.logs({ stdout: false, stderr: true, follow: false }) as unknown as Buffer);
    assert.deepEqual(errOnly.map((l) => l.stream), ['stderr', 'stderr']);
  } finally {
    await container.remove({ force: true, v: true }).catch(() => undefined);
  }
  await assert.rejects(container.inspect(), (e: { statusCode?: number }) => e.statusCode === 404);
  assert.deepEqual(await leftoverContainers(docker), []);
});

test('an explicit host whose socket does not exist: EngineUnavailableError naming it and how to start an engine', { timeout: 20_000 }, async () => {
  const missing = path.join(os.tmpdir(), `${RUN}-no-such-dir`, 'docker.sock');
  await assert.rejects(connectEngine({ host: `unix://${missing}` }), (e: unknown) => {
    assert.ok(e instanceof EngineUnavailableError, `expected EngineUnavailableError, got ${String(e)}`);
    assert.ok(e.message.includes(`unix://${missing}`), e.message);
    assert.match(e.message, /ENOENT/);
    assert.match(e.message, /repro\.engine\.host/);
    assert.match(e.message, /Start Docker \(sudo systemctl start docker \/ `dockerd`\)/);
    assert.match(e.message, /podman system service --time=0/);
    assert.deepEqual(e.attempts.map((a) => a.endpoint), [`unix://${missing}`]);
    return true;
  });
  // the same through DOCKER_HOST, and a bare path means a unix socket
  await assert.rejects(connectEngine({ env: { DOCKER_HOST: missing }, homeDir: os.tmpdir() }), (e: unknown) => {
    assert.ok(e instanceof EngineUnavailableError);
    assert.match(e.message, new RegExp(`unix://${missing.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} \\(ENOENT; from DOCKER_HOST\\)`));
    return true;
  });
  // nothing listening on a 127.0.0.1 port: refused, not a hang
  const port = await new Promise<number>((resolve) => {
    const srv = net.createServer().listen(0, '127.0.0.1', () => {
      const p = (srv.address() as net.AddressInfo).port;
      srv.close(() => resolve(p));
    });
  });
  const t0 = Date.now();
  await assert.rejects(connectEngine({ host: `tcp://127.0.0.1:${port}`, timeoutMs: 5000 }), (e: unknown) => {
    assert.ok(e instanceof EngineUnavailableError);
    assert.ok(e.message.includes(`tcp://127.0.0.1:${port} (ECONNREFUSED`), e.message);
    return true;
  });
  assert.ok(Date.now() - t0 < 5000, 'a refused connection fails fast');
});

test('postgres:15 with a health check becomes healthy, pg_isready via exec exits 0, removal leaves nothing', { timeout: 90_000 }, async () => {
  const docker = engine();
  await requireImage(docker, 'postgres:15');
  const container = await docker.createContainer({
    name: `${RUN}-pg`,
    Image: 'postgres:15',
    Env: ['POSTGRES_USER=app', 'POSTGRES_PASSWORD=secret', 'POSTGRES_DB=appdb'],
    Labels: LABELS,
    Healthcheck: {
      Test: ['CMD-SHELL', 'pg_isready -h 127.0.0.1 -U app -d appdb'],
      Interval: 250e6, Timeout: 3e9, Retries: 200, StartPeriod: 0,
    },
  });
  let volumes: string[] = [];
  try {
    await container.start();
    const t0 = Date.now();
    let status = '';
    while (Date.now() - t0 < 60_000) {
      if (EXPECTED === 'podman') await runPodmanHealthcheck(docker, container.id);
      const info = await container.inspect();
      assert.equal(info.State.Running, true, `postgres exited (${info.State.ExitCode}): ${info.State.Error}`);
      status = info.State.Health?.Status ?? 'none';
      volumes = info.Mounts.filter((m) => m.Type === 'volume' && m.Name).map((m) => m.Name as string);
      if (status === 'healthy') break;
      await new Promise((r) => setTimeout(r, 200));
    }
    assert.equal(status, 'healthy', `health status after ${Date.now() - t0} ms`);

    const ready = await execIn(container, ['pg_isready', '-U', 'app', '-d', 'appdb']);
    assert.equal(ready.exitCode, 0, ready.output);
    assert.match(ready.output, /accepting connections/);
    const q = await execIn(container, ['psql', '-U', 'app', '-d', 'appdb', '-tAc', 'select current_user || \'@\' || current_database()']);
    assert.equal(q.exitCode, 0, q.output);
    assert.equal(q.output.trim(), 'app@appdb');
    const bad = await execIn(container, ['sh', '-c', 'exit 7']);
    assert.equal(bad.exitCode, 7);
    // the image's STOPSIGNAL (postgres stops cleanly on SIGINT); Podman reports it as a number
    const stopSignal = ((await container.inspect()).Config as { StopSignal?: string }).StopSignal;
    assert.equal(EXPECTED === 'podman' && stopSignal === '2' ? 'SIGINT' : stopSignal, 'SIGINT');
  } finally {
    await container.remove({ force: true, v: true }).catch(() => undefined);
  }
  assert.deepEqual(await leftoverContainers(docker), []);
  assert.ok(volumes.length >= 1, 'the data directory is an (anonymous) volume');
  for (const v of volumes) {
    await assert.rejects(docker.getVolume(v).inspect(), (e: { statusCode?: number }) => e.statusCode === 404, `volume ${v} left behind`);
  }
});

test('the Sessions view refreshes on a container\'s start and death, not on the execs health checks run', { timeout: 60_000 }, async () => {
  const docker = engine();
  await requireImage(docker, 'busybox:latest');
  const stream = await docker.getEvents({ filters: { label: [`${SESSION_LABEL}=${RUN}`], type: ['container'] } }) as NodeJS.ReadableStream & { destroy(): void };
  const lines: { action: string; refresh: boolean }[] = [];
  stream.on('data', (chunk: Buffer) => {
    for (const l of chunk.toString().split('\n').filter((x) => x.trim())) {
      const e = JSON.parse(l) as { Action?: string; status?: string };
      lines.push({ action: e.Action ?? e.status ?? '', refresh: changesRows(l) });
    }
  });
  try {
    const c = await docker.createContainer({ Image: 'busybox:latest', Cmd: ['sleep', '60'], Labels: LABELS });
    await c.start();
    for (let i = 0; i < 3; i++) {
      // What a health check does: an exec that runs and ends.
      const exec = await c.exec({ Cmd: ['true'], AttachStdout: true, AttachStderr: true });
      const out = await exec.start({ hijack: true, stdin: false });
      await new Promise((r) => { out.on('end', r); out.resume(); });
    }
    await c.remove({ force: true });
    const deadline = Date.now() + 10_000;
    while (!lines.some((x) => /^(die|destroy|remove)/.test(x.action)) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  } finally {
    stream.destroy();
    await removeEverything(docker);
  }
  const execs = lines.filter((x) => x.action.startsWith('exec'));
  assert.ok(execs.length >= 3, `no exec events seen: ${lines.map((x) => x.action).join(' | ')}`);
  assert.deepEqual(execs.filter((x) => x.refresh), [], 'an exec refreshes the view');
  for (const want of ['start', 'die']) {
    assert.ok(lines.some((x) => x.action === want && x.refresh), `${want} does not refresh the view: ${lines.map((x) => x.action).join(' | ')}`);
  }
});
