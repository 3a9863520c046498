// A Python app's debugger start, as planned (plan.ts) and as its container's shell runs it: the
// plan's command for a Python app with a debug port, run by this machine's sh and python3 (which
// has no debugpy: the failure path; the integration test runs the real debugpy in python:3.11).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { loadManifestText } from '../../extension/core/manifest/loader';
import { planSession } from '../../extension/core/stack/plan';
import { DEBUGPY_LISTEN_VARIABLE } from '../../extension/core/stack/pythonDebug';
import { tempDir } from './helpers';

const planned = (app: string) => {
  const r = loadManifestText(`version: 1\nproject: { name: badges }\napps:\n  api:\n${app}`, 'repro.yaml');
  assert.ok(r.manifest, JSON.stringify(r.diagnostics));
  return planSession(r.manifest, { session: 's1', sourceDir: '/src' }).containers.find((c) => c.entry === 'api')!;
};

test('a Python app with a debug port gets debugpy on all interfaces, after its build step, with its own run command', () => {
  const api = planned('    runtime: python:3.11\n    build: pip install -r requirements.txt\n    run: python app.py\n    port: 8000\n    debug: { port: 5678 }\n');
  assert.equal(api.image, 'python:3.11');
  assert.equal(api.env[DEBUGPY_LISTEN_VARIABLE], '0.0.0.0:5678');
  const command = api.cmd![2]!;
  assert.ok(command.startsWith('pip install -r requirements.txt && '), 'the build runs first, without the debugger');
  assert.ok(command.endsWith(' && exec python app.py'), 'then the app\'s own command');
  assert.match(command, /export PYTHONPATH=/);
  assert.equal(api.env.PYTHONPATH, undefined, 'not in the container\'s environment (repro exec, the readiness check)');
});

test('no debug port, another runtime, or a run command that starts debugpy itself: nothing from Repro', () => {
  const own = planned('    runtime: python:3.11\n    run: python -m debugpy --listen 0.0.0.0:5678 app.py\n    debug: { port: 5678 }\n');
  assert.deepEqual(own.cmd, ['sh', '-c', 'exec python -m debugpy --listen 0.0.0.0:5678 app.py']);
  assert.equal(own.env[DEBUGPY_LISTEN_VARIABLE], undefined);
  const plain = planned('    runtime: python:3.11\n    run: python app.py\n    port: 8000\n');
  assert.deepEqual(plain.cmd, ['sh', '-c', 'exec python app.py']);
  assert.equal(plain.env[DEBUGPY_LISTEN_VARIABLE], undefined);
  const node = planned('    runtime: nodejs:20\n    run: node server.js\n    debug: { port: 9229 }\n');
  assert.equal(node.env[DEBUGPY_LISTEN_VARIABLE], undefined);
  assert.doesNotMatch(node.cmd![2]!, /PYTHONPATH/);
});

/** Runs the planned command in this machine's sh, in `dir`, with the planned environment. */
function runPlanned(dir: string, extraEnv: Record<string, string>): { stdout: string; stderr: string } {
  const api = planned('    runtime: python:3.11\n    run: python3 app.py\n    debug: { port: 5678 }\n');
  const r = spawnSync('sh', ['-c', api.cmd![2]!], { cwd: dir, env: { PATH: process.env.PATH!, ...api.env, ...extraEnv }, encoding: 'utf8' });
  assert.equal(r.status, 0, `the app's command failed: ${r.stderr}`);
  return { stdout: r.stdout, stderr: r.stderr };
}

test('in an image without debugpy the app still runs, and its log says why the debugger cannot attach', () => {
  const dir = tempDir('repro-pydebug-unit-');
  fs.writeFileSync(path.join(dir, 'app.py'), [
    'import os, subprocess, sys',
    'print("app running")',
    `print("listen variable left:", ${JSON.stringify(DEBUGPY_LISTEN_VARIABLE)} in os.environ)`,
    'print("site source variable left:", "REPRO_DEBUGPY_SITE" in os.environ)',
    'print("own path kept:", "/opt/own" in os.environ["PYTHONPATH"].split(":"))',
  ].join('\n'));
  const r = runPlanned(dir, { PYTHONPATH: '/opt/own' });
  assert.match(r.stdout, /^app running$/m);
  assert.match(r.stderr, /repro: debugpy is not installed in this image, so the debugger cannot attach: add debugpy to the app's dependencies \(pip install debugpy\)/);
  assert.match(r.stdout, /listen variable left: False/, 'processes the app starts do not try to listen again');
  assert.match(r.stdout, /site source variable left: False/);
  assert.match(r.stdout, /own path kept: True/);
  fs.rmSync(dir, { recursive: true, force: true });
});

test('the image\'s own sitecustomize still runs after Repro\'s', () => {
  const dir = tempDir('repro-pydebug-unit-');
  fs.mkdirSync(path.join(dir, 'site'));
  fs.writeFileSync(path.join(dir, 'site/sitecustomize.py'), 'print("image sitecustomize ran")\n');
  fs.writeFileSync(path.join(dir, 'app.py'), 'print("app running")\n');
  const r = runPlanned(dir, { PYTHONPATH: path.join(dir, 'site') });
  assert.deepEqual(r.stdout.trim().split('\n'), ['image sitecustomize ran', 'app running']);
  fs.rmSync(dir, { recursive: true, force: true });
});
