// Time from "Replay Request" to the debugger stopped at the alert's frame, on a real
// reproduction of the sample incident (real git, engine, Node inspector). A debugger client
// speaking the inspector's protocol (what VS Code's js-debug speaks) sets the breakpoint at
// src/badge.js:40; the baseline, measured in the same run, is the same request answered with no
// debugger attached. The figure seen in VS Code itself is printed by the in-host suite.
// Prints figures; asserts nothing.
//   npx tsc -p . && node out/test/bench/debug.bench.js [runs]
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { waitForDebugger } from '../../extension/core/debug/probe';
import { replayRequest } from '../../extension/core/debug/replay';
import { findDebugTarget } from '../../extension/core/debug/target';
import { openRepository } from '../../extension/core/git/repository';
import { incidentFromText } from '../../extension/core/incident/input';
import { endSession } from '../../extension/core/session/lifecycle';
import { runReproduction } from '../../extension/core/session/run';
import { connectEngine, selfHealthCheck } from '../../extension/core/stack/engineConnection';
import { listSessions, removeSession } from '../../extension/core/stack/teardown';
import { CdpClient } from '../integration/cdp';

const ROOT = path.resolve(__dirname, '../../..');
const RUNS = Number(process.argv[2]) || 10;
const LINK = 'vscode://reprokit.repro/reproduce?' + new URLSearchParams({
  incident: 'INC-137', release: 'v1.4.0', env: 'production', service: 'web', repo: 'https://github.com/reprokit/sample-shop.git',
  frames: '/app/src/badge.js:40:21;/app/server.js:57:15', method: 'GET', path: '/customers/137/badge',
}).toString();

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};
const ms = (v: number) => `${v.toFixed(1)} ms`;

async function main(): Promise<void> {
  process.env.GIT_CONFIG_GLOBAL = '/dev/null';
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'repro-bench-debug-'));
  const clone = path.join(tmp, 'shop');
  execFileSync('bash', [path.join(ROOT, 'test/fixtures/make-sample-repo.sh'), clone], { stdio: ['ignore', 'ignore', 'ignore'] });
  const home = path.join(tmp, 'home');
  const conn = await connectEngine();
  const { docker } = conn;
  const session = `bench-debug-${process.pid}`;
  const plain: number[] = [];
  const stopped: number[] = [];
  let probeMs = 0;
  try {
    const input = await incidentFromText(LINK, { trustedHosts: [] });
    if (!input.ok) throw new Error(input.error);
    await runReproduction({ incident: input.incident, repo: await openRepository(clone), docker, selfHealthCheck: selfHealthCheck(conn), home, session });
    const s = (await listSessions(docker)).find((x) => x.session === session)!;
    const info = await findDebugTarget(docker, s, { home });
    const { target: t, request, httpUrl } = info;
    if (!request || !httpUrl) throw new Error('the reproduction has no request or HTTP port');
    const probe = await waitForDebugger('inspector', t.host, t.port);
    probeMs = probe.ms;
    // Warm-up: the first request opens the app's database and cache connections.
    await replayRequest(httpUrl, request);
    for (let i = 0; i < RUNS; i++) {
      plain.push((await replayRequest(httpUrl, request)).ms);
      const cdp = await CdpClient.connect(`ws://${t.host}:${t.port}${new URL(probe.target!.webSocketDebuggerUrl).pathname}`);
      try {
        await cdp.send('Debugger.enable');
        await cdp.breakAt('/app/src/badge.js', info.frames[0]!.line);
        const paused = cdp.nextPause();
        const t0 = performance.now();
        const answer = replayRequest(httpUrl, request);
        const at = await paused;
        stopped.push(performance.now() - t0);
        if (at.url !== 'file:///app/src/badge.js' || at.line !== 40) throw new Error(`stopped at ${at.url}:${at.line}`);
        await cdp.send('Debugger.disable'); // removes the breakpoint and resumes
        if ((await answer).status !== 500) throw new Error('the replayed request did not fail as in production');
      } finally {
        cdp.close();
      }
    }
  } finally {
    await endSession(docker, session, home, { graceSeconds: 0 }).catch(() => removeSession(docker, session, { graceSeconds: 0 }));
    fs.rmSync(tmp, { recursive: true, force: true });
  }
  const base = median(plain);
  const stop = median(stopped);
  console.log(`  baseline: the incident's request answered with no debugger attached ${ms(base)} median of ${RUNS} (${plain.map((v) => v.toFixed(1)).join(', ')})`);
  console.log(`  replay to stopped at src/badge.js:40 ${ms(stop)} median of ${RUNS} (${stopped.map((v) => v.toFixed(1)).join(', ')}); ratio to the baseline ${(stop / base).toFixed(2)}`);
  console.log(`  the inspector answered the probe ${ms(probeMs)} after the reproduction was ready`);
}

main().catch((e) => { console.error(e); process.exit(1); });
