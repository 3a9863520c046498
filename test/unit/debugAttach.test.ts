// The debugger's pure parts: attach configurations per runtime, the readiness probes (against a
// real Node inspector, and local sockets standing in for a gateway with nothing behind it and
// for a JVM's JDWP port), and the replay of a request (against a local HTTP server).
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import * as http from 'node:http';
import * as net from 'node:net';
import { after, describe, test } from 'node:test';
import { attachConfiguration, reproConfigProblem, SESSION_KEY, type AttachTarget } from '../../extension/core/debug/attachConfig';
import { DebuggerNotReadyError, probeTcp, waitForDebugger } from '../../extension/core/debug/probe';
import { parseRequestLine, replayProblem, replayRequest, ReplayTimeoutError } from '../../extension/core/debug/replay';
import { debugProtocolOf } from '../../extension/core/debug/target';
import { tempDir, writeFiles } from './helpers';

const target = (protocol: AttachTarget['protocol']): AttachTarget => ({
  session: 'shop-inc-137', app: 'web', protocol, host: '127.0.0.1', port: 49321, localRoot: '/home/dev/.local/state/repro/repos/shop-1/worktrees/abc', remoteRoot: '/app',
});

describe('attach configurations', () => {
  test('Node: the built-in JavaScript debugger attaches to the published port, worktree mapped onto /app', () => {
    const c = attachConfiguration(target('inspector'));
    assert.equal(c.type, 'node');
    assert.equal(c.request, 'attach');
    assert.equal(c.address, '127.0.0.1');
    assert.equal(c.port, 49321);
    assert.equal(c.localRoot, target('inspector').localRoot);
    assert.equal(c.remoteRoot, '/app');
    assert.equal(c.restart, false, 'Repro re-attaches itself, from the engine\'s events');
    assert.deepEqual(c.skipFiles, ['<node_internals>/**']);
    assert.equal(c[SESSION_KEY], 'shop-inc-137');
    assert.equal(c.name, 'Repro: web in shop-inc-137');
  });
  test('Python: debugpy connects to the port and maps the local root onto the remote one', () => {
    const c = attachConfiguration(target('debugpy'));
    assert.equal(c.type, 'debugpy');
    assert.deepEqual(c.connect, { host: '127.0.0.1', port: 49321 });
    assert.deepEqual(c.pathMappings, [{ localRoot: target('debugpy').localRoot, remoteRoot: '/app' }]);
  });
  test('Go: Delve in remote mode, with substitutePath from local to remote', () => {
    const c = attachConfiguration(target('delve'));
    assert.equal(c.type, 'go');
    assert.equal(c.mode, 'remote');
    assert.equal(c.port, 49321);
    assert.deepEqual(c.substitutePath, [{ from: target('delve').localRoot, to: '/app' }]);
  });
  test('Java: JDWP on the host port, sources from the local root', () => {
    const c = attachConfiguration(target('jdwp'));
    assert.equal(c.type, 'java');
    assert.equal(c.hostName, '127.0.0.1');
    assert.equal(c.port, 49321);
    assert.deepEqual(c.sourcePaths, [target('jdwp').localRoot]);
  });
  test('a `repro` configuration from launch.json is checked: what is wrong and what is expected', () => {
    assert.equal(reproConfigProblem({ type: 'repro', request: 'attach', name: 'x' }), undefined);
    assert.equal(reproConfigProblem({ request: 'attach', session: 'shop-inc-137', app: 'web' }), undefined);
    assert.match(reproConfigProblem({ request: 'launch' }) ?? '', /only attaches: use "attach"/);
    assert.match(reproConfigProblem({ session: '../etc' }) ?? '', /"session" is "\.\.\/etc"; expected a session name/);
    assert.match(reproConfigProblem({ session: 'ok', app: 3 }) ?? '', /"app" is 3; expected an app name/);
  });
});

