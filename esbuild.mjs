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

// dockerode loads its BuildKit session support (gRPC + protobuf, ~380 KB) at start-up for
// `buildImage({ version: '2' })`, which Repro never calls. Replacing that one module keeps the
// extension bundle small; a call would fail with this message instead of a missing module.
const noBuildkitSession = {
  name: 'no-buildkit-session',
  setup(build) {
    build.onResolve({ filter: /^\.\/session$/ }, (args) =>
      /dockerode[\\/]lib$/.test(args.resolveDir) ? { path: 'dockerode-session', namespace: 'stub' } : undefined);
    build.onLoad({ filter: /.*/, namespace: 'stub' }, () => ({
      contents: "module.exports = function () { throw new Error('BuildKit sessions are not available in Repro'); };",
      loader: 'js',
    }));
  },
};

// ssh2 (dockerode's ssh:// transport, ~270 KB) is only needed for an engine on another host.
// docker-modem's ssh module is replaced by a stub that loads it from its own bundle,
// dist/ssh-transport.js, on the first ssh:// connection: the extension bundle stays small and
// nothing of ssh2 is parsed when the engine is local.
const lazySshTransport = {
  name: 'lazy-ssh-transport',
  setup(build) {
    build.onResolve({ filter: /^\.\/ssh$/ }, (args) =>
      /docker-modem[\\/]lib$/.test(args.resolveDir) ? { path: 'docker-modem-ssh', namespace: 'lazy-ssh' } : undefined);
    // Left as a run-time require, resolved next to the bundle that makes it.
    build.onResolve({ filter: /^\.\/ssh-transport\.js$/ }, (args) => ({ path: args.path, external: true }));
    build.onLoad({ filter: /.*/, namespace: 'lazy-ssh' }, () => ({
      contents: "module.exports = function (opt) { return require('./ssh-transport.js')(opt); };",
      loader: 'js',
    }));
  },
};

/** @type {import('esbuild').BuildOptions[]} */
const builds = [
  {
    ...common,
    // scrubWorker: the scrub lanes' thread, loaded from beside the bundle that starts it.
    entryPoints: { extension: 'extension/extension.ts', cli: 'extension/cli.ts', scrubWorker: 'extension/core/data/scrubWorker.ts' },
    outdir: 'dist',
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    // jsonc-parser's UMD entry requires files esbuild cannot see; its ESM entry bundles cleanly.
    mainFields: ['module', 'main'],
    external: ['vscode', 'cpu-features', '*.node'],
    plugins: [noBuildkitSession, lazySshTransport],
    metafile: true,
  },
  {
    ...common,
    // ssh2 bundled on its own; its optional native speed-ups are loaded in try/catch and fall
    // back to pure JavaScript when absent, as in the packaged extension.
    entryPoints: { 'ssh-transport': 'node_modules/docker-modem/lib/ssh.js' },
    outdir: 'dist',
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    external: ['cpu-features', '*.node'],
  },
  {
    ...common,
    // The log viewer's webview, a bundle of its own: dist/logViewer.js.
    entryPoints: { logViewer: 'webview/logViewer.ts' },
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
