/// <reference types="mocha" />
// Runs INSIDE the VS Code extension host: the sample incident reproduced on the real engine
// (make-sample-repo.sh, a reproduce link with the alert's frames and request), then what a
// developer does next: "Attach Debugger" (VS Code's own JavaScript debugger, no launch.json),
// "Replay Request", and the debugger stops in the worktree's src/badge.js at the alert's line.
import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { replayRequest, type ReplayResult } from '../../../extension/core/debug/replay';
import { openRepository } from '../../../extension/core/git/repository';
import { incidentFromText } from '../../../extension/core/incident/input';
import { endSession } from '../../../extension/core/session/lifecycle';
import { runReproduction } from '../../../extension/core/session/run';
import { reproHome } from '../../../extension/core/session/storage';
import { connectEngine, selfHealthCheck as selfCheckOf } from '../../../extension/core/stack/engineConnection';
import type { ReproApi } from '../../../extension/extension';

const SESSION = `inhost-debug-${process.pid}`;
const LINK = 'vscode://reprokit.repro/reproduce?' + new URLSearchParams({
  incident: 'INC-137', title: 'Badge 500 for customer 137', release: 'v1.4.0', env: 'production', service: 'web',
  repo: 'https://github.com/reprokit/sample-shop.git', frames: '/app/src/badge.js:40:21;/app/server.js:57:15',
  method: 'GET', path: '/customers/137/badge',
}).toString();

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
async function until<T>(what: string, ms: number, fn: () => T | undefined | false): Promise<T> {
  const started = Date.now();
  for (;;) {
    const v = fn();
    if (v) return v;
    if (Date.now() - started > ms) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await sleep(50);
  }
}

interface Stop { session: vscode.DebugSession; threadId: number; at: number }

