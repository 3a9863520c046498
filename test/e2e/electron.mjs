#!/usr/bin/env node
// Runs the extension-host mocha suite (test/e2e/suite) in a downloaded desktop VS Code through
// @vscode/test-electron. Needs internet access (it downloads VS Code into .repro-test/vscode/), so it
// is NOT part of CI here: `node test/e2e/run.mjs` runs the same suite in code-server instead.
//
//   node test/e2e/electron.mjs            (VS Code "stable"; VSCODE_VERSION=1.90.0 to pin)
//
// It builds dist/ and compiles the suite first, opens a temp copy of test/fixtures/sample-shop.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { runTests } from '@vscode/test-electron';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const node = (...args) => execFileSync(process.execPath, args, { cwd: ROOT, stdio: 'inherit' });

node('esbuild.mjs');
node('node_modules/typescript/bin/tsc', '-p', 'test/e2e/tsconfig.json');

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'repro-electron-'));
const workspace = path.join(tmp, 'sample-shop');
fs.cpSync(path.join(ROOT, 'test/fixtures/sample-shop'), workspace, {
  recursive: true,
  filter: (src) => !/[\\/](node_modules|\.git)$/.test(src),
});

let code = 0;
try {
  code = await runTests({
    ...(process.env.VSCODE_VERSION ? { version: process.env.VSCODE_VERSION } : {}),
    cachePath: path.join(ROOT, '.repro-test/vscode'), // gitignored; reused by later runs
    extensionDevelopmentPath: ROOT,
    extensionTestsPath: path.join(ROOT, 'out/test/e2e/suite/index.js'),
    launchArgs: [workspace, '--disable-extensions', '--disable-workspace-trust', '--skip-welcome', '--skip-release-notes',
      '--user-data-dir', path.join(tmp, 'user-data')],
    extensionTestsEnv: { ...(process.env.REPRO_BENCH_OUT ? { REPRO_BENCH_OUT: process.env.REPRO_BENCH_OUT } : {}) },
  });
} catch (e) {
  console.error('extension-host tests failed:', e instanceof Error ? e.message : e);
  code = 1;
} finally {
  if (code === 0 && !process.env.KEEP_TMP) fs.rmSync(tmp, { recursive: true, force: true });
  else console.log(`workspace and profile kept in ${tmp}`);
}
process.exit(code);
