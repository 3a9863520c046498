// Drift for a generated 50-service manifest: the pure comparison alone, and the whole of
// `repro drift` without network (a file state, the manifest at the deployed commit from a real
// git repository, a compose file, this machine's toolchain; no engine). Against a baseline in
// the same process: loading the same repro.yaml (the floor every command pays). Target: the
// whole computation under 200 ms. Prints figures; asserts nothing.
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { compareSides } from '../../extension/core/drift/compare';
import { computeDrift } from '../../extension/core/drift/drift';
import { environmentSide, manifestSide } from '../../extension/core/drift/sides';
import { loadManifestText } from '../../extension/core/manifest/loader';
import { parseYaml } from '../../extension/core/manifest/yamlDocument';

const N = 50;
const TYPES = [['postgresql', '15', 'postgres'], ['redis', '7', 'redis'], ['mysql', '8.0', 'mysql'], ['mongodb', '7.0', 'mongo'], ['rabbitmq', '3.13', 'rabbitmq']] as const;

const svc = (i: number) => TYPES[i % TYPES.length]!;
const yaml = [
  'version: 1', 'project: { name: big }',
  'apps:', '  web: { runtime: "nodejs:20", run: node server.js, port: 3000 }',
  'services:', ...Array.from({ length: N }, (_, i) => `  s${i}: { type: "${svc(i)[0]}:${svc(i)[1]}" }`),
  'environments:', '  production: { state: { file: state.json } }', '  staging: { state: { file: staging.json } }',
].join('\n') + '\n';
const digest = (i: number, salt: string) => `sha256:${(salt + i.toString(16)).padStart(64, '0')}`;
const stateOf = (commit: string, skew: number) => JSON.stringify({
  version: 1, commit,
  services: Object.fromEntries(Array.from({ length: N }, (_, i) => [`s${i}`, { type: svc(i)[0], version: `${svc(i)[1]}.${i % 3 === 0 ? skew : 1}`, image: `${svc(i)[2]}:${svc(i)[1]}`, digest: digest(i, i % 7 === 0 ? 'b' : 'a') }])),
  apps: { web: { type: 'nodejs', version: '20.11.1', env: Array.from({ length: 40 }, (_, i) => `VAR_${i}`), secrets: ['SESSION_SECRET', 'STRIPE_KEY'] } },
  flags: Object.fromEntries(Array.from({ length: 30 }, (_, i) => [`flag_${i}`, i % 2 === 0])),
});

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'repro-drift-bench-'));
const git = (...a: string[]) => execFileSync('git', ['-c', 'user.email=b@example.com', '-c', 'user.name=B', ...a], { cwd: dir, encoding: 'utf8' }).trim();
fs.writeFileSync(path.join(dir, 'repro.yaml'), yaml);
fs.writeFileSync(path.join(dir, 'compose.yaml'), `services:\n${Array.from({ length: N }, (_, i) => `  s${i}:\n    image: ${svc(i)[2]}:${svc(i)[1]}.${i % 5}\n`).join('')}`);
git('init', '-q');
git('add', '.');
git('commit', '-qm', 'release');
const commit = git('rev-parse', 'HEAD');
fs.writeFileSync(path.join(dir, 'state.json'), stateOf(commit, 2));
fs.writeFileSync(path.join(dir, 'staging.json'), stateOf(commit, 4));

const m = loadManifestText(yaml, path.join(dir, 'repro.yaml')).manifest!;
const now = Date.now();
const prodSide = environmentSide({ env: 'production', state: { doc: JSON.parse(stateOf(commit, 2)), commitOnly: false, from: 'state.json' }, fetchedAt: now, offline: false });
const stagingSide = environmentSide({ env: 'staging', state: { doc: JSON.parse(stateOf(commit, 4)), commitOnly: false, from: 'staging.json' }, fetchedAt: now, offline: false });
const head = manifestSide(m, parseYaml(yaml, 'repro.yaml'));

function median(times: number[]): number {
  const s = [...times].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}
function timeSync(fn: () => void, runs: number): number {
  for (let i = 0; i < 5; i++) fn();
  const t: number[] = [];
  for (let i = 0; i < runs; i++) { const s = performance.now(); fn(); t.push(performance.now() - s); }
  return median(t);
}

void (async () => {
  const baseline = timeSync(() => loadManifestText(yaml, 'repro.yaml'), 50);
  const compare = timeSync(() => compareSides(prodSide, [head, stagingSide]), 200);
  const report = compareSides(prodSide, [head, stagingSide]);
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'repro-drift-bench-home-'));
  for (let i = 0; i < 2; i++) await computeDrift(dir, m, { home });
  const whole: number[] = [];
  let last;
  for (let i = 0; i < 15; i++) {
    const s = performance.now();
    last = await computeDrift(dir, m, { home });
    whole.push(performance.now() - s);
  }
  const w = median(whole);
  const c = last!.report.counts;
  console.log(`drift: generated manifest of ${N} services, 1 app (40 env names, 2 secrets), 30 flags; ${report.rows.length} rows, ${last!.report.sides.length} sides`);
  console.log(`  load of the same repro.yaml (baseline)  ${baseline.toFixed(2).padStart(7)} ms`);
  console.log(`  comparison alone (pure)                 ${compare.toFixed(2).padStart(7)} ms   ratio ${(compare / baseline).toFixed(2)}`);
  console.log(`  repro drift without network             ${w.toFixed(2).padStart(7)} ms   ratio ${(w / baseline).toFixed(2)}   (file states, git, compose, toolchain; ${c.drift} drift, ${c.missing} missing, ${c['in-sync']} in sync)`);
  console.log(`  target < 200 ms: ${w < 200 ? 'met' : 'MISSED'}`);
  fs.rmSync(dir, { recursive: true, force: true });
  fs.rmSync(home, { recursive: true, force: true });
})();
