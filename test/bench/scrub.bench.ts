// Scrubber throughput and memory on a large synthetic dump, against a baseline in the same
// run: the same generated dump through a pass-through Transform (what any stream stage costs,
// generation included). The dump has the sample shop's schema, tables in its proportions and
// its real multi-script rows (ids renumbered per copy), with the sample's rules; it is
// generated on the fly and never held in memory. Prints figures; asserts nothing.
//   node out/test/bench/scrub.bench.js [MB, default 200]
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Readable, Transform, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createScrubber } from '../../extension/core/data/dumpScrubber';
import { compileScrubPlan, deriveKey } from '../../extension/core/data/rules';
import { loadManifestFile } from '../../extension/core/manifest/loader';

const ROOT = path.resolve(__dirname, '../../..');
const FIXTURE = path.join(ROOT, 'test/fixtures/sample-shop');
const targetMB = Number(process.argv[2] ?? 200);

// The sample dump cut into its text between data blocks and the blocks' rows.
const sample = fs.readFileSync(path.join(FIXTURE, 'data/production.sql'), 'utf8');
const segments: { text: string; rows: string[] }[] = [];
{
  const lines = sample.split('\n');
  let text: string[] = [];
  for (let i = 0; i < lines.length; i++) {
    text.push(lines[i]!);
    if (!/^COPY .* FROM stdin;$/.test(lines[i]!)) continue;
    const rows: string[] = [];
    for (i++; lines[i] !== '\\.'; i++) rows.push(lines[i]!);
    segments.push({ text: `${text.join('\n')}\n`, rows });
    text = ['\\.'];
  }
  segments.push({ text: text.join('\n'), rows: [] });
}
const copies = Math.max(1, Math.round((targetMB * 1024 * 1024) / Buffer.byteLength(sample)));

/** The dump, `copies` times the sample's rows per table, in ~64 KB chunks. */
function* generate(): Generator<Buffer> {
  let pending: string[] = [];
  let size = 0;
  const take = (s: string) => {
    pending.push(s);
    size += s.length;
  };
  for (const seg of segments) {
    take(seg.text);
    for (let c = 0; c < copies; c++) {
      const offset = c * 100_000;
      for (const row of seg.rows) {
        const tab = row.indexOf('\t');
        take(`${Number(row.slice(0, tab)) + offset}${row.slice(tab)}\n`);
        if (size >= 64 * 1024) {
          yield Buffer.from(pending.join(''), 'utf8');
          pending = [];
          size = 0;
        }
      }
    }
  }
  yield Buffer.from(pending.join(''), 'utf8');
}

interface RunFigures {
  seconds: number;
  bytesIn: number;
  /** Peak RSS above the start, over the first half of the input and over the whole run. */
  rssGrowthHalf: number;
  rssGrowth: number;
}

async function run(stage: () => Transform, totalBytes: number): Promise<RunFigures> {
  const before = process.memoryUsage.rss();
  let peak = before;
  let peakHalf = before;
  let bytesIn = 0;
  // Sampled as chunks flow (a timer would starve: the pipeline runs on ticks, not the event loop).
  const source = Readable.from(generate());
  source.on('data', (c: Buffer) => {
    bytesIn += c.length;
    peak = Math.max(peak, process.memoryUsage.rss());
    if (bytesIn <= totalBytes / 2) peakHalf = peak;
  });
  const t = performance.now();
  await pipeline(source, stage(), new Writable({ write: (_c, _e, cb) => cb() }));
  const seconds = (performance.now() - t) / 1000;
  peak = Math.max(peak, process.memoryUsage.rss());
  return { seconds, bytesIn, rssGrowthHalf: peakHalf - before, rssGrowth: peak - before };
}

async function main(): Promise<void> {
  const manifest = loadManifestFile(path.join(FIXTURE, 'repro.yaml')).manifest!;
  const plan = compileScrubPlan(manifest.services!.db!.data!, deriveKey('bench secret'));
  const MB = 1024 * 1024;
  // About the dump's size, for the half-way mark (renumbered ids are a few bytes longer).
  const total = segments.reduce((n, seg) => n + Buffer.byteLength(seg.text) + copies * seg.rows.reduce((m, r) => m + Buffer.byteLength(r) + 1, 0), 0);
  const baseline = await run(() => new Transform({ transform: (chunk, _e, cb) => cb(null, chunk) }), total);
  let rows = 0;
  const scrubbed = await run(() => createScrubber(plan, { onProgress: (p) => void (p.done && (rows += p.rows)) }).stream, total);
  const rate = (r: RunFigures) => r.bytesIn / MB / r.seconds;
  const rss = (r: RunFigures) => `peak RSS growth ${(r.rssGrowthHalf / MB).toFixed(0)} MB at half-way, ${(r.rssGrowth / MB).toFixed(0)} MB at the end`;
  console.log(`scrub: synthetic dump of ${(scrubbed.bytesIn / MB).toFixed(0)} MB (${rows.toLocaleString('en')} rows: the sample's ${copies}x, sample rules: 6 scrubbed columns)`);
  console.log(`  pass-through Transform  ${rate(baseline).toFixed(1).padStart(7)} MB/s  ${baseline.seconds.toFixed(2).padStart(6)} s   ${rss(baseline)}`);
  console.log(`  scrubber                ${rate(scrubbed).toFixed(1).padStart(7)} MB/s  ${scrubbed.seconds.toFixed(2).padStart(6)} s   ${rss(scrubbed)}`);
  console.log(`  ratio (scrubber time / baseline time) ${(scrubbed.seconds / baseline.seconds).toFixed(1)}; memory is bounded if the end's growth is about the half-way's`);
}

main().catch((e) => {
  console.error(e);
  process.exitCode = 1;
});
