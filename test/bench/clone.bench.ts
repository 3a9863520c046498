// The data clone end to end on a large generated dump, each figure beside a baseline measured in
// the same run:
//   (a) the scrubber alone, file -> scrubber -> nowhere, against `cat` of the same file to
//       /dev/null (the disk and page cache's pace), with the scrubber's peak RSS growth at a
//       quarter, half and all of the input (memory must stay flat as the dump grows), and the
//       scrubber with two scrub lanes against one thread (the process's CPU-seconds beside);
//   (b) the clone's dump, scrub and restore (the scrubber streamed into the session's
//       PostgreSQL), and the full clone (checks, ANALYZE, the snapshots kept), against the same
//       file restored as it is (restoreSql with the file stream) into a fresh database of the
//       same server: what scrubbing adds, as the ratio of the medians of `pairs` runs of each,
//       alternately (and per pair). The machine's busy CPU-seconds are printed beside both
//       (Linux): on a machine whose cores the restore alone keeps busy, every CPU-second the
//       scrubber needs shows in the time. As in a reproduction, the coverage gate reads the
//       dump beside the session's start (which also takes the dump's sha256, its identity, for
//       the physical snapshot lookup; the clone remembers both); the gate's pass on its own,
//       as `repro data clone` into a running session reads it, is printed beside. Each pair
//       also restores the file through the scrubber alone (no SQL snapshot written beside it),
//       to show what the snapshot's write adds to the scrubbing itself;
//   (c) the same dump under the same rules in a new session, served from the physical snapshot
//       the cold clone kept (its data volume filled before PostgreSQL starts, as a reproduction
//       does), session start included, against the cold clone (with and without its session's
//       start): from the engine's copy of it (a volume, made in the background after the cold
//       clone: its time is printed; the median of three sessions), as the next session on the same engine is, and from the
//       file, as on an engine without the copy; and (d) the SQL snapshot (the fallback for
//       another image) into that session; (e) a reproduction's data step, from a new session's
//       start to the data restored: the dump scrubbed into the cache beside the session's start
//       (scrubAhead.ts) and the clone restoring it, against the session's start and the file
//       restored as it is.
// The dump has the sample shop's schema and its real multi-script rows, repeated with new ids
// (foreign keys follow, emails made unique per copy: the table has a unique key on them); it is
// streamed to a temporary file, never held in memory. One session (the sample's db service
// only), removed with its volumes at the end, with the temporary files, the cache entries and
// the engine's copy (REPRO_HOME is a temporary folder). Prints figures; asserts nothing. Needs
// the engine and postgres:15 (scripts/provision/).
//   npx tsc -p . && node out/test/bench/clone.bench.js [MB, default 200] [pairs, default 5]
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { cloneServiceData, resetDatabase, type CloneResult } from '../../extension/core/data/clone';
import { createScrubber } from '../../extension/core/data/dumpScrubber';
import { defaultLaneCount } from '../../extension/core/data/scrubLanes';
import { pgTarget, psqlRows, quoteIdent } from '../../extension/core/data/pg';
import type { PhysicalMeta } from '../../extension/core/data/physicalSnapshot';
import { seedFromPhysical } from '../../extension/core/data/seedVolume';
import { engineCopiesSettled, removeEngineCopies } from '../../extension/core/data/engineCopy';
import { scanDump } from '../../extension/core/data/scan';
import { gateWorkspace } from '../../extension/core/data/coverageScan';
import { restoreSql } from '../../extension/core/data/restore';
import { startScrubAhead } from '../../extension/core/data/scrubAhead';
import { compileScrubPlan, deriveKey } from '../../extension/core/data/rules';
import { loadManifestFile } from '../../extension/core/manifest/loader';
import type { Manifest } from '../../extension/core/manifest/schema';
import { connectEngine, selfHealthCheck } from '../../extension/core/stack/engineConnection';
import { planSession } from '../../extension/core/stack/plan';
import { removeSession } from '../../extension/core/stack/teardown';
import { up } from '../../extension/core/stack/up';