describe('readiness probes', () => {
  const children: ChildProcess[] = [];
  const servers: net.Server[] = [];
  after(() => { for (const c of children) c.kill('SIGKILL'); for (const s of servers) s.close(); });

  const listen = (onConn: (s: net.Socket) => void): Promise<number> => new Promise((resolve) => {
    const srv = net.createServer(onConn);
    servers.push(srv);
    srv.listen(0, '127.0.0.1', () => resolve((srv.address() as net.AddressInfo).port));
  });

  test('Node: waits for a real inspector and returns its target (the id in its WebSocket URL)', async () => {
    // The process starts its inspector after a delay, as an app container does after `up`.
    const port = await new Promise<number>((resolve) => {
      const srv = net.createServer();
      srv.listen(0, '127.0.0.1', () => { const p = (srv.address() as net.AddressInfo).port; srv.close(() => resolve(p)); });
    });
    const child = spawn(process.execPath, ['-e', `setTimeout(() => { require('inspector').open(${port}, '127.0.0.1'); setInterval(() => {}, 1000); }, 400)`], { stdio: ['ignore', 'ignore', 'pipe'] });
    children.push(child);
    let stderr = '';
    child.stderr!.on('data', (d: Buffer) => { stderr += d.toString(); });
    const r = await waitForDebugger('inspector', '127.0.0.1', port, { timeoutMs: 15000 });
    assert.ok(r.attempts > 1, `the probe retried until the inspector listened (attempts ${r.attempts})`);
    const uuid = /ws:\/\/127\.0\.0\.1:\d+\/([0-9a-f-]+)/.exec(stderr)?.[1];
    assert.ok(uuid, `the inspector announced itself: ${stderr}`);
    assert.equal(r.target?.id, uuid);
    assert.match(r.target!.webSocketDebuggerUrl, new RegExp(`/${uuid}$`));
  });

  test('Node: an HTTP server that is not an inspector is not taken for one', async () => {
    const srv = http.createServer((_req, res) => { res.writeHead(404); res.end('no'); });
    await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
    try {
      const port = (srv.address() as net.AddressInfo).port;
      await assert.rejects(waitForDebugger('inspector', '127.0.0.1', port, { timeoutMs: 600, intervalMs: 100 }), (e: unknown) => {
        assert.ok(e instanceof DebuggerNotReadyError);
        assert.match(e.message, new RegExp(`inspector debugger at 127\\.0\\.0\\.1:${port} did not answer .*GET /json/list answered 404`));
        return true;
      });
    } finally { srv.close(); }
  });

  test('TCP: a port that accepts and closes at once (a gateway with nothing behind it) is not ready; one that stays open is', async () => {
    const closing = await listen((s) => s.end());
    await assert.rejects(probeTcp('127.0.0.1', closing, undefined), /closed at once: nothing listens behind the published port/);
    const open = await listen(() => { /* keeps the connection, as debugpy or Delve do */ });
    await probeTcp('127.0.0.1', open, undefined);
    await assert.rejects(waitForDebugger('debugpy', '127.0.0.1', closing, { timeoutMs: 500, intervalMs: 100 }), DebuggerNotReadyError);
    assert.equal((await waitForDebugger('delve', '127.0.0.1', open, { timeoutMs: 2000 })).attempts, 1);
  });

  test('JDWP: the handshake must come back; anything else is not a JVM', async () => {
    const fakeJdwp = await listen((s) => s.once('data', (d) => s.write(d))); // a JVM echoes "JDWP-Handshake"
    assert.equal((await waitForDebugger('jdwp', '127.0.0.1', fakeJdwp, { timeoutMs: 2000 })).attempts, 1);
    const other = await listen((s) => s.once('data', () => s.write('HTTP/1.1 400 Bad Request\r\n\r\n')));
    await assert.rejects(probeTcp('127.0.0.1', other, Buffer.from('JDWP-Handshake')), /something other than the JDWP handshake/);
  });

  test('a cancel stops the wait at once', async () => {
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 100);
    const t = performance.now();
    await assert.rejects(waitForDebugger('inspector', '127.0.0.1', 1, { signal: ac.signal, timeoutMs: 30000 }), /cancelled/);
    assert.ok(performance.now() - t < 5000);
  });
});

