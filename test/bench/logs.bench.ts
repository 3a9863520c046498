// The log pipeline end to end: a busybox container on the real engine writes N lines as fast as
// it can; the session log stream (core/logs) follows it, batches and buffers; the feed sends
// acknowledged batches to the real webview bundle (dist/logViewer.js) in headless Chromium
// through FakeVsCodeWebviewHost (VS Code's webview host is the one part that cannot run here),
// where the virtualised list draws. Baseline in the same run: the same container read with raw
// dockerode (logs follow, bytes counted as lines), the engine's own pace.
// Prints lines/s produced (by the container), delivered (to the host's buffer) and received
// and drawn by the webview, and this process's memory sampled while it runs (flat: bounded by
// the buffer, whatever N). Asserts nothing. Needs the engine, busybox and chromium.
//   npx tsc -p . && node esbuild.mjs && node --expose-gc out/test/bench/logs.bench.js [lines, default 200000]
import type Docker from 'dockerode';
import { chromium } from 'playwright-core';
import { LogFeed } from '../../extension/core/logs/logFeed';
import { SessionLogStream } from '../../extension/core/logs/sessionLogStream';
import { connectEngine } from '../../extension/core/stack/engineConnection';
import { LABEL } from '../../extension/core/stack/labels';
import { removeSession } from '../../extension/core/stack/teardown';
import { isLogViewerMessage, type LogHostMessage } from '../../webview/logProtocol';
import { FakeVsCodeWebviewHost } from './fakeWebviewHost';

const N = Number(process.argv[2]) || 200_000;
const SESSION = `benchlogs${Date.now().toString(36)}`;
const MB = 1024 * 1024;

/** A container of the session writing N realistic lines (logfmt, levels, a trace id) as fast as busybox awk can. */
async function writer(docker: Docker, name: string): Promise<Docker.Container> {
  const awk = `BEGIN { for (i = 0; i < ${N}; i++) printf "ts=%d level=%s msg=\\"GET /customers/%d/badge\\" status=200 trace_id=%032x\\n", i, (i % 50 ? "info" : "warn"), i % 1000, i }`;
  return docker.createContainer({
    Image: 'busybox:latest', name: `${SESSION}-${name}`, Cmd: ['awk', awk],
    Labels: { [LABEL.session]: SESSION, [LABEL.project]: 'bench', [LABEL.service]: name, [LABEL.role]: 'app' },
  });
}

async function runtime(c: Docker.Container): Promise<number> {
  const s = (await c.inspect()).State;
  return (Date.parse(s.FinishedAt) - Date.parse(s.StartedAt)) / 1000;
}

/** Baseline: raw dockerode, follow from the start, count newlines. */
async function raw(docker: Docker): Promise<{ seconds: number; lines: number; produced: number }> {
  const c = await writer(docker, 'raw');
  const t0 = performance.now();
  await c.start();
  const stream = await c.logs({ follow: true, stdout: true, stderr: true }) as NodeJS.ReadableStream;
  let lines = 0;
  await new Promise<void>((resolve, reject) => {
    stream.on('data', (d: Buffer) => { for (let i = d.indexOf(10); i >= 0; i = d.indexOf(10, i + 1)) lines++; });
    stream.on('end', resolve);
    stream.on('error', reject);
  });
  const produced = N / await runtime(c);
  await c.remove({ force: true });
  return { seconds: (performance.now() - t0) / 1000, lines, produced };
}

interface Sample { t: number; rss: number; heap: number }

