// Drift against real sources: the sample shop running on the engine (a session of its own),
// `repro state` written from it and served by the app itself at /.well-known/repro-state.json
// over real HTTP on 127.0.0.1, `repro drift` reading it back, a real git clone for the
// manifest at the deployed commit. Then what goes wrong: production moves on (versions,
// digests), the state's URL hangs or answers HTML, a document of a newer version.
// Everything the test creates carries its own session name and is removed at the end.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, test } from 'node:test';
import type Docker from 'dockerode';
import { main } from '../../extension/cli';
import type { Io } from '../../extension/cli/output';
import type { StateDocument } from '../../extension/core/drift/stateDocument';
import { connectEngine } from '../../extension/core/stack/engineConnection';
import { planSession } from '../../extension/core/stack/plan';
import { removeSession } from '../../extension/core/stack/teardown';
import { up } from '../../extension/core/stack/up';
import { get } from './localHttp';
import { SAMPLE, sampleManifest } from './sampleManifest';

const SESSION = `drift${Date.now().toString(36)}`;
const WORK = fs.mkdtempSync(path.join(os.tmpdir(), 'repro-drift-it-'));
const CLONE = path.join(WORK, 'shop');
let docker: Docker;
let appPort = 0;
const servers: http.Server[] = [];

async function repro(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const io: Io = { out: (s) => { out += s + '\n'; }, err: (s) => { err += s + '\n'; }, cwd: CLONE };
  return { code: await main(argv, io), out, err };
}

const git = (...args: string[]) => execFileSync('git', ['-c', 'user.email=t@example.com', '-c', 'user.name=T', '-c', 'commit.gpgsign=false', ...args], { cwd: CLONE, encoding: 'utf8' }).trim();
/** What the engine says, asked through the docker CLI (not the code under test). */
const dockerCli = (...args: string[]) => execFileSync('docker', args, { encoding: 'utf8' }).trim();

