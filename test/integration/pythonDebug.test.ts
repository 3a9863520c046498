// The debugger of a Python app, on the real engine: the badge service (test/fixtures/python-
// badges) runs `python app.py` in python:3.11 with debugpy, which Repro starts itself (no change
// to the app's command). What a user relies on: the attach target comes from the engine and the
// manifest (debugpy, the published port, the local folder -> /app); the probe waits for debugpy;
// a breakpoint set on the LOCAL file, through the attach configuration's pathMappings, stops
// the request that fails in production, with the stack mapped back to local paths and the
// failing value there to read. The debugger client is dap.ts (VS Code's Python Debugger
// extension cannot be installed on these machines); debugpy, Python and the engine are real.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import type Docker from 'dockerode';
import { attachConfiguration } from '../../extension/core/debug/attachConfig';
import { waitForDebugger } from '../../extension/core/debug/probe';
import { replayRequest } from '../../extension/core/debug/replay';
import { observeStack } from '../../extension/core/drift/stackState';
import { findDebugTarget, type SessionDebugInfo } from '../../extension/core/debug/target';
import { loadManifestFile, loadManifestText } from '../../extension/core/manifest/loader';
import { connectEngine, selfHealthCheck as selfCheckOf } from '../../extension/core/stack/engineConnection';
import { LABEL } from '../../extension/core/stack/labels';
import { planSession } from '../../extension/core/stack/plan';
import { listSessions, removeSession } from '../../extension/core/stack/teardown';
import { up } from '../../extension/core/stack/up';
import { tempDir } from '../unit/helpers';
import { DapClient } from './dap';

const ROOT = path.resolve(__dirname, '../../..');
const TMP = tempDir('repro-pydebug-');
const SOURCE = path.join(TMP, 'badges');
const SESSION = `it-pydebug-${process.pid}`;
/** The line of app.py that fails for customer 137 (the alert's frame). */
const FAILING_LINE = 15;
let docker: Docker;
let info: SessionDebugInfo;

before(async () => {
  fs.cpSync(path.join(ROOT, 'test/fixtures/python-badges'), SOURCE, { recursive: true });
  assert.match(fs.readFileSync(path.join(SOURCE, 'app.py'), 'utf8').split('\n')[FAILING_LINE - 1]!, /return name\[:12\]\.upper\(\)/);
  const conn = await connectEngine();
  docker = conn.docker;
  const loaded = loadManifestFile(path.join(SOURCE, 'repro.yaml'));
  const plan = planSession(loaded.manifest!, { session: SESSION, sourceDir: SOURCE, gatewayImage: 'busybox:latest' });
  await up(docker, plan, { selfHealthCheck: selfCheckOf(conn) });
});

after(async () => {
  await removeSession(docker, SESSION, { graceSeconds: 0 }).catch(() => undefined);
  fs.rmSync(TMP, { recursive: true, force: true });
});

async function appLogs(until: RegExp): Promise<string> {
  let logs = '';
  for (const end = Date.now() + 10000; Date.now() < end; await new Promise((r) => setTimeout(r, 100))) {
    logs = (await docker.getContainer(info.containerId).logs({ stdout: true, stderr: true, tail: 100 })).toString('utf8');
    if (until.test(logs)) break;
  }
  return logs;
}

/** Runs the command Repro plans for a Python app with a debug port, in a throwaway python:3.11 container. */
async function runPlannedApp(run: string, appSource: string): Promise<{ code: number; logs: string }> {
  const r = loadManifestText(`version: 1\nproject: { name: one }\napps:\n  api:\n    runtime: python:3.11\n    run: ${run}\n    debug: { port: 5678 }\n`, 'repro.yaml');
  const api = planSession(r.manifest!, { session: 'one' }).containers.find((c) => c.entry === 'api')!;
  const c = await docker.createContainer({
    Image: api.image, Cmd: ['sh', '-c', `printf '%s' "$APP_SOURCE" > /tmp/app.py && cd /tmp && ${api.cmd![2]!}`],
    Env: [...Object.entries(api.env).map(([k, v]) => `${k}=${v}`), `APP_SOURCE=${appSource}`],
    Labels: { [LABEL.session]: SESSION },
  });
  try {
    await c.start();
    const { StatusCode } = await c.wait() as { StatusCode: number };
    return { code: StatusCode, logs: (await c.logs({ stdout: true, stderr: true })).toString('utf8') };
  } finally {
    await c.remove({ force: true });
  }
}

