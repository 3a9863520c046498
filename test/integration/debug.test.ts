// The debugger on a real reproduction: the sample shop's incident (make-sample-repo.sh, a
// reproduce link carrying the alert's frames and failing request) on the real engine. What a
// user relies on: Repro finds the debug port, the worktree and /app from the engine alone; the
// probe waits until the app's inspector really answers (not just the gateway's port); the
// replayed request reaches the clone and fails as in production; a debugger stopping at the
// alert's frame stops in the replayed request; a restarted app is a new inspector target.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import type Docker from 'dockerode';
import { attachConfiguration } from '../../extension/core/debug/attachConfig';
import { probeOnce, waitForDebugger } from '../../extension/core/debug/probe';
import { replayRequest } from '../../extension/core/debug/replay';
import { findDebugTarget, type SessionDebugInfo } from '../../extension/core/debug/target';
import { openRepository } from '../../extension/core/git/repository';
import { incidentFromText } from '../../extension/core/incident/input';
import { endSession } from '../../extension/core/session/lifecycle';
import { runReproduction } from '../../extension/core/session/run';
import { connectEngine, selfHealthCheck as selfCheckOf } from '../../extension/core/stack/engineConnection';
import { listSessions, removeSession } from '../../extension/core/stack/teardown';
import { tempDir } from '../unit/helpers';
import { CdpClient } from './cdp';
import { removeEngineCopies } from '../../extension/core/data/engineCopy';

process.env.GIT_CONFIG_GLOBAL = '/dev/null';
process.env.GIT_CONFIG_NOSYSTEM = '1';

const ROOT = path.resolve(__dirname, '../../..');
const TMP = tempDir('repro-debug-');
const HOME = path.join(TMP, 'home');
const SESSION = `it-debug-${process.pid}`;
const LINK = 'vscode://reprokit.repro/reproduce?' + new URLSearchParams({
  incident: 'INC-137', title: 'Badge 500 for customer 137', release: 'v1.4.0', env: 'production', service: 'web',
  repo: 'https://github.com/reprokit/sample-shop.git', frames: '/app/src/badge.js:40:21;/app/server.js:57:15',
  method: 'GET', path: '/customers/137/badge', headers: JSON.stringify({ accept: 'image/svg+xml', authorization: 'Bearer prod-token' }),
}).toString();
let docker: Docker;
let info: SessionDebugInfo;

before(async () => {
  const clone = path.join(TMP, 'shop');
  execFileSync('bash', [path.join(ROOT, 'test/fixtures/make-sample-repo.sh'), clone], { stdio: ['ignore', 'ignore', 'ignore'] });
  const conn = await connectEngine();
  docker = conn.docker;
  const input = await incidentFromText(LINK, { trustedHosts: [] });
  if (!input.ok) throw new Error(input.error);
  await runReproduction({ incident: input.incident, repo: await openRepository(clone), docker, selfHealthCheck: selfCheckOf(conn), home: HOME, session: SESSION });
});

after(async () => {
  await endSession(docker, SESSION, HOME, { graceSeconds: 0 }).catch(() => removeSession(docker, SESSION, { graceSeconds: 0 }));
  await removeEngineCopies(docker, HOME).catch(() => undefined); // they outlive sessions
  fs.rmSync(TMP, { recursive: true, force: true });
});