function pointStateAt(url: string): void {
  const file = path.join(CLONE, 'repro.yaml');
  fs.writeFileSync(file, fs.readFileSync(file, 'utf8').replace(/state: \{ url: "[^"]+" \}/, `state: { url: "${url}" }`));
}

/** A server on 127.0.0.1 for the bad cases; closed at the end. */
async function serve(handler: http.RequestListener): Promise<number> {
  const s = http.createServer(handler);
  servers.push(s);
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  return (s.address() as { port: number }).port;
}

before(async () => {
  docker = (await connectEngine({})).docker;
  fs.cpSync(SAMPLE, CLONE, { recursive: true });
  git('init', '-q', '-b', 'main');
  git('add', '.');
  git('commit', '-qm', 'release 1.4.0');
  const m = sampleManifest();
  const stack = await up(docker, planSession(m, { session: SESSION, sourceDir: CLONE, gatewayImage: 'busybox:latest' }), {});
  appPort = stack.published.find((p) => p.name === 'http')!.hostPort;
  process.env.REPRO_HOME = path.join(WORK, 'home');
});

after(async () => {
  for (const s of servers) s.close();
  await removeSession(docker, SESSION, { graceSeconds: 0 }).catch(() => undefined);
  fs.rmSync(WORK, { recursive: true, force: true });
});

let written: StateDocument;

test('repro state writes what the session really runs: versions the programs report, image digests, env var names without values', async () => {
  const r = await repro('state', '--session', SESSION, '--env', 'production', '--out', 'repro-state.json');
  assert.equal(r.code, 0, r.err);
  assert.match(r.err, new RegExp(`wrote repro-state\\.json: 2 service\\(s\\), 1 app\\(s\\) of session ${SESSION} at [0-9a-f]{12}`));
  const text = fs.readFileSync(path.join(CLONE, 'repro-state.json'), 'utf8');
  written = JSON.parse(text) as StateDocument;
  assert.equal(written.commit, git('rev-parse', 'HEAD'));
  const pg = dockerCli('exec', `repro-${SESSION}-db`, 'postgres', '--version');
  assert.equal(written.services.db?.version, /(\d+\.\d+)/.exec(pg)![1]);
  assert.equal(written.services.db?.digest, dockerCli('image', 'inspect', 'postgres:15', '--format', '{{.Id}}'));
  assert.equal(written.apps?.web?.version, dockerCli('exec', '-e', 'NODE_OPTIONS=', `repro-${SESSION}-web`, 'node', '-p', 'process.versions.node'));
  assert.ok(written.apps?.web?.env?.includes('DATABASE_URL'), JSON.stringify(written.apps?.web));
  // The app's own configuration: not its image's defaults, nor the session's inspector flag.
  for (const n of ['PATH', 'NODE_OPTIONS']) assert.ok(!written.apps?.web?.env?.includes(n), `${n} in ${JSON.stringify(written.apps?.web?.env)}`);
  assert.ok(!text.includes('postgresql://'), 'no connection string (a value) in the document');
  assert.match(written.manifest?.hash ?? '', /^sha256:[0-9a-f]{64}$/);
});

test('served by the app at /.well-known/repro-state.json over HTTP, it reads back in sync with the session it came from', async () => {
  const served = await get(appPort, '/.well-known/repro-state.json');
  assert.equal(served.status, 200);
  assert.deepEqual(JSON.parse(served.body), written);
  pointStateAt(`http://127.0.0.1:${appPort}/.well-known/repro-state.json`);
  const r = await repro('drift', '--session', SESSION, '--json');
  const j = JSON.parse(r.out) as { exitCode: number; state: { offline: boolean }; rows: { subject: string; attribute: string; cells: { side: string; state: string; value?: string }[] }[] };
  const local = j.rows.flatMap((row) => row.cells.filter((c) => c.side === 'local').map((c) => `${row.subject} ${row.attribute}: ${c.state}`));
  assert.ok(local.length >= 8, local.join('\n'));
  assert.deepEqual(local.filter((l) => !l.endsWith('in-sync')), []);
  assert.equal(j.state.offline, false);
  assert.equal(r.code, 0, r.out);
});

test('production moves on: a major version and a rebuilt image show as drift of the session and repro.yaml; exit 2', async () => {
  const moved: StateDocument = structuredClone(written);
  moved.services.db!.version = '16.3';
  moved.services.cache!.digest = `sha256:${'e'.repeat(64)}`;
  fs.writeFileSync(path.join(CLONE, 'repro-state.json'), JSON.stringify(moved));
  const r = await repro('drift', '--session', SESSION, '--json');
  assert.equal(r.code, 2, r.err);
  const j = JSON.parse(r.out) as { rows: { subject: string; attribute: string; cells: { side: string; state: string; severity: string; reason?: string }[] }[] };
  const cell = (subject: string, attribute: string, side: string) => j.rows.find((x) => x.subject === subject && x.attribute === attribute)?.cells.find((c) => c.side === side);
  assert.deepEqual(cell('service db', 'version', 'local'), { ...cell('service db', 'version', 'local'), state: 'drift', severity: 'error', reason: 'a major version apart' });
  assert.equal(cell('service db', 'version', 'manifest')?.state, 'drift');
  assert.deepEqual([cell('service cache', 'digest', 'local')?.state, cell('service cache', 'digest', 'local')?.severity], ['drift', 'warning']);
  const text = await repro('drift', '--session', SESSION);
  assert.match(text.out, /version +production 16\.3 {2}≠ repro\.yaml 15 \(error: a major version apart\)/);
});

test('a state URL that never answers: the copy from the last read, said to be offline; with no copy, exit 1', async () => {
  const port = await serve(() => { /* accepts, never answers */ });
  pointStateAt(`http://127.0.0.1:${port}/state.json`);
  const started = Date.now();
  const r = await repro('drift', '--session', SESSION, '--timeout', '0.5');
  assert.ok(Date.now() - started < 8000);
  assert.equal(r.code, 2, 'the cached document (production on 16.3) still drifts');
  assert.match(r.err, /production's state did not answer \(Could not read production's published state at http:\/\/127\.0\.0\.1:\d+\/state\.json: no answer within 0\.5 s\); using the copy as of just now, offline/);
  process.env.REPRO_HOME = path.join(WORK, 'home-empty');
  const none = await repro('drift', '--session', SESSION, '--timeout', '0.5');
  assert.equal(none.code, 1);
  assert.match(none.err, /no answer within 0\.5 s; no copy from an earlier read is cached for offline use/);
  process.env.REPRO_HOME = path.join(WORK, 'home');
});

test('a state URL that answers HTML, or a document newer than Repro knows: exit 1 and what to do', async () => {
  const port = await serve((req, res) => {
    if (req.url === '/html') { res.writeHead(200, { 'content-type': 'text/html' }); res.end('<!DOCTYPE html>\n<html><body><form>Sign in</form></body></html>'); return; }
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ ...written, version: 2 }));
  });
  pointStateAt(`http://127.0.0.1:${port}/html`);
  const html = await repro('drift', '--session', SESSION);
  assert.equal(html.code, 1);
  assert.match(html.err, /returned HTML \(a web page\), not a state document\. Point the state at the JSON that `repro state` writes/);
  pointStateAt(`http://127.0.0.1:${port}/v2`);
  const newer = await repro('drift', '--session', SESSION, '--json');
  assert.equal(newer.code, 1);
  assert.match(newer.err, /state document of version 2; this Repro reads version 1\. Update Repro/);
});
