// Time to start the sample stack (test/fixtures/sample-shop: PostgreSQL, Redis, the Node app and
// the gateway) with up(), against a baseline measured in the same run: the same networks,
// volumes and containers created and started one after another with raw dockerode, with no
// waiting at all. The baseline is a floor, not a rival: up() also waits until every container
// is ready (Postgres initialising its data directory is most of it). So the run also times the
// baseline until the app answers through the published port, which is what a user waits for.
// Prints figures; asserts nothing. Needs the engine and images of scripts/provision/.
//   npx tsc -p . && node out/test/bench/stack.bench.js [runs]
import * as http from 'node:http';
import * as path from 'node:path';
import type Docker from 'dockerode';
import { loadManifestFile } from '../../extension/core/manifest/loader';
import { connectEngine, selfHealthCheck } from '../../extension/core/stack/engineConnection';
import { waitReady } from '../../extension/core/stack/health';
import { planSession, type Plan } from '../../extension/core/stack/plan';
import { removeSession } from '../../extension/core/stack/teardown';
import { containerCreateOptions, up } from '../../extension/core/stack/up';

const ROOT = path.resolve(__dirname, '../../..');
const SAMPLE = path.join(ROOT, 'test/fixtures/sample-shop');
const RUNS = Number(process.argv[2]) || 5;
const TAG = `bench${Date.now().toString(36)}`;
/** Readiness through exec (selfHealthCheck), as up() is told for the engine main() connects to. */
let selfCheck = false;

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

function plan(session: string): Plan {
  const r = loadManifestFile(path.join(SAMPLE, 'repro.yaml'));
  if (!r.manifest) throw new Error(`sample manifest: ${JSON.stringify(r.diagnostics)}`);
  return planSession(r.manifest, { session, sourceDir: SAMPLE, gatewayImage: 'busybox:latest' });
}

/** Baseline: networks, volumes, then each container created and started, in plan order, one at a time. */
async function sequential(docker: Docker, p: Plan, waitHealthy = false): Promise<string> {
  for (const n of p.networks) await docker.createNetwork({ Name: n.name, Driver: 'bridge', Internal: n.internal, CheckDuplicate: true, Labels: n.labels });
  for (const v of p.volumes) await docker.createVolume({ Name: v.name, Labels: v.labels });
  let gateway = '';
  for (const name of p.waves.flat()) {
    const c = p.containers.find((x) => x.name === name)!;
    const ct = await docker.createContainer(containerCreateOptions(c, { selfHealthCheck: selfCheck }));
    for (const n of c.networks.slice(1)) await docker.getNetwork(n).connect({ Container: ct.id, EndpointConfig: { Aliases: [c.hostname] } });
    await ct.start();
    if (waitHealthy && c.health) await waitReady(docker, ct.id, c.name, { test: c.health.test, timeoutMs: 60_000, selfCheck, label: c.name });
    if (c.role === 'gateway') gateway = ct.id;
  }
  return gateway;
}

function status(port: number, urlPath: string): Promise<number> {
  return new Promise((resolve) => {
    const req = http.get({ host: '127.0.0.1', port, path: urlPath, agent: false, timeout: 2000 }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(0));
  });
}

/** Polls GET /health (it queries PostgreSQL and Redis) until 200; at most 60 s. */
async function untilHealthy(port: number): Promise<void> {
  const t0 = Date.now();
  while (await status(port, '/health') !== 200) {
    if (Date.now() - t0 > 60_000) throw new Error(`the app did not answer on 127.0.0.1:${port} within 60 s`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

async function main(): Promise<void> {
  const conn = await connectEngine({});
  const { docker } = conn;
  selfCheck = selfHealthCheck(conn);
  const upMs: number[] = [];
  const baseMs: number[] = [];
  const baseReadyMs: number[] = [];
  const seqHealthyMs: number[] = [];
  const downMs: number[] = [];
  const waves: Record<string, number[]> = {};
  // The first start in this process: images present (no registry here), nothing else warm in
  // Repro; later runs are "warm".
  const cold = performance.now();
  await up(docker, plan(`${TAG}-cold`), { selfHealthCheck: selfCheck });
  const coldMs = performance.now() - cold;
  await removeSession(docker, `${TAG}-cold`, { graceSeconds: 0 });
  for (let i = 0; i < RUNS; i++) {
    const a = `${TAG}-up-${i}`;
    try {
      const t = performance.now();
      const stack = await up(docker, plan(a), { selfHealthCheck: selfCheck });
      upMs.push(performance.now() - t);
      for (const w of stack.timings) (waves[w.step.replace(/^wave (\d+).*/, 'wave $1')] ??= []).push(w.ms);
      const port = stack.published.find((x) => x.name === 'http')!.hostPort;
      if (await status(port, '/health') !== 200) throw new Error('up() returned before the app answered');
      const d = performance.now();
      await removeSession(docker, a);
      downMs.push(performance.now() - d);
    } finally {
      await removeSession(docker, a, { graceSeconds: 0 });
    }
    const c = `${TAG}-seq-${i}`;
    try {
      const t = performance.now();
      await sequential(docker, plan(c), true);
      seqHealthyMs.push(performance.now() - t);
    } finally {
      await removeSession(docker, c, { graceSeconds: 0 });
    }
    const b = `${TAG}-raw-${i}`;
    try {
      const p = plan(b);
      const t = performance.now();
      const gw = await sequential(docker, p);
      baseMs.push(performance.now() - t);
      const info = await docker.getContainer(gw).inspect();
      const port = Number(info.NetworkSettings.Ports['3000/tcp']?.[0]?.HostPort);
      await untilHealthy(port);
      baseReadyMs.push(performance.now() - t);
    } finally {
      await removeSession(docker, b, { graceSeconds: 0 });
    }
  }
  const f = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
  const u = median(upMs);
  const base = median(baseMs);
  const ready = median(baseReadyMs);
  const seq = median(seqHealthyMs);
  console.log(`stack up, sample-shop (postgres:15, redis:7, node:20 app, gateway), ${RUNS} runs, medians:`);
  console.log(`  cold up() (first in this process, images present): ${f(coldMs)}`);
  console.log(`  up() until every container is ready:           ${f(u)}   (runs: ${upMs.map((x) => (x / 1000).toFixed(2)).join(' ')})`);
  console.log(`    ${Object.entries(waves).map(([k, v]) => `${k} ${f(median(v))}`).join(', ')}`);
  console.log(`  baseline: raw dockerode, create+start in order: ${f(base)}   (runs: ${baseMs.map((x) => (x / 1000).toFixed(2)).join(' ')})`);
  console.log(`  baseline until the app answers GET /health:     ${f(ready)}   (runs: ${baseReadyMs.map((x) => (x / 1000).toFixed(2)).join(' ')})`);
  console.log(`  floor: raw dockerode, one after another, each until healthy: ${f(seq)}   (runs: ${seqHealthyMs.map((x) => (x / 1000).toFixed(2)).join(' ')})`);
  console.log(`  ratio up() / one-after-another until healthy:   ${(u / seq).toFixed(2)}   (target <= 1.1, below 1 from parallel start)`);
  console.log(`  down (graceful stop + remove everything):       ${f(median(downMs))}   (runs: ${downMs.map((x) => (x / 1000).toFixed(2)).join(' ')})`);
  console.log(`  ratio up() / raw create+start:                  ${(u / base).toFixed(2)}`);
  console.log(`  ratio up() / raw until the app answers:         ${(u / ready).toFixed(2)}`);
}

main().catch(async (e) => {
  console.error(e);
  process.exitCode = 1;
});