const ROOT = path.resolve(__dirname, '../../..');
const SAMPLE = path.join(ROOT, 'test/fixtures/sample-shop');
const targetMB = Number(process.argv[2] ?? 200);
/** Plain restores and cold clones, alternately (see (b)). */
const pairs = Math.max(1, Number(process.argv[3] ?? 5));
const MB = 1024 * 1024;
const SESSION = `benchclone${Date.now().toString(36)}`;
const KEY = deriveKey('clone bench secret');
const RAW_DB = 'bench_raw';

/** Columns holding ids (renumbered per copy, foreign keys with them), per table. */
const ID_COLUMNS: Record<string, number[]> = { 'public.customers': [0], 'public.orders': [0, 1], 'public.order_items': [0, 1] };
/** Columns with a unique key on text: varied per copy. */
const UNIQUE_EMAIL: Record<string, number> = { 'public.customers': 1 };
const ID_STRIDE = 10_000; // above every id of the sample

/** The sample dump cut into its text between data blocks and the blocks' rows. */
function segments(): { text: string; table: string | undefined; rows: string[][] }[] {
  const lines = fs.readFileSync(path.join(SAMPLE, 'data/production.sql'), 'utf8').split('\n');
  const out: { text: string; table: string | undefined; rows: string[][] }[] = [];
  let text: string[] = [];
  for (let i = 0; i < lines.length; i++) {
    text.push(lines[i]!);
    const m = /^COPY (\S+) .* FROM stdin;$/.exec(lines[i]!);
    if (!m) continue;
    const rows: string[][] = [];
    for (i++; lines[i] !== '\\.'; i++) rows.push(lines[i]!.split('\t'));
    out.push({ text: `${text.join('\n')}\n`, table: m[1], rows });
    text = ['\\.'];
  }
  out.push({ text: text.join('\n'), table: undefined, rows: [] });
  return out;
}

/** Writes a dump of about `mb` MB to `file`, streamed (backpressure honoured). */
async function generate(file: string, mb: number): Promise<{ bytes: number; rows: number; copies: number }> {
  const segs = segments();
  const sampleBytes = fs.statSync(path.join(SAMPLE, 'data/production.sql')).size;
  const copies = Math.max(1, Math.round((mb * MB) / sampleBytes));
  if (copies * ID_STRIDE > 2 ** 31 - 1) throw new Error('too large for integer ids');
  let rows = 0;
  function* chunks(): Generator<string> {
    let pending: string[] = [];
    let size = 0;
    for (const seg of segs) {
      pending.push(seg.text);
      const ids: number[] = (seg.table ? ID_COLUMNS[seg.table] : undefined) ?? [];
      const email = seg.table ? UNIQUE_EMAIL[seg.table] : undefined;
      for (let c = 0; c < copies; c++) {
        const offset = c * ID_STRIDE;
        for (const row of seg.rows) {
          const f = row.slice();
          for (const i of ids) f[i] = String(Number(f[i]) + offset);
          if (email !== undefined && c > 0) {
            const at = f[email]!.lastIndexOf('@');
            f[email] = `${f[email]!.slice(0, at)}.${c}${f[email]!.slice(at)}`;
          }
          const line = `${f.join('\t')}\n`;
          pending.push(line);
          size += line.length;
          rows++;
          if (size >= 256 * 1024) {
            yield pending.join('');
            pending = [];
            size = 0;
          }
        }
      }
    }
    yield pending.join('');
  }
  const out = fs.createWriteStream(file);
  await pipeline(chunks(), out);
  return { bytes: fs.statSync(file).size, rows, copies };
}

async function timeCat(file: string): Promise<number> {
  const t = performance.now();
  await new Promise<void>((resolve, reject) => {
    const devnull = fs.openSync('/dev/null', 'w');
    const p = spawn('cat', [file], { stdio: ['ignore', devnull, 'inherit'] });
    p.on('error', reject);
    p.on('exit', (code) => { fs.closeSync(devnull); code === 0 ? resolve() : reject(new Error(`cat exited ${code}`)); });
  });
  return (performance.now() - t) / 1000;
}

