// The command Repro plans for a Go app with a debug port, run in this machine's sh (dash, no nc:
// the shell of Debian's images and of the official golang image). Delve itself cannot run
// here: a fake-dlv script on PATH records what it was asked to do. The integration test
// (goDebug.test.ts there) runs the real Delve on the real engine.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import { test } from 'node:test';
import { shellPortCheck } from '../../extension/core/manifest/catalogue';
import { loadManifestText } from '../../extension/core/manifest/loader';
import { goDebugCommand, startsOwnDelve } from '../../extension/core/stack/goDebug';
import { planSession, type PlannedContainer } from '../../extension/core/stack/plan';
import { containerCreateOptions } from '../../extension/core/stack/up';
import { tempDir } from './helpers';

function sh(command: string, env: NodeJS.ProcessEnv = process.env): Promise<{ code: number; out: string; err: string }> {
  return new Promise((resolve) => {
    execFile('sh', ['-c', command], { env, timeout: 20000 }, (e, out, err) => resolve({ code: e ? (typeof e.code === 'number' ? e.code : -1) : 0, out, err }));
  });
}

/** A PATH whose dlv is a script that prints its arguments (or none, without `withDlv`). */
function pathWith(withDlv: boolean): string {
  const dir = tempDir('repro-fake-dlv-');
  if (withDlv) {
    fs.writeFileSync(path.join(dir, 'dlv'), '#!/bin/sh\necho "fake-dlv $*"\n', { mode: 0o755 });
  }
  return `${dir}:${process.env.PATH}`;
}

/** An app that listens on a free port, prints its pid, and exits with 7 after `ms`. */
async function appCommand(ms: number): Promise<{ run: string; port: number }> {
  const port = await new Promise<number>((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => { const p = (s.address() as net.AddressInfo).port; s.close(() => resolve(p)); });
  });
  const js = `const s=require('net').createServer().listen(${port},'127.0.0.1',()=>console.log('app pid '+process.pid));setTimeout(()=>process.exit(7),${ms})`;
  return { run: `${process.execPath} -e "${js}"`, port };
}

const goApp = (lines: string): PlannedContainer => {
  const r = loadManifestText(`version: 1\nproject: { name: one }\napps:\n  api:\n    runtime: golang:1.19\n${lines}`, 'repro.yaml');
  assert.ok(r.manifest, JSON.stringify(r.diagnostics));
  return planSession(r.manifest, { session: 'one' }).containers.find((c) => c.entry === 'api')!;
};

test('the readiness check finds a listening port in a shell with neither nc nor bash', async () => {
  const server = net.createServer();
  const port = await new Promise<number>((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as net.AddressInfo).port)));
  const check = shellPortCheck(port);
  assert.equal(check[0], 'sh');
  const env = { PATH: '/usr/bin:/bin' };
  assert.equal((await sh(check[2]!, env)).code, 0, 'listening: ready');
  await new Promise((r) => server.close(r));
  assert.notEqual((await sh(check[2]!, env)).code, 0, 'closed: not ready');
});

test('a binary: the app runs as written, and Delve attaches to the process that listens on the app\'s port', async () => {
  const { run, port } = await appCommand(3000);
  const r = await sh(`echo built && ${goDebugCommand(run, 2345, port)}`, { ...process.env, PATH: pathWith(true) });
  assert.equal(r.code, 7, `the app is the foreground process: its exit is the container's (${r.err})`);
  const pid = /app pid (\d+)/.exec(r.out)?.[1];
  assert.ok(pid, r.out);
  assert.equal(r.out.split('\n')[0], 'built', 'the build step runs first, once');
  assert.match(r.err, new RegExp(`repro: attaching Delve to the app \\(process ${pid}, listening on port ${port}\\)`));
  assert.match(r.out, new RegExp(`fake-dlv attach ${pid} --headless --listen=0\\.0\\.0\\.0:2345 --accept-multiclient --api-version=2 --continue`));
});

test('without dlv in the image the app runs as written, and its log says how to get the debugger', async () => {
  const { run, port } = await appCommand(500);
  const r = await sh(goDebugCommand(run, 2345, port), { ...process.env, PATH: pathWith(false) });
  assert.equal(r.code, 7);
  assert.match(r.out, /app pid \d+/);
  assert.match(r.err, /repro: dlv \(Delve\) is not in this image, so the debugger cannot attach: .*go install github\.com\/go-delve\/delve\/cmd\/dlv@latest/);
  const goRun = await sh(goDebugCommand('go run . --verbose', 2345, 8080), { ...process.env, PATH: pathWith(false) });
  assert.match(goRun.err, /repro: dlv \(Delve\) is not in this image/);
  assert.match(goRun.err, /go: (not found|No such file)|go: command not found|not found/, 'then `go run` runs as written');
});

test('go run: dlv debug builds and runs the same package or files with the same arguments', () => {
  const cmd = (run: string) => goDebugCommand(run, 2345, 8080);
  assert.match(cmd('go run .'), /exec dlv debug \. --headless --listen=0\.0\.0\.0:2345 --accept-multiclient --api-version=2 --continue --output \/tmp\/\.repro-dlv\/app;/);
  assert.match(cmd('go run ./cmd/server --port 8080 -v'), /exec dlv debug \.\/cmd\/server .* --output \/tmp\/\.repro-dlv\/app -- --port 8080 -v;/);
  assert.match(cmd('go run main.go util.go serve'), /exec dlv debug main\.go util\.go .* -- serve;/);
  // Build flags are go run's own: the app is started as written and Delve attaches by its port.
  assert.doesNotMatch(cmd('go run -tags prod .'), /dlv debug/);
  assert.match(cmd('go run -tags prod .'), /dlv attach/);
});

test('the plan: a Go app gets Delve and SYS_PTRACE; an app that starts dlv itself, or one without a debug port, gets neither', () => {
  const withDebug = goApp('    run: go run .\n    port: 8080\n    debug: { port: 2345 }\n');
  assert.deepEqual(withDebug.capAdd, ['SYS_PTRACE']);
  assert.deepEqual(containerCreateOptions(withDebug).HostConfig?.CapAdd, ['SYS_PTRACE'], 'the engine is asked for it');
  assert.match(withDebug.cmd![2]!, /dlv debug \. /);
  assert.equal(withDebug.readyTimeoutMs, 5 * 60_000, 'dlv debug\'s first build recompiles the standard library: more than the usual minute');
  assert.equal(goApp('    run: ./srv\n    port: 8080\n    debug: { port: 2345 }\n').readyTimeoutMs, undefined);
  const own = goApp('    run: dlv exec ./server --headless --listen=:2345 --accept-multiclient --continue\n    port: 8080\n    debug: { port: 2345 }\n');
  assert.equal(own.cmd![2], 'exec dlv exec ./server --headless --listen=:2345 --accept-multiclient --continue');
  assert.equal(own.capAdd, undefined);
  assert.ok(startsOwnDelve('/go/bin/dlv exec app') && !startsOwnDelve('./dlvserver'));
  const plain = goApp('    run: go run .\n    port: 8080\n');
  assert.deepEqual([plain.cmd![2], plain.capAdd], ['exec go run .', undefined]);
  const noPort = goApp('    run: ./worker\n    debug: { port: 2345 }\n');
  assert.match(noPort.cmd![2]!, /repro: Delve attaches to the process that listens on the app port, and this app has no port in repro.yaml/);
});