describe('Debugger: attach, replay, stop at the alert\'s frame (real engine, real js-debug)', function () {
  this.timeout(240000);
  let api: ReproApi;
  let worktree = '';
  let tmp = '';
  let docker: import('dockerode');
  const stops: Stop[] = [];
  /** The incident's request answered with no debugger attached: the bench's baseline. */
  let plainMs = 0;
  let tracker: vscode.Disposable | undefined;

  const ourBreakpoints = () => vscode.debug.breakpoints.filter((b): b is vscode.SourceBreakpoint =>
    b instanceof vscode.SourceBreakpoint && !!worktree && b.location.uri.fsPath.startsWith(worktree));

  before(async () => {
    const ext = vscode.extensions.getExtension<ReproApi>('reprokit.repro');
    assert.ok(ext);
    api = await ext.activate();
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'repro-inhost-debug-'));
    const clone = path.join(tmp, 'shop');
    execFileSync('bash', [path.join(ext.extensionPath, 'test/fixtures/make-sample-repo.sh'), clone], { stdio: ['ignore', 'ignore', 'ignore'], env: { ...process.env, GIT_CONFIG_GLOBAL: '/dev/null' } });
    const conn = await connectEngine();
    docker = conn.docker;
    const input = await incidentFromText(LINK, { trustedHosts: [] });
    if (!input.ok) throw new Error(input.error);
    const r = await runReproduction({ incident: input.incident, repo: await openRepository(clone), docker, selfHealthCheck: selfCheckOf(conn), home: reproHome(), session: SESSION });
    worktree = r.receipt.worktree;
    const http = r.receipt.published.find((p) => p.name === 'http')!.url;
    await replayRequest(http, r.receipt.request!); // warm-up: the app opens its connections
    plainMs = (await replayRequest(http, r.receipt.request!)).ms;
    tracker = vscode.debug.registerDebugAdapterTrackerFactory('*', {
      createDebugAdapterTracker: (session) => ({
        onDidSendMessage: (m: { type?: string; event?: string; body?: { threadId?: number } }) => {
          if (m.type === 'event' && m.event === 'stopped') stops.push({ session, threadId: m.body?.threadId ?? 0, at: performance.now() });
        },
      }),
    });
  });

  after(async () => {
    tracker?.dispose();
    await vscode.debug.stopDebugging();
    if (docker) await endSession(docker, SESSION, reproHome(), { graceSeconds: 0 }).catch(() => undefined);
    if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
  });

  it('"Attach Debugger" attaches VS Code\'s JavaScript debugger with the worktree mapped onto /app, and sets breakpoints at the frames', async () => {
    const ok = await vscode.commands.executeCommand<boolean>('repro.attachDebugger', SESSION);
    assert.equal(ok, true, 'the debug session started');
    const state = await until('the debug session', 20000, () => api.debug.state(SESSION)?.debugSession && api.debug.state(SESSION));
    // js-debug takes type "node" and runs it as its "pwa-node" adapter.
    assert.match(state.debugSession!.configuration.type, /^(pwa-)?node$/);
    assert.equal(state.debugSession!.configuration.localRoot, worktree);
    assert.equal(state.debugSession!.configuration.remoteRoot, '/app');
    const bps = ourBreakpoints().map((b) => `${path.relative(worktree, b.location.uri.fsPath)}:${b.location.range.start.line + 1}${b.enabled ? '' : ' disabled'}`);
    assert.deepEqual(bps.sort(), ['server.js:57 disabled', 'src/badge.js:40']);
  });

  it('"Replay Request" sends the incident\'s request and the debugger stops in the worktree\'s src/badge.js at line 40', async () => {
    stops.length = 0;
    const t = performance.now();
    const answer = vscode.commands.executeCommand<ReplayResult | undefined>('repro.replayRequest', SESSION);
    const stop = await until('the debugger to stop', 30000, () => stops[0]);
    const stoppedMs = stop.at - t;
    console.log(`REPRO replay to stopped: ${stoppedMs.toFixed(0)} ms (no debugger: ${plainMs.toFixed(0)} ms)`);
    if (process.env.REPRO_BENCH_OUT) fs.writeFileSync(`${process.env.REPRO_BENCH_OUT}.debug.json`, JSON.stringify({ stoppedMs, plainMs }));
    const trace = await stop.session.customRequest('stackTrace', { threadId: stop.threadId, startFrame: 0, levels: 3 }) as { stackFrames: { name: string; line: number; source?: { path?: string } }[] };
    const top = trace.stackFrames[0]!;
    // In a remote window (code-server) the adapter names sources by vscode-remote:// URIs.
    const source = top.source?.path ?? '';
    const file = /^[a-z][a-z0-9+.-]*:\/\//.test(source) ? vscode.Uri.parse(source).path : source;
    assert.equal(file, path.join(worktree, 'src/badge.js'), 'stopped in the worktree file, not in /app');
    assert.equal(top.line, 40);
    assert.equal(top.name, 'measure');
    // What the editor shows: the active stack item is that frame.
    const item = await until('the active stack item', 5000, () => vscode.debug.activeStackItem instanceof vscode.DebugStackFrame && vscode.debug.activeStackItem);
    assert.equal(item.session.id, stop.session.id);
    // Line 40 is inside the loop over the label: continue until the request is answered.
    let answered = false;
    void Promise.resolve(answer).then(() => { answered = true; }, () => { answered = true; });
    let continues = 0;
    while (!answered) {
      const next = stops.shift();
      if (next) { continues++; await next.session.customRequest('continue', { threadId: next.threadId }); } else await sleep(50);
      assert.ok(continues < 100, 'the debugger keeps stopping');
    }
    const r = await answer;
    assert.equal(r?.status, 500, 'once continued, the request fails as in production');
  });

  it('attaching again reuses the breakpoints instead of adding duplicates', async () => {
    const ok = await vscode.commands.executeCommand<boolean>('repro.attachDebugger', SESSION);
    assert.equal(ok, true);
    assert.equal(ourBreakpoints().length, 2);
  });

  it('re-attaches by itself when the app container restarts', async () => {
    const first = api.debug.state(SESSION)!.debugSession!.id;
    await docker.getContainer(api.debug.state(SESSION)!.info.containerId).restart({ t: 1 });
    const again = await until('a new debug session', 60000, () => {
      const s = api.debug.state(SESSION)?.debugSession;
      return s && s.id !== first && s;
    });
    assert.match(again.configuration.type, /^(pwa-)?node$/);
    assert.equal(ourBreakpoints().length, 2, 'still no duplicates');
  });

  it('a deliberate Disconnect stays disconnected; the `repro` debug type attaches again from the Run view', async () => {
    const current = api.debug.state(SESSION)!.debugSession!;
    await vscode.debug.stopDebugging(current);
    await until('the debug session to end', 15000, () => !api.debug.state(SESSION)?.debugSession);
    await sleep(3000);
    assert.equal(api.debug.state(SESSION)?.debugSession, undefined, 'the same process is still there: no re-attach');
    const refused = await vscode.debug.startDebugging(undefined, { type: 'repro', request: 'attach', name: 'bad', session: '../etc' });
    assert.equal(refused, false, 'a launch configuration naming no valid session starts nothing');
    const ok = await vscode.debug.startDebugging(undefined, { type: 'repro', request: 'attach', name: 'Repro: Attach to Session', session: SESSION });
    assert.equal(ok, true);
    const again = await until('the debug session', 20000, () => api.debug.state(SESSION)?.debugSession);
    assert.match(again.configuration.type, /^(pwa-)?node$/);
    assert.equal(again.configuration.localRoot, worktree);
    assert.equal(ourBreakpoints().length, 2);
  });

  it('stopping the session detaches and removes the breakpoints Repro added', async () => {
    await endSession(docker, SESSION, reproHome(), { graceSeconds: 0 });
    await until('the breakpoints to go', 20000, () => ourBreakpoints().length === 0);
    await until('the debug session to end', 20000, () => !api.debug.state(SESSION));
  });
});
