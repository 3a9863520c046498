// Builds the two bundles (extension host: node/cjs with `vscode` external; webview: browser
// IIFE) and the CLI, then type-checks beside them. `--production` minifies, `--watch` rebuilds.
import * as esbuild from 'esbuild';
import { spawn } from 'node:child_process';

const production = process.argv.includes('--production');
const watch = process.argv.includes('--watch');

const common = {
  bundle: true,
  sourcemap: !production,
  minify: production,
  logLevel: 'warning',
  legalComments: 'none',
};

/** @type {import('esbuild').BuildOptions[]} */
const builds = [
  {
    ...common,
    entryPoints: { extension: 'extension/extension.ts', cli: 'extension/cli.ts' },
    outdir: 'dist',
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    // jsonc-parser's UMD entry requires files esbuild cannot see; its ESM entry bundles cleanly.
    mainFields: ['module', 'main'],
    // ssh2 (dockerode's ssh:// transport) is bundled; its optional native speed-ups are loaded
    // in try/catch and fall back to pure JavaScript when absent, as in the packaged extension.
    external: ['vscode', 'cpu-features', '*.node'],
    metafile: true,
  },
  {
    ...common,
    entryPoints: { webview: 'webview/main.ts' },
    outdir: 'dist',
    platform: 'browser',
    format: 'iife',
    target: 'es2022',
    metafile: true,
  },
];

function typecheck() {
  return Promise.all(['tsconfig.json', 'webview/tsconfig.json'].map((p) => new Promise((resolve, reject) => {
    const tsc = spawn(process.execPath, ['node_modules/typescript/bin/tsc', '-p', p, '--noEmit'], { stdio: 'inherit' });
    tsc.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`type-check failed (${p})`))));
  })));
}

if (watch) {
  for (const b of builds) await (await esbuild.context(b)).watch();
  console.log('esbuild: watching');
} else {
  const started = Date.now();
  await Promise.all([...builds.map((b) => esbuild.build(b)), typecheck()]);
  console.log(`esbuild: built dist/ in ${Date.now() - started} ms${production ? ' (production)' : ''}`);
}
