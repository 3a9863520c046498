// Time to reproduce the sample incident, from the link to ready, on the real engine and a real
// clone (make-sample-repo.sh): cold (images present, no worktree) and warm (the worktree of an
// earlier reproduction still there), with the share of each step. The baseline, measured in
// the same run, is up() alone on the same manifest and folder: what the stack costs with no
// link, git or receipt around it. Prints figures; asserts nothing.
//   npx tsc -p . && node out/test/bench/reproduce.bench.js [runs]
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { openRepository } from '../../extension/core/git/repository';
import { incidentFromText } from '../../extension/core/incident/input';
import { loadManifestFile } from '../../extension/core/manifest/loader';
import { endSession } from '../../extension/core/session/lifecycle';
import type { Receipt } from '../../extension/core/session/receipt';
import { runReproduction } from '../../extension/core/session/run';
import { connectEngine, selfHealthCheck } from '../../extension/core/stack/engineConnection';
import { planSession } from '../../extension/core/stack/plan';
import { removeSession } from '../../extension/core/stack/teardown';
import { up } from '../../extension/core/stack/up';

const ROOT = path.resolve(__dirname, '../../..');
const RUNS = Number(process.argv[2]) || 3;
const LINK = 'vscode://reprokit.repro/reproduce?incident=INC-137&release=v1.4.0&env=production&service=web'
  + '&repo=https%3A%2F%2Fgithub.com%2Freprokit%2Fsample-shop.git&frames=%2Fapp%2Fsrc%2Fbadge.js%3A40%3A21%3B%2Fapp%2Fserver.js%3A57%3A15';

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};
const secs = (ms: number) => `${(ms / 1000).toFixed(2)} s`;

async function main(): Promise<void> {
  process.env.GIT_CONFIG_GLOBAL = '/dev/null';
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'repro-bench-'));
  const clone = path.join(tmp, 'shop');
  execFileSync('bash', [path.join(ROOT, 'test/fixtures/make-sample-repo.sh'), clone], { stdio: ['ignore', 'ignore', 'ignore'] });
  const home = path.join(tmp, 'home');
  const conn = await connectEngine();
  const { docker } = conn;
  const selfCheck = selfHealthCheck(conn);
  const session = `bench-repro-${process.pid}`;

  // One reproduction from the link's text: what a click costs, receipt included.
  // Where each reproduction's data came from (the line the data step prints once it is done).
  const served: string[] = [];
  const reproduceOnce = async (): Promise<{ ms: number; receipt: Receipt }> => {
    const t = performance.now();
    const input = await incidentFromText(LINK, { trustedHosts: [] });
    if (!input.ok) throw new Error(input.error);
    const repo = await openRepository(clone);
    let from = 'source';
    const r = await runReproduction({
      incident: input.incident, repo, docker, selfHealthCheck: selfCheck, home, session,
      onEvent: (e) => { if (e.type === 'detail' && /rows in \d+ tables/.test(e.message)) from = /\((physical|cached SQL) snapshot\)/.exec(e.message)?.[1] ?? 'source'; },
    });
    served.push(from);
    return { ms: performance.now() - t, receipt: r.receipt };
  };

  const cold: { ms: number; receipt: Receipt }[] = [];
  const warm: { ms: number; receipt: Receipt }[] = [];
  const baseline: number[] = [];
  try {
    for (let i = 0; i < RUNS; i++) {
      // Cold: no worktree; the session's end removes it.
      const c = await reproduceOnce();
      cold.push(c);
      // Warm: the engine session goes, the worktree stays (as when another session of the commit runs).
      await removeSession(docker, session, { graceSeconds: 0 });
      const w = await reproduceOnce();
      warm.push(w);
      const wt = w.receipt.worktree;
      await endSession(docker, session, home, { graceSeconds: 0 });
      // Baseline: up() alone, same manifest, same folder.
      const m = loadManifestFile(path.join(clone, 'repro.yaml'));
      execFileSync('git', ['-C', clone, 'worktree', 'add', '--detach', '--quiet', path.join(tmp, 'base'), w.receipt.commit]);
      const at = loadManifestFile(path.join(tmp, 'base', 'repro.yaml')).manifest ?? m.manifest!;
      const t = performance.now();
      await up(docker, planSession(at, { session, sourceDir: path.join(tmp, 'base') }), { selfHealthCheck: selfCheck });
      baseline.push(performance.now() - t);
      await removeSession(docker, session, { graceSeconds: 0 });
      execFileSync('git', ['-C', clone, 'worktree', 'remove', '--force', path.join(tmp, 'base')]);
      if (fs.existsSync(wt)) throw new Error(`the worktree ${wt} was not removed`);
    }
  } finally {
    await removeSession(docker, session, { graceSeconds: 0 }).catch(() => undefined);
    fs.rmSync(tmp, { recursive: true, force: true });
  }

  const report = (name: string, runs: { ms: number; receipt: Receipt }[], target: number) => {
    const ms = median(runs.map((r) => r.ms));
    const mid = runs.find((r) => r.ms === ms) ?? runs[0]!;
    const shares = mid.receipt.steps.filter((s) => s.status !== 'skipped')
      .map((s) => `${s.step} ${secs(s.ms)} (${Math.round((s.ms / mid.ms) * 100)}%)`).join(', ');
    console.log(`  ${name.padEnd(5)} link to ready ${secs(ms)} median of ${runs.length} (${runs.map((r) => secs(r.ms)).join(', ')}); target < ${target} s: ${ms < target * 1000 ? 'met' : 'MISSED'}`);
    console.log(`        steps: ${shares}; worktree ${mid.receipt.steps.find((s) => s.step === 'worktree')?.note}`);
    console.log(`        ratio to the baseline: ${(ms / median(baseline)).toFixed(2)}`);
  };
  console.log(`  baseline: up() alone on the same manifest and code ${secs(median(baseline))} median (${baseline.map(secs).join(', ')})`);
  report('cold', cold, 20);
  report('warm', warm, 5);
  console.log(`  data from, in run order (cold, warm, ...): ${served.join(', ')}`);
}

main().catch((e) => { console.error(e); process.exit(1); });