describe('the debugger of a Python app (debugpy), on the real engine', () => {
  test('the attach target: debugpy on the published port, the local folder mapped onto /app', async () => {
    const s = (await listSessions(docker)).find((x) => x.session === SESSION);
    assert.ok(s, 'the session is on the engine');
    info = await findDebugTarget(docker, s, { home: path.join(TMP, 'home') });
    const published = s.containers.find((c) => c.service === 'api')!.ports.find((p) => p.name === 'debug')!.hostPort;
    assert.equal(info.target.protocol, 'debugpy');
    assert.equal(info.target.port, published);
    assert.equal(info.target.localRoot, SOURCE);
    assert.equal(info.target.remoteRoot, '/app');
    const config = attachConfiguration(info.target);
    assert.equal(config.type, 'debugpy');
    assert.deepEqual(config.connect, { host: '127.0.0.1', port: published });
    assert.deepEqual(config.pathMappings, [{ localRoot: SOURCE, remoteRoot: '/app' }]);
  });

  test('Repro started debugpy in the app, which serves as usual; the app\'s command is unchanged', async () => {
    await waitForDebugger('debugpy', info.target.host, info.target.port, { timeoutMs: 30000 });
    const logs = await appLogs(/debugpy listening on 0\.0\.0\.0:5678/);
    assert.match(logs, /repro: debugpy listening on 0\.0\.0\.0:5678/);
    assert.match(logs, /badges listening on 8000/);
    const ok = await replayRequest(info.httpUrl!, { method: 'GET', path: '/customers/42/badge', headers: {} });
    assert.deepEqual([ok.status, JSON.parse(ok.body)], [200, { label: 'ZOË ÅNGSTRÖM' }]);
    // `repro exec` and the readiness check run without it: only the app's own process listens.
    const env = (await docker.getContainer(info.containerId).inspect()).Config.Env ?? [];
    assert.ok(!env.some((e) => e.startsWith('PYTHONPATH=')), 'PYTHONPATH is set for the app\'s command only');
  });

  test('a breakpoint on the local file stops the failing request there, the stack in local paths', async () => {
    const config = attachConfiguration(info.target);
    const { host, port } = config.connect as { host: string; port: number };
    const dap = await DapClient.connect(host, port);
    const local = path.join(SOURCE, 'app.py');
    try {
      await dap.request('initialize', { adapterID: 'debugpy', clientID: 'vscode', pathFormat: 'path', linesStartAt1: true, columnsStartAt1: true });
      // debugpy answers the attach only after configurationDone: the breakpoints come in between.
      const attached = dap.request('attach', { pathMappings: config.pathMappings, justMyCode: config.justMyCode });
      await dap.event('initialized');
      const set = await dap.request('setBreakpoints', { source: { path: local }, breakpoints: [{ line: FAILING_LINE }] });
      assert.equal((set.body!.breakpoints as { verified: boolean }[]).length, 1);
      await dap.request('configurationDone');
      await attached;

      const answer = replayRequest(info.httpUrl!, { method: 'GET', path: '/customers/137/badge', headers: {} });
      const stopped = await dap.event('stopped');
      assert.equal(stopped.body!.reason, 'breakpoint');
      const trace = await dap.request('stackTrace', { threadId: stopped.body!.threadId, levels: 3 });
      const frames = trace.body!.stackFrames as { id: number; name: string; line: number; source?: { path?: string } }[];
      assert.deepEqual([frames[0]!.name, frames[0]!.source?.path, frames[0]!.line], ['badge_label', local, FAILING_LINE], 'stopped at the local line');
      assert.equal(frames[1]!.name, 'do_GET');
      const name = await dap.request('evaluate', { expression: 'name', frameId: frames[0]!.id, context: 'watch' });
      assert.equal(name.body!.result, 'None', 'the value production failed on is there to read');
      await dap.request('continue', { threadId: stopped.body!.threadId });
      const failed = await answer;
      assert.deepEqual([failed.status, JSON.parse(failed.body)], [500, { error: 'TypeError' }], 'once continued, it fails as in production');
      await dap.request('disconnect', { terminateDebuggee: false }).catch(() => undefined);
    } finally {
      dap.close();
    }
    // Detaching leaves the app running and serving.
    const after = await replayRequest(info.httpUrl!, { method: 'GET', path: '/customers/42/badge', headers: {} });
    assert.equal(after.status, 200);
  });

  test('parity sees the app\'s own configuration and Python\'s version, not the debugger the session added', async () => {
    const state = await observeStack(docker, SESSION, loadManifestFile(path.join(SOURCE, 'repro.yaml')).manifest);
    const api = state.apps.api!;
    const env = api.env ?? [];
    assert.equal(api.type, 'python');
    assert.match(api.version, /^3\.11\.\d+$/);
    assert.deepEqual(env.filter((n) => n.startsWith('REPRO_DEBUGPY')), [], 'no drift for variables Repro adds');
    assert.ok(env.includes('PORT'), env.join(', '));
  });

  test('an app that starts debugpy itself keeps working: in its code, or in its run command', async () => {
    const inCode = await runPlannedApp('python app.py', 'import debugpy\nprint("own listen answered", debugpy.listen(("0.0.0.0", 5678)))\n');
    assert.equal(inCode.code, 0, inCode.logs);
    assert.match(inCode.logs, /repro: debugpy listening on 0\.0\.0\.0:5678/);
    assert.match(inCode.logs, /own listen answered \('0\.0\.0\.0', 5678\)/);
    const viaRun = await runPlannedApp('python -m debugpy --listen 0.0.0.0:5678 app.py', 'print("started under debugpy")\n');
    assert.equal(viaRun.code, 0, viaRun.logs);
    assert.match(viaRun.logs, /started under debugpy/);
    assert.doesNotMatch(viaRun.logs, /repro: debugpy/, 'Repro left that command as it is');
  });
});
