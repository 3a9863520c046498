// The debugger of a Java app, on the real engine: the badge service (test/fixtures/java-badges)
// runs `java Badges.java` in a JDK 17 image with the JDWP agent, which Repro adds to that one
// JVM (no change to the app's command in repro.yaml). What a user relies on: the attach target
// comes from the engine and the manifest (JDWP, the published port, the local folder as the
// source path); a line breakpoint stops the request that fails in production at that line;
// resumed, it fails as in production; detached, the app serves on. The debugger client is
// jdwp.ts (VS Code's Debugger for Java cannot be installed on these machines); the JVM, its
// agent and the engine are real.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import type Docker from 'dockerode';
import { attachConfiguration } from '../../extension/core/debug/attachConfig';
import { waitForDebugger } from '../../extension/core/debug/probe';
import { replayRequest } from '../../extension/core/debug/replay';
import { findDebugTarget, type SessionDebugInfo } from '../../extension/core/debug/target';
import { loadManifestFile } from '../../extension/core/manifest/loader';
import { connectEngine, selfHealthCheck as selfCheckOf } from '../../extension/core/stack/engineConnection';
import { planSession } from '../../extension/core/stack/plan';
import { listSessions, removeSession } from '../../extension/core/stack/teardown';
import { up } from '../../extension/core/stack/up';
import { tempDir } from '../unit/helpers';
import { JdwpClient } from './jdwp';

const ROOT = path.resolve(__dirname, '../../..');
const TMP = tempDir('repro-javadebug-');
const SOURCE = path.join(TMP, 'badges');
const SESSION = `it-javadebug-${process.pid}`;
/** The line of Badges.java that fails for customer 137 (the alert's frame). */
const FAILING_LINE = 14;
let docker: Docker;
let info: SessionDebugInfo;

before(async () => {
  fs.cpSync(path.join(ROOT, 'test/fixtures/java-badges'), SOURCE, { recursive: true });
  assert.match(fs.readFileSync(path.join(SOURCE, 'Badges.java'), 'utf8').split('\n')[FAILING_LINE - 1]!, /String name = displayName\.strip\(\);/);
  const conn = await connectEngine();
  docker = conn.docker;
  const plan = planSession(loadManifestFile(path.join(SOURCE, 'repro.yaml')).manifest!, { session: SESSION, sourceDir: SOURCE, gatewayImage: 'busybox:latest' });
  await up(docker, plan, { selfHealthCheck: selfCheckOf(conn), appTimeoutMs: 120_000 });
});

after(async () => {
  await removeSession(docker, SESSION, { graceSeconds: 0 }).catch(() => undefined);
  fs.rmSync(TMP, { recursive: true, force: true });
});

describe('the debugger of a Java app (JDWP), on the real engine', () => {
  test('the attach target: JDWP on the published port, the local folder as the source path', async () => {
    const s = (await listSessions(docker)).find((x) => x.session === SESSION);
    assert.ok(s, 'the session is on the engine');
    info = await findDebugTarget(docker, s, { home: path.join(TMP, 'home') });
    const published = s.containers.find((c) => c.service === 'api')!.ports.find((p) => p.name === 'debug')!.hostPort;
    assert.deepEqual([info.target.protocol, info.target.port, info.target.localRoot], ['jdwp', published, SOURCE]);
    const config = attachConfiguration(info.target);
    assert.deepEqual([config.type, config.hostName, config.port, config.sourcePaths], ['java', '127.0.0.1', published, [SOURCE]]);
    // The probe Attach Debugger waits on: the agent echoes JDWP's handshake.
    await waitForDebugger('jdwp', info.target.host, info.target.port, { timeoutMs: 30000 });
  });

  test('a line breakpoint stops the failing request there; resumed, it fails as in production; detached, the app serves', async () => {
    // The agent listens again a moment after the probe's connection closed: connect as Debugger
    // for Java does, trying again until its attach timeout.
    let jdwp: JdwpClient | undefined;
    for (const end = Date.now() + 15000; !jdwp; await new Promise((r) => setTimeout(r, 200))) {
      jdwp = await JdwpClient.connect(info.target.host, info.target.port).catch((e: Error) => {
        if (Date.now() > end) throw e;
        return undefined;
      });
    }
    try {
      assert.match(await jdwp.version(), /Java Debug Wire Protocol/);
      const request = await jdwp.breakOnLine('LBadges;', 'badgeLabel', FAILING_LINE);
      const answer = replayRequest(info.httpUrl!, { method: 'GET', path: '/customers/137/badge', headers: {} });
      const hit = await jdwp.breakpointHit(30000);
      assert.equal(await jdwp.lineOf(hit.location), FAILING_LINE, 'stopped at the failing line');
      await jdwp.clearBreakpoint(request);
      await jdwp.resume();
      const failed = await answer;
      assert.deepEqual([failed.status, JSON.parse(failed.body)], [500, { error: 'NullPointerException' }], 'once resumed, it fails as in production');
    } finally {
      await jdwp.dispose();
    }
    const later = await replayRequest(info.httpUrl!, { method: 'GET', path: '/customers/42/badge', headers: {} });
    assert.deepEqual([later.status, JSON.parse(later.body)], [200, { label: 'ZOË ÅNGSTRÖM' }], 'detached, the app serves on');
    const logs = (await docker.getContainer(info.containerId).logs({ stdout: true, stderr: true, tail: 50 })).toString('utf8');
    assert.match(logs, /Listening for transport dt_socket at address: 5005/, 'one agent, in the app\'s JVM');
  });
});