/** file -> scrubber -> nowhere; peak RSS growth sampled on each input chunk, at each mark. */
async function timeScrub(file: string, manifest: Manifest, marks: number[], lanes?: number): Promise<{ seconds: number; growth: number[]; cpu: number }> {
  const plan = compileScrubPlan(manifest.services!.db!.data!, KEY);
  const before = process.memoryUsage.rss();
  let peak = before;
  let read = 0;
  const growth: number[] = marks.map(() => NaN);
  const source = fs.createReadStream(file, { highWaterMark: 256 * 1024 });
  source.on('data', (c) => {
    read += c.length;
    peak = Math.max(peak, process.memoryUsage.rss());
    marks.forEach((m, i) => { if (read <= m || Number.isNaN(growth[i]!)) growth[i] = peak - before; });
  });
  const t = performance.now();
  const c0 = process.cpuUsage(); // every thread of the process: the lanes' too
  await pipeline(source, createScrubber(plan, lanes === undefined ? {} : { lanes }).stream, new Writable({ write: (_c, _e, cb) => cb() }));
  const seconds = (performance.now() - t) / 1000;
  const c = process.cpuUsage(c0);
  peak = Math.max(peak, process.memoryUsage.rss());
  growth[growth.length - 1] = peak - before;
  return { seconds, growth, cpu: (c.user + c.system) / 1e6 };
}

const s = (ms: number) => `${(ms / 1000).toFixed(2).padStart(7)} s`;

/** CPU-seconds the whole machine spent busy (Linux /proc/stat; NaN elsewhere), and this process's. */
function cpuNow(): { machine: number; own: number } {
  let machine = NaN;
  try {
    const f = fs.readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
    const hz = 100; // USER_HZ: 100 on every Linux the engine runs on
    machine = (f.reduce((a, b) => a + b, 0) - f[3]! - f[4]!) / hz;
  } catch { /* not Linux */ }
  const u = process.cpuUsage();
  return { machine, own: (u.user + u.system) / 1e6 };
}
const CORES = os.availableParallelism?.() ?? os.cpus().length;
/** "machine 12.3 CPU-s (1.6 of 2 cores busy), this process 0.9" over `ms` of wall time. */
const cpuLine = (a: { machine: number; own: number }, b: { machine: number; own: number }, ms: number) =>
  `machine ${(b.machine - a.machine).toFixed(1)} CPU-s (${((b.machine - a.machine) / (ms / 1000)).toFixed(2)} of ${CORES} cores busy), this process ${(b.own - a.own).toFixed(1)} CPU-s`;
const median = (xs: number[]) => { const o = [...xs].sort((a, b) => a - b); return o.length % 2 ? o[(o.length - 1) / 2]! : (o[o.length / 2 - 1]! + o[o.length / 2]!) / 2; };
const step = (r: CloneResult, prefix: string) => r.timings.filter((t) => t.step.startsWith(prefix)).reduce((a, t) => a + t.ms, 0);

