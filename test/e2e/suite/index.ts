// Entry point the VS Code extension host loads when it is started with extensionTestsPath
// (code-server via test/e2e/run.mjs, or @vscode/test-electron via test/e2e/electron.mjs).
// It must export run(): Promise<void>; it resolves when every test passed.
//
// Besides mocha's spec reporter it prints one machine-readable line per test and a summary,
// which test/e2e/run.mjs picks out of the extension host's console:
//   MOCHA ok <full title> (<ms>ms)
//   MOCHA FAIL <full title>: <message>
//   MOCHA <n> passed, <n> failed
import * as fs from 'node:fs';
import * as path from 'node:path';
import Mocha = require('mocha');

export function run(): Promise<void> {
  const mocha = new Mocha({ ui: 'bdd', color: false, timeout: 20000, reporter: 'spec' });
  for (const f of fs.readdirSync(__dirname).sort()) {
    if (f.endsWith('.test.js')) mocha.addFile(path.join(__dirname, f));
  }
  return new Promise((resolve, reject) => {
    let passed = 0;
    let failed = 0;
    try {
      const runner = mocha.run(() => {
        const line = `MOCHA ${passed} passed, ${failed} failed`;
        console.log(line);
        const out = process.env.REPRO_E2E_RESULT_FILE;
        if (out) fs.writeFileSync(out, line + '\n');
        if (failed > 0) reject(new Error(`${failed} extension-host test(s) failed`));
        else resolve();
      });
      runner.on('pass', (t) => {
        passed++;
        console.log(`MOCHA ok ${t.fullTitle()} (${t.duration ?? 0}ms)`);
      });
      runner.on('fail', (t, err: unknown) => {
        failed++;
        const msg = err instanceof Error ? err.message : String(err);
        console.log(`MOCHA FAIL ${t.fullTitle()}: ${msg.split('\n').slice(0, 6).join(' | ')}`);
      });
    } catch (e) {
      console.error(e);
      reject(e instanceof Error ? e : new Error(String(e)));
    }
  });
}
