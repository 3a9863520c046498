// repro data scan / clone / cache: the coverage gate of a project's dumps, production-shaped,
// scrubbed data cloned into a running session, and the scrubbed snapshots kept for the next one.
import { openRepository } from '../core/git/repository';
import { cloneData } from '../core/data/clone';
import { cacheDir, clearCache, counted, formatBytes, listCache, type CacheEntryInfo } from '../core/data/cache';
import { engineCopiesPending, engineCopiesSettled, listEngineCopies, MAX_COPIES, removeEngineCopies } from '../core/data/engineCopy';
import { scanWorkspaceCoverage } from '../core/data/coverageScan';
import { scrubKeyFrom } from '../core/data/rules';
import { formatCoverage } from '../core/data/scan';
import { hasErrors } from '../core/manifest/diagnostics';
import { readProject } from '../core/manifest/project';
import type { Manifest } from '../core/manifest/schema';
import { reproHome, scrubKeyFile } from '../core/session/storage';
import { cliCacheSize } from './cacheSize';
import { cliEngine } from './engine';
import { selfHealthCheck } from '../core/stack/engineConnection';
import { runningStackOf } from '../core/stack/runningStack';
import { CliError, EXIT } from './exitCodes';
import { printDiagnostics, summary, type Io } from './output';
import { resolveSession } from './session';

function manifestOf(io: Io, dir: string): Manifest {
  const p = readProject(dir);
  if (p.origin === 'none') throw new CliError(`No repro.yaml in ${dir}, and nothing to import.`, EXIT.noInput);
  if (!p.manifest || hasErrors(p.diagnostics)) {
    printDiagnostics(io, p.diagnostics);
    throw new CliError(`the manifest has errors: ${summary(p.diagnostics)}`, EXIT.error);
  }
  return p.manifest;
}

/** Exit 0 when every personal-looking column is covered, 1 when one is not (for CI gates). */
export async function dataScanCommand(io: Io, dir: string): Promise<number> {
  const m = manifestOf(io, dir);
  const results = await scanWorkspaceCoverage(dir, m);
  if (!results.length) { io.out('no PostgreSQL service has a data source in repro.yaml'); return EXIT.ok; }
  let bad = false;
  for (const r of results) {
    io.out(`${r.service} (${r.source}):`);
    if (r.status === 'scanned') {
      io.out(formatCoverage(r.report, r.service).split('\n').map((l) => `  ${l}`).join('\n'));
      bad ||= r.report.uncovered.length > 0 || r.report.unknownRules.length > 0 || r.report.unfitRules.length > 0;
    } else if (r.status === 'skipped') {
      io.out(`  not scanned: ${r.reason}`);
    } else {
      io.out(`  error: ${r.error}`);
      bad = true;
    }
  }
  return bad ? EXIT.error : EXIT.ok;
}