async function main(): Promise<void> {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'repro-clone-bench-'));
  const root = path.join(tmp, 'repo');
  const home = path.join(tmp, 'home');
  fs.mkdirSync(path.join(root, 'data'), { recursive: true });
  const prevHome = process.env.REPRO_HOME;
  process.env.REPRO_HOME = home;
  const conn = await connectEngine({});
  const { docker } = conn;
  try {
    const file = path.join(root, 'data/production.sql');
    const g0 = performance.now();
    const gen = await generate(file, targetMB);
    const genMs = performance.now() - g0;
    const loaded = loadManifestFile(path.join(SAMPLE, 'repro.yaml'));
    if (!loaded.manifest) throw new Error(`sample manifest: ${JSON.stringify(loaded.diagnostics)}`);
    // The db service only: the clone needs nothing else.
    const manifest: Manifest = { ...structuredClone(loaded.manifest), apps: {}, services: { db: structuredClone(loaded.manifest.services!.db!) } };
    console.log(`clone: generated dump of ${(gen.bytes / MB).toFixed(0)} MB (${gen.rows.toLocaleString('en')} rows: the sample's ${gen.copies}x, new ids, unique emails) in ${s(genMs).trim()}; sample rules (6 scrubbed columns)`);

    // (a) throughput and memory.
    await timeCat(file); // the page cache holds the file for both, whatever the write left
    const cat = await timeCat(file);
    const marks = [gen.bytes / 4, gen.bytes / 2, gen.bytes];
    const scrub = await timeScrub(file, manifest, marks);
    const mbs = (sec: number) => `${(gen.bytes / MB / sec).toFixed(1).padStart(7)} MB/s`;
    console.log(`  (a) cat file > /dev/null        ${mbs(cat)}  ${s(cat * 1000)}`);
    console.log(`      scrubber (file -> nowhere)  ${mbs(scrub.seconds)}  ${s(scrub.seconds * 1000)}   ratio (scrubber time / cat time) ${(scrub.seconds / cat).toFixed(1)}`);
    console.log(`      scrubber peak RSS growth: ${marks.map((m, i) => `${(scrub.growth[i]! / MB).toFixed(0)} MB at ${(m / MB).toFixed(0)} MB`).join(', ')} of input (flat = bounded)`);
    // Lanes: the clone's default here is defaultLaneCount(); two are run whatever it is.
    const one = await timeScrub(file, manifest, marks, 0);
    const two = await timeScrub(file, manifest, marks, 2);
    console.log(`      scrub lanes (file -> nowhere): one thread ${mbs(one.seconds).trim()} (${one.cpu.toFixed(1)} CPU-s), two lanes ${mbs(two.seconds).trim()} (${two.cpu.toFixed(1)} CPU-s): ${(one.seconds / two.seconds).toFixed(2)}x; ` +
      `peak RSS growth with lanes ${(two.growth[two.growth.length - 1]! / MB).toFixed(0)} MB; this machine's clones use ${defaultLaneCount()} lane(s) (${CORES} cores)`);

    // One session: the sample's PostgreSQL (its data volume seeded when a physical snapshot is kept).
    let seeded: PhysicalMeta | undefined;
    let seedLog = '';
    /** Whether a session seeded from the file makes the engine's copy after (not in (c'): measured without). */
    let seedCopies = true;
    let copyLog = '';
    // As a reproduction does: the coverage gate reads the dump while the session starts, and
    // the clones are given what it proved (CloneOptions.covered).
    let covered = new Set<string>();
    /** The gate's time beside the first session's start. */
    let gateMs: number | undefined;
    const startDb = async () => {
      const g0 = performance.now();
      const [started, proved] = await Promise.all([
        up(docker, planSession(manifest, { session: SESSION, sourceDir: SAMPLE, gatewayImage: 'busybox:latest' }), {
          selfHealthCheck: selfHealthCheck(conn),
          beforeStart: async (c, id) => {
            if (c.entry === 'db') seeded = await seedFromPhysical(docker, { manifest, service: 'db', containerId: id, root, home, key: KEY, log: (m) => { seedLog = m; }, engineCopy: seedCopies });
          },
        }),
        gateWorkspace(root, manifest).then((r) => { gateMs ??= performance.now() - g0; return r; }),
      ]);
      covered = proved;
      return started;
    };
    const u0 = performance.now();
    let stack = await startDb();
    const upMs = performance.now() - u0;
    const db = stack.containers.find((c) => c.entry === 'db' && c.role === 'service');
    if (!db) throw new Error('the session has no db container');
    const target = await pgTarget(docker, db.id);
    console.log(`  session up (db only, initdb) in ${s(upMs).trim()}, the coverage gate read the dump beside it in ${s(gateMs ?? NaN).trim()}`);

    // (b) the same file restored as it is into a fresh database of the same server, and a cold
    // clone of it, alternately, `pairs` times: on a shared machine the pace changes from one
    // minute to the next, and a ratio of two single runs can be off by a third either way. Each
    // clone but the last gets a cache folder of its own (nothing cached: cold); the last one's
    // is the one (c) and (d) read.
    const opts = { manifest, service: 'db', root, key: KEY, replace: true, covered };
    const runs: { raw: number; rawCpu: string; bare: number; gate: number; pipeline: number; scrub: number; scrubCpu: string; full: number }[] = [];
    let cold: CloneResult | undefined;
    const plan = compileScrubPlan(manifest.services!.db!.data!, KEY);
    /** The file, or the file through the scrubber (no gate, nothing kept), into a fresh database. */
    const restoreFresh = async (scrubbed: boolean) => {
      await psqlRows(docker, target, `CREATE DATABASE ${quoteIdent(RAW_DB)} OWNER ${quoteIdent(target.user)}`, { database: 'postgres' });
      const c0 = cpuNow();
      const t0 = performance.now();
      const input = fs.createReadStream(file, { highWaterMark: 256 * 1024 });
      await restoreSql(docker, target, scrubbed ? input.pipe(createScrubber(plan).stream) : input, { database: RAW_DB });
      const ms = performance.now() - t0;
      const cpu = cpuLine(c0, cpuNow(), ms);
      await psqlRows(docker, target, `DROP DATABASE ${quoteIdent(RAW_DB)} WITH (FORCE)`, { database: 'postgres' });
      return { ms, cpu };
    };
    for (let i = 0; i < pairs; i++) {
      const { ms: raw, cpu: rawCpu } = await restoreFresh(false);
      const { ms: bare } = await restoreFresh(true);
      // The gate's pass on its own, as a clone given nothing proved (repro data clone) runs it.
      const g0 = performance.now();
      await scanDump(fs.createReadStream(file, { highWaterMark: 256 * 1024 }), plan);
      const gate = performance.now() - g0;

      // The machine's CPU at each step's start: what the scrub + restore step cost beside the plain restore.
      const stepMarks: { step: string; at: { machine: number; own: number }; t: number }[] = [];
      // Into an empty database, as a reproduction's clone goes (not beside the previous pair's
      // clone, as a replacing one would).
      await resetDatabase(docker, target);
      const c0 = performance.now();
      const last = i === pairs - 1;
      cold = await cloneServiceData(docker, {
        ...opts, stack, home: last ? home : path.join(tmp, `home-${i}`),
        onStep: (m) => stepMarks.push({ step: m, at: cpuNow(), t: performance.now() }),
        // The engine's copy of the last one's physical snapshot only, made after the pairs (c).
        engineCopy: last, onEngineCopy: (m) => { copyLog = m; },
      });
      const full = performance.now() - c0;
      stepMarks.push({ step: 'end', at: cpuNow(), t: performance.now() });
      const k = stepMarks.findIndex((m) => m.step.startsWith('scrubbing '));
      const scrubCpu = k >= 0 ? cpuLine(stepMarks[k]!.at, stepMarks[k + 1]!.at, stepMarks[k + 1]!.t - stepMarks[k]!.t) : '';
      const scrubStep = step(cold, 'scrubbing ');
      // What the issue names "a full clone (dump, scrub, restore)": reading the source (its identity,
      // and the coverage gate when the session's start did not run it) and the streamed scrub into psql.
      const pipeline = step(cold, 'identifying the source') + step(cold, 'checking that the rules cover') + scrubStep;
      runs.push({ raw, rawCpu, bare, gate, pipeline, scrub: scrubStep, scrubCpu, full });
    }
    if (!cold) throw new Error('no clone ran');
    const coldMs = median(runs.map((r) => r.full));
    // (c) the same dump and rules in a new session: the physical snapshot. The last cold clone
    // started the engine's copy of it in the background: waited for here, and timed.
    const f0 = performance.now();
    await engineCopiesSettled();
    const fillMs = performance.now() - f0;
    /** A new session seeded from the physical snapshot, then the clone (only checked): timed. */
    const warmSession = async () => {
      await removeSession(docker, SESSION, { graceSeconds: 0 });
      seeded = undefined;
      const w0 = performance.now();
      stack = await startDb();
      const upMs = performance.now() - w0;
      const got = seeded as PhysicalMeta | undefined; // set by startDb's seeding
      if (!got) throw new Error(`the new session was not seeded from a physical snapshot: ${seedLog}`);
      const clone = await cloneServiceData(docker, { ...opts, home, stack, seeded: got });
      return { clone, upMs, ms: performance.now() - w0, log: seedLog, bytes: got.bytes };
    };
    // Three sessions from the copy (the copy stays: each session copies it into a volume of
    // its own), as (b) takes medians: one session start can be off by a second on a busy machine.
    const fromCopies = [await warmSession(), await warmSession(), await warmSession()];
    const fromCopy = fromCopies.slice().sort((a, b) => a.ms - b.ms)[1]!;
    // (c') the same from the file: an engine without the copy (another engine, or the copy removed).
    await removeEngineCopies(docker, home);
    seedCopies = false;
    const fromFile = await warmSession();
    const warm = fromCopy.clone;
    // (d) the SQL snapshot into the same session, emptied first (as in (b)).
    await resetDatabase(docker, await pgTarget(docker, stack.containers.find((c) => c.entry === 'db' && c.role === 'service')!.id));
    const q0 = performance.now();
    const sql = await cloneServiceData(docker, { ...opts, home, stack });
    const sqlMs = performance.now() - q0;
    if (fromFile.clone.from !== 'physical' || fromFile.clone.snapshot !== cold.snapshot) throw new Error('the session from the file was not the same clone');
    if (cold.cached || warm.from !== 'physical' || sql.from !== 'sql') throw new Error(`expected a cold, a physical, a SQL clone (got ${cold.from}, ${warm.from}, ${sql.from})`);
    if (cold.snapshot !== warm.snapshot || cold.snapshot !== sql.snapshot) throw new Error('a cached snapshot differs from the cold one');

    const med = (f: (r: (typeof runs)[number]) => number) => median(runs.map(f));
    const each = (f: (r: (typeof runs)[number]) => number) => runs.map((r) => (f(r) / 1000).toFixed(2)).join(' ');
    const pairRatios = (f: (r: (typeof runs)[number]) => number) => runs.map((r) => (f(r) / r.raw).toFixed(2)).join(' ');
    const rawMs = med((r) => r.raw);
    const pipelineRatio = med((r) => r.pipeline) / rawMs;
    console.log(`  (b) ${pairs} pairs, alternately: the file restored as it is (restoreSql, file stream, fresh database) and a cold clone`);
    console.log(`      restore as it is                   ${s(rawMs)} median (runs: ${each((r) => r.raw)} s)`);
    console.log(`      dump, scrub, restore (source identity, scrub streamed into psql; the coverage gate ran beside the session's start)`);
    console.log(`                                         ${s(med((r) => r.pipeline))} median (runs: ${each((r) => r.pipeline)} s)`);
    console.log(`        ratio of the medians ${pipelineRatio.toFixed(2)} (target <= 1.15: ${pipelineRatio <= 1.15 ? 'met' : 'MISSED'}); per pair ${pairRatios((r) => r.pipeline)}`);
    console.log(`        with the gate's own pass added (${each((r) => r.gate)} s), as repro data clone into a running session reads it:`);
    console.log(`          ratio of the medians ${(med((r) => r.pipeline + r.gate) / rawMs).toFixed(2)}; per pair ${pairRatios((r) => r.pipeline + r.gate)}`);
    console.log(`        of which scrub + restore (streamed): ratio of the medians ${(med((r) => r.scrub) / rawMs).toFixed(2)}; per pair ${pairRatios((r) => r.scrub)}`);
    console.log(`      the scrubber alone streamed into psql (no gate, no snapshot written beside it), in each pair too:`);
    console.log(`                                         ${s(med((r) => r.bare))} median (runs: ${each((r) => r.bare)} s); ratio of the medians ${(med((r) => r.bare) / rawMs).toFixed(2)}; per pair ${pairRatios((r) => r.bare)}`);
    console.log(`      CPU, last pair: the plain restore: ${runs.at(-1)!.rawCpu}`);
    console.log(`                      scrub + restore:   ${runs.at(-1)!.scrubCpu}`);
    console.log(`      full clone, cold (the above, then checks, ANALYZE, SQL and physical snapshots kept)`);
    console.log(`                                         ${s(coldMs)} median (runs: ${each((r) => r.full)} s); ratio of the medians ${(coldMs / rawMs).toFixed(2)}`);
    console.log(`        steps: ${cold.timings.map((t) => `${t.step.replace(/ the dump data\/production\.sql| into db/g, '')} ${(t.ms / 1000).toFixed(2)}`).join(', ')}`);
    const ratio = (ms: number) => `cold clone / this ${(coldMs / ms).toFixed(2)}x (target >= 5x: ${coldMs / ms >= 5 ? 'met' : 'MISSED'}); with the cold session's start (initdb) on both sides: ${((upMs + coldMs) / ms).toFixed(2)}x`;
    const detail = (w: typeof fromCopy) => `session up ${(w.upMs / 1000).toFixed(2)} s + clone ${((w.ms - w.upMs) / 1000).toFixed(2)} s; the data folder: ${/(copied|checked and extracted) in [\d.]+ s/.exec(w.log)?.[0] ?? w.log}`;
    console.log(`  (c) from the physical snapshot (a ${(fromCopy.bytes / MB).toFixed(0)} MB archive): a new session up on it + clone`);
    console.log(`      from the engine's copy (what the next session on this engine does)  ${s(fromCopy.ms)}   ${ratio(fromCopy.ms)}`);
    console.log(`        median of ${fromCopies.length} sessions (runs: ${fromCopies.map((w) => (w.ms / 1000).toFixed(2)).join(' ')} s); the median one: ${detail(fromCopy)}`);
    console.log(`        the copy was made in the background after the cold clone: ${/made in [\d.]+ s/.exec(copyLog)?.[0] ?? copyLog} (waited ${s(fillMs).trim()} after it returned)`);
    console.log(`      from the file (an engine without the copy)                           ${s(fromFile.ms)}   ${ratio(fromFile.ms)}`);
    console.log(`        ${detail(fromFile)}`);
    console.log(`        steps: ${warm.timings.map((t) => `${t.step} ${(t.ms / 1000).toFixed(2)}`).join(', ')}`);
    console.log(`  (d) from the SQL snapshot (the fallback), same session          ${s(sqlMs)}   cold / this ${(coldMs / sqlMs).toFixed(2)}x`);
    console.log(`        steps: ${sql.timings.map((t) => `${t.step} ${(t.ms / 1000).toFixed(2)}`).join(', ')}`);

    // (e) A reproduction's data step, from the session's start: a new session, then the file
    // restored as it is, against a new session with the gate and then the scrub ahead beside
    // its start (as a reproduction runs them), then the cold clone restoring what was scrubbed.
    // Each figure is the time from the session's start to the data restored; pairs alternate.
    await removeSession(docker, SESSION, { graceSeconds: 0 });
    const repro: { plain: number; plainUp: number; ahead: number; up: number; scrubbed: number; full: number }[] = [];
    let aheadSteps = '';
    for (let i = 0; i < pairs; i++) {
      const name = `${SESSION}e${i}`;
      const plan0 = performance.now();
      const plainStack = await up(docker, planSession(manifest, { session: `${name}p`, sourceDir: SAMPLE, gatewayImage: 'busybox:latest' }), { selfHealthCheck: selfHealthCheck(conn) });
      const plainUp = performance.now() - plan0;
      const plainDb = await pgTarget(docker, plainStack.containers.find((c) => c.entry === 'db' && c.role === 'service')!.id);
      await restoreSql(docker, plainDb, fs.createReadStream(file, { highWaterMark: 256 * 1024 }));
      const plain = performance.now() - plan0;
      await removeSession(docker, `${name}p`, { graceSeconds: 0 });

      const aheadHome = path.join(tmp, `home-ahead-${i}`);
      const a0 = performance.now();
      let scrubbed = NaN;
      const [aheadStack, beside] = await Promise.all([
        up(docker, planSession(manifest, { session: `${name}a`, sourceDir: SAMPLE, gatewayImage: 'busybox:latest' }), { selfHealthCheck: selfHealthCheck(conn) }),
        gateWorkspace(root, manifest).then(async (proved) => {
          const a = await startScrubAhead(docker, { manifest, service: 'db', root, home: aheadHome, key: KEY, covered: proved });
          if (!a) throw new Error('the dump was not scrubbed ahead');
          void a.done.then(() => { scrubbed = performance.now() - a0; });
          return { proved, a };
        }),
      ]);
      const upMs = performance.now() - a0;
      const clone = await cloneServiceData(docker, {
        ...opts, stack: aheadStack, home: aheadHome, covered: beside.proved, ahead: beside.a, keepPhysical: false, engineCopy: false,
      });
      const full = performance.now() - a0;
      const restoreStep = clone.timings.findIndex((t) => t.step.startsWith('restoring '));
      if (restoreStep < 0) throw new Error(`the clone did not restore what was scrubbed ahead: ${clone.timings.map((t) => t.step).join(', ')}`);
      const ahead = upMs + clone.timings.slice(0, restoreStep + 1).reduce((x, t) => x + t.ms, 0);
      if (clone.snapshot !== cold.snapshot) throw new Error('the clone scrubbed ahead is not the cold clone\'s snapshot');
      aheadSteps = clone.timings.map((t) => `${t.step.replace(/ the dump data\/production\.sql/g, '')} ${(t.ms / 1000).toFixed(2)}`).join(', ');
      repro.push({ plain, plainUp, ahead, up: upMs, scrubbed, full });
      await removeSession(docker, `${name}a`, { graceSeconds: 0 });
    }
    const rmed = (f: (r: (typeof repro)[number]) => number) => median(repro.map(f));
    const reach = (f: (r: (typeof repro)[number]) => number) => repro.map((r) => (f(r) / 1000).toFixed(2)).join(' ');
    const aheadRatio = rmed((r) => r.ahead) / rmed((r) => r.plain);
    console.log(`  (e) a reproduction's data step, from a new session's start to the data restored (${pairs} pairs, alternately)`);
    console.log(`      session up, then the file restored as it is   ${s(rmed((r) => r.plain))} median (runs: ${reach((r) => r.plain)} s)`);
    console.log(`      session up with the gate and the scrub ahead beside it, then the clone's restore of it`);
    console.log(`                                                    ${s(rmed((r) => r.ahead))} median (runs: ${reach((r) => r.ahead)} s)`);
    console.log(`        ratio of the medians ${aheadRatio.toFixed(2)} (target <= 1.15: ${aheadRatio <= 1.15 ? 'met' : 'MISSED'}); per pair ${repro.map((r) => (r.ahead / r.plain).toFixed(2)).join(' ')}, their median ${median(repro.map((r) => r.ahead / r.plain)).toFixed(2)}`);
    console.log(`        session up ${reach((r) => r.up)} s (alone: ${reach((r) => r.plainUp)} s); the scrub ahead done at ${reach((r) => r.scrubbed)} s; with the checks (no physical snapshot kept) ${reach((r) => r.full)} s`);
    console.log(`        steps of the last clone: ${aheadSteps}`);
  } finally {
    await removeSession(docker, SESSION, { graceSeconds: 0 }).catch((e) => console.error(`removing the session ${SESSION}: ${(e as Error).message}`));
    await removeEngineCopies(docker, home).catch((e) => console.error(`removing the engine's copies: ${(e as Error).message}`));
    fs.rmSync(tmp, { recursive: true, force: true });
    if (prevHome === undefined) delete process.env.REPRO_HOME;
    else process.env.REPRO_HOME = prevHome;
  }
}

main().catch((e) => {
  console.error(e);
  process.exitCode = 1;
});