/** Waits until `done()`, at most three minutes. */
async function until(what: string, done: () => boolean | Promise<boolean>): Promise<void> {
  const t0 = performance.now();
  while (!(await done())) {
    if (performance.now() - t0 > 180_000) throw new Error(`${what} not done after 180 s`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** The session stream alone (core/logs), to the host's buffer: what the engine side costs. */
async function streamOnly(docker: Docker): Promise<number> {
  const stream = new SessionLogStream(docker, SESSION);
  await stream.start();
  const c = await writer(docker, 'stream');
  const t0 = performance.now();
  await c.start();
  try {
    await until('the session stream', () => stream.received >= N);
    return (performance.now() - t0) / 1000;
  } finally {
    stream.dispose();
    await c.remove({ force: true });
  }
}

interface ViewerStats { lines: number; received: number; shown: number; rendered: number; dropped: number }

async function main(): Promise<void> {
  const { docker } = await connectEngine({});
  const browser = await chromium.launch({ executablePath: process.env.CHROMIUM || '/usr/bin/chromium', args: ['--no-sandbox', '--disable-gpu', '--js-flags=--expose-gc', '--enable-precise-memory-info'] });
  const gc = (globalThis as { gc?: () => void }).gc;
  try {
    const base = await raw(docker);
    const rawRate = base.lines / base.seconds;
    console.log(`logs: ${N.toLocaleString('en')} logfmt lines (~${(N * 100 / MB).toFixed(0)} MB) per busybox container, written as fast as it can`);
    console.log(`  produced by the container             ${rate(base.produced)}  (its own run time)`);
    console.log(`  (a) baseline: raw dockerode follow     ${rate(rawRate)}  (bytes counted as lines)`);
    const alone = await streamOnly(docker);
    console.log(`  (b) session stream to the host buffer  ${rate(N / alone)}  ratio ${((N / alone) / rawRate).toFixed(2)} to (a)  (split, timestamps, level and trace id per line, merged, batched)`);

    // (c) The whole pipeline: session stream -> feed -> FakeVsCodeWebviewHost -> dist/logViewer.js.
    let feed: LogFeed | undefined;
    let ready!: () => void;
    const isReady = new Promise<void>((r) => { ready = r; });
    const host = await FakeVsCodeWebviewHost.open(browser, 'logViewer.js', 'logViewer.css', (m) => {
      if (!isLogViewerMessage(m)) return;
      if (m.type === 'ready') ready();
      if (m.type === 'ack') feed?.ack(m.id);
    });
    await isReady;
    const post = (m: LogHostMessage) => void host.post(m).catch(() => undefined);
    const stream = new SessionLogStream(docker, SESSION, { onLines: () => feed?.pump() });
    feed = new LogFeed({ buffer: stream.buffer, post: (b) => post({ type: 'batch', ...b }) });
    post({ type: 'init', session: SESSION, bufferLines: stream.buffer.capacity, services: [] });
    await stream.start();
    const samples: Sample[] = [];
    const t0 = performance.now();
    // Live memory: collected before each sample when node runs with --expose-gc (scripts/bench.sh does).
    const sampler = setInterval(() => { gc?.(); const m = process.memoryUsage(); samples.push({ t: performance.now() - t0, rss: m.rss, heap: m.heapUsed }); }, 1000);
    const c = await writer(docker, 'web');
    await c.start();
    await until('the pipeline', () => stream.received >= N);
    const deliveredAt = (performance.now() - t0) / 1000;
    const stats = () => host.page.evaluate(() => (globalThis as unknown as { reproLogViewer: { stats(): ViewerStats } }).reproLogViewer.stats());
    let s: ViewerStats = await stats();
    await until('the webview', async () => { s = await stats(); return s.received + s.dropped >= stream.buffer.end; });
    const viewerAt = (performance.now() - t0) / 1000;
    clearInterval(sampler);
    await new Promise((r) => setTimeout(r, 200));
    const lastRow = await host.page.locator('.row:not([hidden]) .text').last().textContent();
    const jsHeap = await host.page.evaluate(() => {
      (globalThis as { gc?: () => void }).gc?.(); // live objects only
      return (performance as unknown as { memory?: { usedJSHeapSize: number } }).memory?.usedJSHeapSize ?? 0;
    });
    console.log(`  (c) with the webview: to the host      ${rate(N / deliveredAt)}  ratio ${((N / deliveredAt) / rawRate).toFixed(2)} to (a)`);
    console.log(`      received by the webview            ${rate(s.received / viewerAt)}  (${s.received.toLocaleString('en')} lines; ${s.dropped.toLocaleString('en')} dropped by the bounded buffer, and the viewer says so)`);
    console.log(`      drawn by the virtualised list      ${s.rendered.toLocaleString('en')} row draws in all; the webview holds ${s.lines.toLocaleString('en')} lines; last row: ${JSON.stringify(lastRow?.slice(0, 40))}`);
    console.log(`      webview live JS heap at the end    ${(jsHeap / MB).toFixed(1)} MB  (its ${s.lines.toLocaleString('en')}-line buffer, plus what DevTools keeps of every message the harness evaluated: it grows with the run, the viewer does not)`);
    const parts = [0, 1, 2, 3].map((q) => samples.filter((x) => x.t >= q * deliveredAt * 250 && x.t < (q + 1) * deliveredAt * 250)).filter((x) => x.length);
    const max = (xs: Sample[], k: 'rss' | 'heap') => Math.max(...xs.map((x) => x[k]));
    const live = gc ? 'live heap (after gc)' : 'heap (run with --expose-gc for live)';
    console.log(`      host RSS, max per quarter          ${parts.map((p) => (max(p, 'rss') / MB).toFixed(0)).join(' / ')} MB`);
    console.log(`      host ${live}, max per quarter ${parts.map((p) => (max(p, 'heap') / MB).toFixed(0)).join(' / ')} MB  (last / first ${(max(parts.at(-1)!, 'heap') / max(parts[0]!, 'heap')).toFixed(2)}; bounded by the ${stream.buffer.capacity.toLocaleString('en')}-line buffer)`);
    stream.dispose();
    await host.close();
  } finally {
    await browser.close();
    await removeSession(docker, SESSION, { graceSeconds: 0 });
  }
}

const rate = (perSecond: number): string => `${Math.round(perSecond).toLocaleString('en').padStart(9)} lines/s`;

main().catch((e: unknown) => { console.error(e); process.exitCode = 1; });