describe('replaying the failing request', () => {
  test('method, path with query, headers and body reach the app as the incident had them', async () => {
    let seen: { method?: string; url?: string; headers?: http.IncomingHttpHeaders; body?: string } = {};
    const srv = http.createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => { body += c.toString(); });
      req.on('end', () => { seen = { method: req.method!, url: req.url!, headers: req.headers, body }; res.writeHead(500, { 'content-type': 'application/json' }); res.end('{"error":"internal server error"}'); });
    });
    await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
    try {
      const port = (srv.address() as net.AddressInfo).port;
      const r = await replayRequest(`http://127.0.0.1:${port}/`, {
        method: 'POST', path: '/orders?coupon=SPRING', headers: { 'content-type': 'application/json', 'x-request-id': 'abc', host: 'shop.example.com' }, body: '{"sku":"A1"}',
      });
      assert.equal(r.status, 500);
      assert.equal(r.body, '{"error":"internal server error"}');
      assert.equal(seen.method, 'POST');
      assert.equal(seen.url, '/orders?coupon=SPRING');
      assert.equal(seen.headers?.['x-request-id'], 'abc');
      assert.equal(seen.headers?.host, `127.0.0.1:${port}`, 'the production Host header is not sent');
      assert.equal(seen.body, '{"sku":"A1"}');
    } finally { srv.close(); }
  });

  test('an app held by a paused debugger ends in a timeout that says so', async () => {
    const srv = http.createServer(() => { /* never answers */ });
    await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
    try {
      const port = (srv.address() as net.AddressInfo).port;
      await assert.rejects(replayRequest(`http://127.0.0.1:${port}/`, { method: 'GET', path: '/x', headers: {} }, { timeoutMs: 300 }),
        (e: unknown) => e instanceof ReplayTimeoutError && /did not answer within 0\.3 s\. If the debugger is paused, continue it/.test(e.message));
    } finally { srv.closeAllConnections(); srv.close(); }
  });

  test('only to a session on this machine, and never with a credential or a smuggled header', async () => {
    await assert.rejects(replayRequest('http://shop.example.com/', { method: 'GET', path: '/', headers: {} }), /only to a session on this machine/);
    assert.match(replayProblem({ method: 'GET', path: '/', headers: { authorization: 'Bearer x' } }) ?? '', /authorization may hold a credential/);
    assert.match(replayProblem({ method: 'GET', path: '/', headers: { 'x-a': 'v\r\nx-b: 1' } }) ?? '', /line break/);
    assert.match(replayProblem({ method: 'TRACE', path: '/', headers: {} }) ?? '', /method "TRACE" is not one of/);
    assert.match(replayProblem({ method: 'GET', path: '/a/../etc', headers: {} }) ?? '', /".." segment/);
    assert.equal(replayProblem({ method: 'GET', path: '/customers/137/badge', headers: { accept: 'image/svg+xml' } }), undefined);
  });

  test('a request typed as "METHOD /path" (sessions with no incident)', () => {
    assert.deepEqual(parseRequestLine('GET /customers/137/badge'), { request: { method: 'GET', path: '/customers/137/badge', headers: {} } });
    assert.deepEqual(parseRequestLine(' /health '), { request: { method: 'GET', path: '/health', headers: {} } });
    assert.deepEqual(parseRequestLine('delete /orders/1'), { request: { method: 'DELETE', path: '/orders/1', headers: {} } });
    assert.match((parseRequestLine('FETCH /x') as { error: string }).error, /method "FETCH" is not one of/);
    assert.match((parseRequestLine('GET customers') as { error: string }).error, /does not start with "\/"/);
    assert.match((parseRequestLine('GET /a b') as { error: string }).error, /expected a method and a path/);
  });
});

describe('which debugger an app speaks, from repro.yaml', () => {
  const project = (runtime: string, debug = '{ port: 9003 }') => writeFiles(tempDir('repro-proto-'), {
    'repro.yaml': `version: 1\nproject: { name: p }\napps:\n  api: { runtime: "${runtime}", run: serve, port: 8000, debug: ${debug} }\n`,
  });

  test('the runtime\'s own debugger where Repro attaches to it', () => {
    assert.equal(debugProtocolOf(project('python:3.11'), { service: 'api' }, []), 'debugpy');
    assert.equal(debugProtocolOf(project('nodejs:20'), { service: 'api' }, []), 'inspector');
    assert.equal(debugProtocolOf(project('deno:1.44'), { service: 'api' }, []), 'inspector');
    assert.equal(debugProtocolOf(project('php:8.3', '{ port: 9003, protocol: jdwp }'), { service: 'api' }, []), 'jdwp', 'a declared protocol wins');
  });

  test('a runtime whose debugger Repro does not speak (Xdebug, rdbg, Bun) says so, instead of probing an inspector that is not there', () => {
    for (const runtime of ['php:8.3', 'ruby:3.3', 'bun:1.1']) {
      assert.throws(() => debugProtocolOf(project(runtime), { service: 'api' }, []), (e: Error) => {
        assert.match(e.message, new RegExp(`^Repro does not attach a debugger to ${runtime.split(':')[0]} apps \\(api\\): it attaches to the V8 inspector \\(Node, Deno\\), debugpy \\(Python\\), Delve \\(Go\\) and JDWP \\(Java\\)\\.`));
        assert.match(e.message, /Attach your own debugger to the published debug port/);
        return true;
      });
    }
  });
});