export async function dataCloneCommand(io: Io, dir: string, flags: { service?: string; session?: string; replace: boolean }, signal: AbortSignal): Promise<number> {
  const m = manifestOf(io, dir);
  let services = Object.entries(m.services ?? {}).filter(([, s]) => s.data);
  if (flags.service) {
    if (!m.services?.[flags.service]) {
      const names = Object.keys(m.services ?? {}).join(', ') || 'none';
      throw new CliError(m.apps?.[flags.service]
        ? `"${flags.service}" is an app in repro.yaml, and data is cloned into a service (services: ${names})`
        : `no service "${flags.service}" in repro.yaml (services: ${names})`, EXIT.usage);
    }
    services = services.filter(([n]) => n === flags.service);
    if (!services.length) throw new CliError(`service "${flags.service}" declares no data source (services.${flags.service}.data.source)`, EXIT.usage);
  }
  if (!services.length) { io.out('no service declares a data source'); return EXIT.ok; }
  const size = cliCacheSize();
  const conn = await cliEngine();
  const session = await resolveSession(conn.docker, dir, flags.session);
  const stack = await runningStackOf(conn.docker, session);
  const home = reproHome();
  const repoRoot = await openRepository(dir).then((r) => r.root, () => dir);
  const { key, source } = scrubKeyFrom(process.env, m, scrubKeyFile(home, repoRoot));
  io.err(`cloning into session ${session.session}; scrubbing key from ${source.startsWith('env:') ? `$${source.slice(4)}` : source.slice(5)}`);
  const only: Manifest = { ...m, services: Object.fromEntries(Object.entries(m.services ?? {}).filter(([n, s]) => !s.data || services.some(([x]) => x === n))) };
  const started = performance.now();
  const r = await cloneData(conn.docker, only, stack, {
    root: dir, home, key, signal, replace: flags.replace, selfHealthCheck: selfHealthCheck(conn), cacheBytes: size.bytes,
    progress: (msg) => io.err(`  ${msg}`),
  });
  for (const s of r?.services ?? []) {
    if (s.kind === 'postgresql') {
      const x = s.result;
      io.out(`${s.service}: ${x.tables.map((t) => `${t.name.replace(/^public\./, '')} ${t.rows}`).join(', ')}${x.from === 'physical' ? ' (from the physical snapshot)' : x.cached ? ' (from the cached SQL snapshot)' : ''}`);
      io.out(`  verified: ${x.verified.counts.length} row counts, ${x.verified.foreignKeys.checked} foreign keys, ${x.verified.fingerprints.values} original values absent`);
      // The cache key is what "repro data cache" lists; the sha256 tells two clones' data apart.
      // Both entries "repro data cache" lists for this clone: its SQL and its data folder.
      const cached = x.cacheKey
        ? `cached as ${x.cacheKey.slice(0, 12)} (SQL)${x.physicalKey ? ` and ${x.physicalKey.slice(0, 12)} (data folder)` : ''} in repro data cache`
        : 'not cached (a live source read with no incident time)';
      io.out(`  ${cached}; scrubbed SQL sha256 ${x.snapshot.slice(0, 16)}, rules ${x.rules.slice(0, 16)}`);
    } else {
      io.out(`${s.service}: ${s.what}`);
    }
  }
  io.err(`done in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  await waitForEngineCopies(io);
  return EXIT.ok;
}

/** Before the process exits: the engine's copy of a snapshot kept just now (engineCopy.ts) is finished, not left half made. */
export async function waitForEngineCopies(io: Io): Promise<void> {
  if (!engineCopiesPending()) return;
  io.err('  finishing the engine\'s copy of the data (for the next session)');
  await engineCopiesSettled();
}

/** One line of the listing: what a user needs to tell entries apart. */
export function describeCacheEntry(e: CacheEntryInfo): string {
  const forms = [e.physical ? 'data folder' : '', e.sql ? 'SQL' : ''].filter(Boolean).join(' + ') || 'incomplete';
  const used = e.usedAt.toISOString().slice(0, 16).replace('T', ' ');
  const what = [
    e.origin ? `${e.origin.service}: ${e.origin.source}` : '',
    e.pgMajor !== undefined ? `PostgreSQL ${e.pgMajor}` : '',
    e.rows !== undefined ? `${counted(e.tables!, 'table')}, ${e.rows.toLocaleString('en')} rows` : '',
    // The id receipts and the clone's progress give the data by.
    e.snapshot ? `snapshot ${e.snapshot.slice(0, 12)}` : '',
  ].filter(Boolean).join(', ');
  return `${e.key.slice(0, 12)}  used ${used}  ${formatBytes(e.bytes).padStart(9)}  ${forms}${what ? `  (${what})` : ''}`;
}

/**
 * Lists the scrubbed snapshots kept in REPRO_HOME and the engine's copies of them, or removes
 * them all (--clear). The engine is optional: without one the files are still listed or removed.
 */
export async function dataCacheCommand(io: Io, flags: { clear: boolean }): Promise<number> {
  const home = reproHome();
  const dir = cacheDir(home);
  const size = cliCacheSize();
  let engine: Awaited<ReturnType<typeof cliEngine>> | undefined;
  let engineProblem = '';
  try { engine = await cliEngine(); } catch (e) { engineProblem = (e as Error).message.split('\n')[0]!; }
  if (flags.clear) {
    const files = clearCache(home);
    const copies = engine ? await removeEngineCopies(engine.docker, home) : undefined;
    io.out(`removed ${counted(files.entries, 'snapshot')} (${formatBytes(files.bytes)}) from ${dir}` +
      (copies === undefined ? '' : ` and ${counted(copies, 'engine copy', 'engine copies')}`));
    if (!engine) io.err(`the engine's copies were not removed (${engineProblem}); they go at the next clone that keeps a snapshot, as their files are gone`);
    io.out('the next reproduction of that data clones it from its source again');
    return EXIT.ok;
  }
  const entries = listCache(home);
  const total = entries.reduce((a, e) => a + e.bytes, 0);
  io.out(`${dir}: ${counted(entries.length, 'snapshot')}, ${formatBytes(total)} (the least recently used go past ${formatBytes(size.bytes)}, ${size.from})`);
  for (const e of entries) io.out(`  ${describeCacheEntry(e)}`);
  if (engine) {
    const copies = await listEngineCopies(engine.docker, home);
    io.out(`engine: ${counted(copies.length, 'copy', 'copies')} of a data folder${copies.length ? ` (${copies.join(', ')})` : ''} (the least recently used go past ${formatBytes(size.bytes)} unpacked or ${MAX_COPIES} copies)`);
  } else {
    io.out(`engine: not checked (${engineProblem})`);
  }
  return EXIT.ok;
}
