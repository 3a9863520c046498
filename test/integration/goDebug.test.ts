// The debugger of a Go app, on the real engine: the badge service (test/fixtures/go-badges) runs
// in golang:1.19 with Delve, which Repro starts itself (no change to the app's command): under
// `dlv debug` for `go run .`, and attached by the port it listens on for a binary `go build`
// made. What a user relies on: the attach target comes from the engine and the manifest (Delve,
// the published port, the local folder -> /app); a breakpoint set on the LOCAL file, through the
// attach configuration's substitutePath, stops the request that fails in production, with the
// stack in local paths and the failing value there to read; detached, the app serves on. The
// debugger client is dap.ts, speaking DAP to Delve's headless server as VS Code's Go extension
// does in "remote" mode (that extension cannot be installed on these machines); Delve, Go and
// the engine are real.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import type Docker from 'dockerode';
import { attachConfiguration } from '../../extension/core/debug/attachConfig';
import { waitForDebugger } from '../../extension/core/debug/probe';
import { replayRequest } from '../../extension/core/debug/replay';
import { findDebugTarget, type SessionDebugInfo } from '../../extension/core/debug/target';
import { loadManifestText } from '../../extension/core/manifest/loader';
import { connectEngine, selfHealthCheck as selfCheckOf } from '../../extension/core/stack/engineConnection';
import { planSession } from '../../extension/core/stack/plan';
import { listSessions, removeSession } from '../../extension/core/stack/teardown';
import { up } from '../../extension/core/stack/up';
import { tempDir } from '../unit/helpers';
import { DapClient } from './dap';

const ROOT = path.resolve(__dirname, '../../..');
const TMP = tempDir('repro-godebug-');
/** The line of main.go that fails for customer 137 (the alert's frame). */
const FAILING_LINE = 17;
let docker: Docker;
let selfHealthCheck = false;

before(async () => {
  const conn = await connectEngine();
  docker = conn.docker;
  selfHealthCheck = selfCheckOf(conn);
});

after(() => fs.rmSync(TMP, { recursive: true, force: true }));

/** The fixture in a folder of its own, with `app` as the api app's build/run lines; the session up on it. */
async function startSession(name: string, app: string): Promise<{ source: string; session: string }> {
  const source = path.join(TMP, name);
  fs.cpSync(path.join(ROOT, 'test/fixtures/go-badges'), source, { recursive: true });
  assert.match(fs.readFileSync(path.join(source, 'main.go'), 'utf8').split('\n')[FAILING_LINE - 1]!, /name := \[\]rune\(\*c\.DisplayName\)/);
  const yaml = fs.readFileSync(path.join(source, 'repro.yaml'), 'utf8').replace('    run: go run .\n', app);
  fs.writeFileSync(path.join(source, 'repro.yaml'), yaml);
  const manifest = loadManifestText(yaml, path.join(source, 'repro.yaml')).manifest!;
  const session = `it-godebug-${name}-${process.pid}`;
  // The first build of the app compiles the standard library: give the app time to listen.
  await up(docker, planSession(manifest, { session, sourceDir: source, gatewayImage: 'busybox:latest' }), { selfHealthCheck, appTimeoutMs: 240_000 });
  return { source, session };
}

async function target(session: string, home: string): Promise<SessionDebugInfo> {
  const s = (await listSessions(docker)).find((x) => x.session === session);
  assert.ok(s, 'the session is on the engine');
  return findDebugTarget(docker, s, { home });
}

async function appLogs(info: SessionDebugInfo, until: RegExp): Promise<string> {
  let logs = '';
  for (const end = Date.now() + 30000; Date.now() < end; await new Promise((r) => setTimeout(r, 200))) {
    logs = (await docker.getContainer(info.containerId).logs({ stdout: true, stderr: true, tail: 200 })).toString('utf8');
    if (until.test(logs)) break;
  }
  return logs;
}

