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
    // dockerode's ssh transport pulls in optional native modules; they are loaded lazily at
    // run time and are not needed for unix/tcp engines.
    external: ['vscode', 'cpu-features', 'ssh2'],
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