describe('the debugger of a reproduction, on the real engine', () => {
  test('the attach target comes from the engine and the receipt: debug port on 127.0.0.1, worktree -> /app, frames, request without credentials', async () => {
    const s = (await listSessions(docker)).find((x) => x.session === SESSION);
    assert.ok(s, 'the session is on the engine');
    info = await findDebugTarget(docker, s, { home: HOME });
    const published = s.containers.find((c) => c.service === 'web')!.ports.find((p) => p.name === 'debug')!.hostPort;
    assert.equal(info.target.protocol, 'inspector');
    assert.equal(info.target.port, published);
    assert.equal(info.target.remoteRoot, '/app');
    assert.match(info.target.localRoot, /repos\/shop-[0-9a-f]{12}\/worktrees\//);
    assert.ok(fs.existsSync(path.join(info.target.localRoot, 'src/badge.js')), 'the local root is the worktree');
    assert.deepEqual(info.frames.map((f) => [path.relative(info.target.localRoot, f.file), f.line]), [['src/badge.js', 40], ['server.js', 57]]);
    assert.deepEqual(info.request, { method: 'GET', path: '/customers/137/badge', headers: { accept: 'image/svg+xml' } }, 'the credential header was dropped');
    assert.equal(info.incident, 'INC-137');
    const config = attachConfiguration(info.target);
    assert.equal(config.localRoot, info.target.localRoot);
    assert.equal(config.port, published);
  });

  test('the probe waits for the real inspector; the gateway\'s port alone does not count', async () => {
    const r = await waitForDebugger('inspector', info.target.host, info.target.port, { timeoutMs: 30000 });
    assert.match(r.target?.webSocketDebuggerUrl ?? '', /^ws:\/\//);
    // The gateway's port for the app's HTTP port accepts too, but no inspector is behind it.
    const httpPort = Number(new URL(info.httpUrl!).port);
    await assert.rejects(probeOnce('inspector', '127.0.0.1', httpPort), /GET \/json\/list answered 404|not a Node inspector|no debuggable target/);
  });

  test('Replay Request hits the clone: the incident\'s request fails with the 500 of production', async () => {
    const r = await replayRequest(info.httpUrl!, info.request!);
    assert.equal(r.status, 500);
    assert.equal(r.body, '{"error":"internal server error"}');
    // The engine's log may lag the answer by a moment: read it until the request's line is there.
    let logs = '';
    for (const until = Date.now() + 10000; Date.now() < until; await new Promise((r) => setTimeout(r, 100))) {
      logs = (await docker.getContainer(info.containerId).logs({ stdout: true, stderr: true, tail: 50 })).toString('utf8');
      if (/GET \/customers\/137\/badge 500/.test(logs)) break;
    }
    assert.match(logs, /GET \/customers\/137\/badge 500/, 'the app logged the replayed request');
    // (stdout and stderr arrive multiplexed: each line in its own frame)
    assert.match(logs, /TypeError: Cannot set properties of undefined \(setting 'width'\)/);
    assert.match(logs, /at measure \(\/app\/src\/badge\.js:40:21\)/, 'it failed at the alert\'s frame');
  });

  test('a debugger with a breakpoint at the alert\'s frame stops there when the request is replayed', async () => {
    const target = (await waitForDebugger('inspector', info.target.host, info.target.port)).target!;
    const cdp = await CdpClient.connect(`ws://${info.target.host}:${info.target.port}${new URL(target.webSocketDebuggerUrl).pathname}`);
    try {
      await cdp.send('Debugger.enable');
      await cdp.breakAt('/app/src/badge.js', 40);
      const paused = cdp.nextPause();
      const answer = replayRequest(info.httpUrl!, info.request!);
      const at = await paused;
      assert.equal(at.url, 'file:///app/src/badge.js');
      assert.equal(at.line, 40);
      assert.equal(at.functionName, 'measure');
      await cdp.send('Debugger.disable');
      assert.equal((await answer).status, 500, 'once resumed, the request fails as in production');
    } finally {
      cdp.close();
    }
  });

  test('a restarted app is a new inspector target (what re-attaching keys on)', async () => {
    const before = (await waitForDebugger('inspector', info.target.host, info.target.port)).target!.id;
    await docker.getContainer(info.containerId).restart({ t: 1 });
    const after = await waitForDebugger('inspector', info.target.host, info.target.port, { timeoutMs: 60000 });
    assert.notEqual(after.target!.id, before);
  });
});