/** What a user does: attach, break on the failing line of the local file, send the failing request, read, continue, detach. */
async function debugFailingRequest(info: SessionDebugInfo, source: string): Promise<void> {
  const config = attachConfiguration(info.target);
  assert.deepEqual([config.type, config.request, config.mode, config.debugAdapter], ['go', 'attach', 'remote', 'dlv-dap']);
  assert.deepEqual(config.substitutePath, [{ from: source, to: '/app' }]);
  await waitForDebugger('delve', info.target.host, info.target.port, { timeoutMs: 60000 });
  const dap = await DapClient.connect(config.host as string, config.port as number);
  const local = path.join(source, 'main.go');
  try {
    await dap.request('initialize', { adapterID: 'go', clientID: 'vscode', pathFormat: 'path', linesStartAt1: true, columnsStartAt1: true });
    const attached = dap.request('attach', { request: 'attach', mode: config.mode, substitutePath: config.substitutePath });
    await dap.event('initialized');
    const set = await dap.request('setBreakpoints', { source: { path: local }, breakpoints: [{ line: FAILING_LINE }] });
    assert.deepEqual((set.body!.breakpoints as { verified: boolean }[]).map((b) => b.verified), [true], 'the breakpoint is set on the local file');
    await dap.request('configurationDone');
    await attached;

    const answer = replayRequest(info.httpUrl!, { method: 'GET', path: '/customers/137/badge', headers: {} });
    const stopped = await dap.event('stopped', 60000);
    assert.equal(stopped.body!.reason, 'breakpoint');
    const trace = await dap.request('stackTrace', { threadId: stopped.body!.threadId, levels: 3 });
    const frames = trace.body!.stackFrames as { id: number; name: string; line: number; source?: { path?: string } }[];
    assert.deepEqual([frames[0]!.name, frames[0]!.source?.path, frames[0]!.line], ['main.badgeLabel', local, FAILING_LINE], 'stopped at the local line');
    assert.equal(frames[1]!.name, 'main.badge');
    const shown = await dap.request('evaluate', { expression: 'c.DisplayName', frameId: frames[0]!.id, context: 'watch' });
    assert.equal(shown.body!.result, '*string nil', 'the value production failed on is there to read');
    await dap.request('continue', { threadId: stopped.body!.threadId });
    const failed = await answer;
    assert.deepEqual([failed.status, JSON.parse(failed.body)], [500, { error: 'runtime error' }], 'once continued, it fails as in production');
    // Delve keeps a multi-client server's breakpoints for the next client: a tidy detach clears them.
    await dap.request('setBreakpoints', { source: { path: local }, breakpoints: [] });
    await dap.request('disconnect', { terminateDebuggee: false, suspendDebuggee: false }).catch(() => undefined);
  } finally {
    dap.close();
  }
  const later = await replayRequest(info.httpUrl!, { method: 'GET', path: '/customers/42/badge', headers: {} });
  assert.deepEqual([later.status, JSON.parse(later.body)], [200, { label: 'ZOË ÅNGSTRÖM' }], 'detached, the app serves on');
}

describe('the debugger of a Go app (Delve), on the real engine', () => {
  test('go run .: Repro starts the app under dlv debug, and a breakpoint on the local file stops the failing request', async () => {
    const { source, session } = await startSession('gorun', '    run: go run .\n');
    try {
      const info = await target(session, path.join(TMP, 'home'));
      const published = (await listSessions(docker)).find((x) => x.session === session)!.containers.find((c) => c.service === 'api')!.ports.find((p) => p.name === 'debug')!.hostPort;
      assert.deepEqual([info.target.protocol, info.target.port, info.target.localRoot, info.target.remoteRoot], ['delve', published, source, '/app']);
      const logs = await appLogs(info, /badges listening on 8080/);
      assert.match(logs, /API server listening at: \[::\]:2345/);
      assert.match(logs, /repro: building the app for Delve with optimisations off \(dlv debug\)/, 'the wait is explained in the log');
      await debugFailingRequest(info, source);
      assert.deepEqual(fs.readdirSync(source).sort(), ['go.mod', 'main.go', 'repro.yaml'], 'the debug build is not written into the worktree');
    } finally {
      await removeSession(docker, session, { graceSeconds: 0 }).catch(() => undefined);
    }
  });

  test('a binary go build made: Repro attaches Delve to the process that listens on the app\'s port', async () => {
    const { source, session } = await startSession('binary', '    build: go build -gcflags="all=-N -l" -o /tmp/badges .\n    run: /tmp/badges\n');
    try {
      const info = await target(session, path.join(TMP, 'home'));
      const logs = await appLogs(info, /API server listening/);
      assert.match(logs, /repro: attaching Delve to the app \(process 1, listening on port 8080\)/, 'the app is the container\'s main process, found by its port');
      // Where the kernel restricts ptrace to descendants (Yama, as on Ubuntu), attaching to the
      // app needs the capability; this machine has no Yama, so the engine's setting is checked.
      const host = (await docker.getContainer(info.containerId).inspect()).HostConfig;
      assert.deepEqual(host.CapAdd, ['SYS_PTRACE']);
      await debugFailingRequest(info, source);
    } finally {
      await removeSession(docker, session, { graceSeconds: 0 }).catch(() => undefined);
    }
  });
});
