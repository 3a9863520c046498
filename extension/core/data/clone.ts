// Cloning a service's production data into a running session, scrubbed:
//
//   seeded:     the data folder came from a physical snapshot before the service started
//               (seedVolume.ts) ─► row counts checked ─► done (or, if they differ, as below)
//   cache hit:  cached scrubbed SQL ──────────────────────────────► restore
//   cache miss: source ─► coverage gate (scanDump: stops on an uncovered personal column or
//               a rule naming what the dump lacks; skipped when a gate already passed on the
//               same bytes, see coverageScan.ts) ─► source again ─► scrubber ─┬► restore
//                                                                               └► cache
//   then: verify (rows = what the scrubber wrote; no original value of a scrubbed column;
//         ANALYZE beside it when no subset is to come)
//         ─► subset (`where`, keeping referenced rows) ─► verify (rows, foreign keys: row by
//         row after a subset or triggers turned off, else PostgreSQL validated them)
//         ─► the cache entry is committed (only a clone that passed is reused), and a
//         physical snapshot of the clone is kept (physicalSnapshot.ts).
//
// Sources: a pg_dump file of the repository (plain, gzip or custom format) or a live database
// (pg_dump from the connection string in the variable the manifest names). Redis takes an RDB
// file and any service a "files" folder or tarball, copied into its data volume while it is
// stopped (copied as they are: the scrubber reads SQL only).
//
// A database that has tables is replaced only when asked (replace), and only by a clone that
// passed: the clone is made in a database beside it (besideName) and renamed into its place
// after the checks. Whatever fails or is cancelled before that (the gate, the restore, a check)
// drops the clone beside it and leaves what the database held as it was. Into an empty
// database the clone goes directly, and a failure drops and creates it empty again: a clone is
// complete and verified, or there is none. Errors name tables, columns, lines and SQLSTATEs,
// never a value or a secret.
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Readable } from 'node:stream';
import type Docker from 'dockerode';
import { serviceKind } from '../manifest/catalogue';
import type { DataSpec, Manifest } from '../manifest/schema';
import { splitTypeVersion } from '../manifest/versions';
import { waitReady } from '../stack/health';
import { LABEL } from '../stack/labels';
import type { RunningStack } from '../stack/up';
import { CACHE_SIZE_WHERE, DEFAULT_CACHE_BYTES } from './cacheSize';
import { startEngineCopy } from './engineCopy';
import { cacheKey, counted, formatBytes, lookupCache, openCacheWriter, pruneCache, serialSummary, summaryOf, type CacheWriter } from './cache';
import { decodeCopyText } from './copyText';
import { createScrubber } from './dumpScrubber';
import { DataSourceError, dumpIdentity, fileSha256, openDumpSource, resolveInside, type OpenedSql } from './dumpSource';
import { fingerprint, memoized } from './keyed';
import { connectionString, liveIdentity, openLiveSource, parseConnection, type SecretLookup } from './liveSource';
import { catalogTables, majorOfVersionNum, pgTargetOf, psqlRows, quoteIdent, quoteLiteral, type PgTarget } from './pg';
import { lookupPhysical, physicalKey, settingsOf, takePhysical, type PhysicalMeta, type TakenPhysical } from './physicalSnapshot';
import { restoreSql, type RestoreResult } from './restore';
import type { ScrubAhead } from './scrubAhead';
import { compileScrubPlan } from './rules';
import { coverageKey, gateFailure, scanDump } from './scan';
import { folderEntries, tarStream } from './streams';
import { applySubset, checkCondition, type SubsetResult } from './subset';
import type { CoverageReport, ScrubPlan, ScrubSummary, TableProgress } from './types';
import { checkCounts, checkFingerprints, checkForeignKeys, validatedForeignKeys, VerifyError, type VerifyReport } from './verify';

export class CloneError extends Error {
  constructor(readonly service: string, message: string) {
    super(message);
    this.name = 'CloneError';
  }
}

/** What the coverage gate found wrong in one service's rules (CoverageError.findings). */
export interface CoverageFindings {
  /** Columns that look personal and have no rule: "public.customers.email". */
  uncovered: string[];
  /** Rules naming a table or column the dump does not have: what they name. */
  unknownRules: string[];
  /** Rules whose strategy cannot apply to their column's type: the column. */
  unfitRules: string[];
}

/**
 * The coverage gate stopped the clone: `services`' rules leave personal data uncovered (the
 * message has the full report with the repro.yaml lines to add; `findings` what it names).
 * `checkoutHasOtherRules`: those of them the checkout's repro.yaml has other rules for (a
 * reproduction under the incident commit's rules; workspaceRules.ts).
 */
export class CoverageError extends CloneError {
  constructor(service: string, message: string, readonly services: string[], readonly findings: CoverageFindings, readonly checkoutHasOtherRules: string[] = []) {
    super(service, message);
    this.name = 'CoverageError';
  }

  /** One sentence for a notification: what is uncovered, the first few named (the message has them all). */
  summary(): string {
    const list = (xs: string[]) => (xs.length <= 3 ? xs.join(', ') : `${xs.slice(0, 3).join(', ')} and ${xs.length - 3} more`);
    const { uncovered, unknownRules, unfitRules } = this.findings;
    const parts: string[] = [];
    if (uncovered.length) parts.push(`${uncovered.length} column${uncovered.length === 1 ? ' looks' : 's look'} personal and ${uncovered.length === 1 ? 'has' : 'have'} no scrub rule in repro.yaml (${list(uncovered)})`);
    if (unknownRules.length) parts.push(`${unknownRules.length === 1 ? 'a scrub rule names' : `${unknownRules.length} scrub rules name`} what the data does not have (${list(unknownRules)})`);
    if (unfitRules.length) parts.push(`${unfitRules.length === 1 ? 'a scrub rule cannot apply' : `${unfitRules.length} scrub rules cannot apply`} to the column's type (${list(unfitRules)})`);
    return `${parts.join('; ')}.`;
  }
}

/** The findings of a coverage report, for a CoverageError. */
export const findingsOf = (report: CoverageReport): CoverageFindings => ({
  uncovered: report.uncovered.map((f) => `${f.table}.${f.column}`),
  unknownRules: report.unknownRules.map((u) => u.split(': ')[0]!), // "public.t.c: the table has no such column ..."
  unfitRules: report.unfitRules.map((u) => u.split(' (')[0]!), // "public.t.c (mask, type date): ..."
});

export interface CloneOptions {
  manifest: Manifest;
  /** The service entry (e.g. "db"). */
  service: string;
  stack: RunningStack;
  /** The repository (worktree) root that the manifest's paths are relative to. */
  root: string;
  /** REPRO_HOME: the cache lives in <home>/data. */
  home: string;
  /** The scrubbing key (rules.scrubKeyFrom). */
  key: Buffer;
  signal?: AbortSignal;
  /** Rows scrubbed so far in a table; `done` once its data ended. */
  onProgress?: (table: string, rows: number, done: boolean) => void;
  /** Coarse steps, for a log ("checking coverage", "restoring", ...). */
  onStep?: (message: string) => void;
  /** Where a live source's connection string is looked up first (then the environment). */
  secrets?: SecretLookup;
  /** The network a live source is reached on (default: the engine's bridge). */
  sourceNetwork?: string;
  /**
   * The moment a live source is cloned for (e.g. the incident's time, rounded): part of the
   * cache key. Without it a live clone is never served from, nor written to, the cache.
   */
  pointInTime?: string;
  /**
   * The data cache's size (cacheSize.ts; default 2 GB): past it the least recently used
   * snapshots go, and so do the engine's copies of them, counted unpacked.
   */
  cacheBytes?: number;
  /** Drop what the database holds first (default: refuse a database that has tables). */
  replace?: boolean;
  /**
   * The service's data folder was put in place from this physical snapshot before it started
   * (seedVolume.ts): the clone is only checked (row counts), or done again if the check fails.
   */
  seeded?: PhysicalMeta;
  /** Keep a physical snapshot of a cacheable clone for the next reproduction (default true). */
  keepPhysical?: boolean;
  /**
   * Make the engine's copy of a physical snapshot kept here, in the background once the clone
   * returns (engineCopy.ts; default true); what becomes of it is said through `onEngineCopy`
   * (default: onStep).
   */
  engineCopy?: boolean;
  onEngineCopy?: (message: string) => void;
  /**
   * What a coverage gate that already passed proved (coverageKey: these rules on these bytes),
   * e.g. the reproduction's, run while the stack started: a match skips the clone's own pass.
   */
  covered?: ReadonlySet<string>;
  /**
   * The service's dump being scrubbed into its cache entry since the session's start
   * (scrubAhead.ts): restored from there when it is this clone's (same cache key, a miss, the
   * gate passed), else cancelled.
   */
  ahead?: ScrubAhead;
}

export interface CloneResult {
  service: string;
  /** sha256 of the scrubbed SQL. */
  snapshot: string;
  /** The scrub plan's identity. */
  rules: string;
  /** Served from the cache (the source was not read). */
  cached: boolean;
  /** Which cache served it: the physical snapshot (data folder) or the SQL snapshot. */
  from?: 'physical' | 'sql';
  /** The cache key (of the SQL snapshot), when the clone can be cached. */
  cacheKey?: string;
  /** The key of the physical snapshot (the data folder) the cache holds of this clone, if it holds one. */
  physicalKey?: string;
  /** Rows per table in the clone, after subsetting. */
  tables: { name: string; rows: number }[];
  verified: VerifyReport;
  subset?: SubsetResult;
  timings: { step: string; ms: number }[];
}

/** Clones one PostgreSQL service's data (see the top of this file). */
export async function cloneServiceData(docker: Docker, o: CloneOptions): Promise<CloneResult> {
  const svc = o.manifest.services?.[o.service];
  const spec = svc?.data;
  if (!svc || !spec) throw new CloneError(o.service, `Service ${o.service} declares no data to clone.`);
  if (serviceKind(splitTypeVersion(svc.type).type)?.type !== 'postgresql') {
    throw new CloneError(o.service, `Service ${o.service} (${svc.type}) is not PostgreSQL: only PostgreSQL takes a dump or live source.`);
  }
  if (!('dump' in spec.source) && !('live' in spec.source)) {
    throw new CloneError(o.service, `Service ${o.service} is PostgreSQL: its data source must be a dump or a live database.`);
  }
  /** Bounds the snapshots kept here and the engine's copies of them. */
  const budget = o.cacheBytes ?? DEFAULT_CACHE_BYTES;
  const entry = stack(o.stack, o.service);
  const timings: CloneResult['timings'] = [];
  const timed = async <T>(step: string, fn: () => Promise<T>): Promise<T> => {
    const t = performance.now();
    o.onStep?.(step);
    try { return await fn(); } finally { timings.push({ step, ms: Math.round(performance.now() - t) }); }
  };
  const signal = o.signal;
  signal?.throwIfAborted();

  let plan: ScrubPlan;
  try {
    plan = compileScrubPlan(spec, o.key);
  } catch (e) {
    throw new CloneError(o.service, `The scrub rules of ${o.service} in repro.yaml cannot be used: ${(e as Error).message}`);
  }
  const where = new Map([...plan.tables].flatMap(([t, r]) => (r.where !== undefined && !r.truncate ? [[t, r.where] as const] : [])));
  for (const [t, w] of where) checkCondition(t, w);

  const { target, labels, major, tables: found, container } = await timed('inspecting the service', async () => {
    const info = await docker.getContainer(entry.id).inspect();
    const t = pgTargetOf(entry.id, info.Config.Env ?? []);
    return { target: t, labels: jobLabels(info.Config.Labels ?? {}, o.service), container: info, ...await probe(docker, t, signal) };
  });
  let tables = found;
  const source = describeSource(docker, o, spec, entry.image.id, labels);
  const identity = await timed('identifying the source', () => source.identity());
  const key = identity ? cacheKey({ source: identity, plan: plan.identity, pgMajor: major }) : undefined;
  const physical = identity ? physicalKey({ source: identity, plan: plan.identity, image: container.Image, settings: settingsOf(container.Config.Env ?? []) }) : undefined;

  // A scrub ahead serves this clone only if it writes this clone's snapshot; any other goes now
  // (not to take the restore's CPU). Used or not, it is settled when the clone returns.
  let ahead = o.ahead?.key === key ? o.ahead : undefined;
  if (o.ahead && !ahead) o.ahead.cancel();

  if (o.seeded && physical && o.seeded.key === physical) {
    // The data folder is a byte copy of a clone that passed every check; that it holds every
    // row is checked again (a wrong or damaged folder would show there first).
    const seeded = o.seeded;
    const counts = await timed('checking the clone from the physical snapshot', () => checkCounts(docker, target, new Map(seeded.counts), signal));
    if (!counts.problems.length) {
      ahead?.cancel();
      return {
        service: o.service, snapshot: seeded.snapshot, rules: plan.identity, cached: true, from: 'physical', ...(key ? { cacheKey: key } : {}), physicalKey: seeded.key,
        tables: counts.counts.map((c) => ({ name: c.table, rows: c.actual })),
        verified: { counts: counts.counts, foreignKeys: seeded.foreignKeys, fingerprints: seeded.fingerprints, problems: [] }, timings,
      };
    }
    o.onStep?.(`the data from the physical snapshot ${seeded.key.slice(0, 12)} is not what was kept (${counts.problems[0]}): cloning again`);
    await timed('emptying the database', () => resetDatabase(docker, target));
    tables = 0;
  }

  if (tables > 0 && !o.replace) {
    throw new CloneError(o.service, `The database ${target.database} of ${o.service} already has tables: a clone goes into an empty database. Replace what it holds with "repro data clone --session ${o.stack.session} --replace", or start a new session.`);
  }
  const hit = key ? lookupCache(o.home, key) : undefined;
  // The gate runs before anything is written: rules that leave the source uncovered are told
  // before a byte of data is read into the clone (and stop the reproduction early). A cached
  // snapshot passed it when it was made, under the same rules; a reproduction ran it on the
  // same bytes under the same rules while its stack started (o.covered).
  const failed = (e: unknown): never => {
    if (signal?.aborted) throw signal.reason ?? e;
    if (e instanceof CloneError || e instanceof VerifyError) throw e;
    throw new CloneError(o.service, `Cloning the data of ${o.service} from ${source.what} failed: ${(e as Error).message}`);
  };
  const gated = identity !== undefined && o.covered?.has(coverageKey(spec, identity)) === true;
  if (ahead && (hit || !gated)) {
    ahead.cancel();
    ahead = undefined;
  }
  if (!hit && gated) o.onStep?.(`the rules cover ${source.what} (checked before the clone)`);
  else if (!hit) await timed(`checking that the rules cover ${source.what}`, () => coverageGate(o.service, source, plan, signal)).catch(failed);
  // Replacing what the database holds: the clone is made in a database of its own beside it
  // and takes its place only once every check passed, so a clone that fails (a dump cut off,
  // a value PostgreSQL refuses, a check, a cancel) leaves the database as it was.
  const work: PgTarget = tables > 0 ? { ...target, database: besideName(target.database) } : target;
  /** Whether `work` has taken the service's database's place (or always was it). */
  let inPlace = work === target;
  /** The database it replaces was dropped: from then on the clone beside it is all there is. */
  let replaced = false;
  if (!inPlace) await timed(`making an empty database beside ${target.database} for the clone`, () => resetDatabase(docker, work));
  let summary: ScrubSummary;
  /** sha256 of the scrubbed SQL: awaited once the checks are done (see CacheWriter.sha256). */
  let snapshotOf: Promise<string>;
  let writer: CacheWriter | undefined;
  let restoring = false;
  let restored: RestoreResult;
  /** The physical snapshot to keep (its key), and the one being taken beside the checks. */
  let keep: string | undefined;
  let taken: Promise<TakenPhysical | Error> | undefined;
  const stopTaking = new AbortController();
  const onAbort = () => stopTaking.abort(signal?.reason);
  signal?.addEventListener('abort', onAbort, { once: true });
  try {
    if (hit) {
      summary = summaryOf(hit.meta.summary);
      snapshotOf = Promise.resolve(hit.meta.snapshot);
      restoring = true;
      restored = await timed('restoring the cached SQL snapshot', () => restoreSql(docker, work, hit.open(), signal ? { signal } : {}));
    } else if (ahead) {
      // Scrubbed since the session's start: the restore follows the file as it is written.
      const a = ahead;
      writer = a.writer;
      restoring = true;
      restored = await timed(`restoring ${source.what}, scrubbed ahead since the session's start`, () => restoreSql(docker, work, a.writer.follow(), signal ? { signal } : {}));
      summary = await a.done;
      snapshotOf = writer.sha256();
      snapshotOf.catch(() => undefined);
    } else {
      const opened = await source.open();
      try {
        const scrubber = createScrubber(plan, {
          onProgress: (p: TableProgress) => o.onProgress?.(p.table, p.rows, p.done),
        });
        opened.stream.on('error', (e) => scrubber.stream.destroy(e));
        // Every consumer of the scrubbed SQL is attached before the source starts to flow. Its
        // sha256 is read back from the cache's file during the checks, or taken here without one.
        const hash = key ? undefined : createHash('sha256');
        if (hash) scrubber.stream.on('data', (c: Buffer) => hash.update(c));
        if (key) {
          writer = openCacheWriter(o.home, key);
          scrubber.stream.pipe(writer.stream);
        }
        restoring = true;
        restored = await timed(`scrubbing ${source.what} into ${o.service}`, () => restoreSql(docker, work, scrubber.stream, {
          ...(signal ? { signal } : {}),
          onStarted: () => { opened.stream.pipe(scrubber.stream); },
        }));
        summary = scrubber.summary();
        snapshotOf = hash ? Promise.resolve(hash.digest('hex')) : writer!.sha256();
        snapshotOf.catch(() => undefined); // awaited after the checks; a failure before is theirs
      } finally {
        await opened.close().catch(() => undefined);
      }
    }

    // What the scrubber wrote is what is in the clone, and no original value got through (a
    // cached snapshot passed that check when it was made: it is the same SQL). Without a subset
    // to come, ANALYZE runs beside the checks (other server processes; it only reads the rows).
    const fp = fingerprintable(plan);
    const analyzeNow = where.size === 0;
    // The physical snapshot is taken beside the value checks once ANALYZE is done (so it holds
    // the statistics), when nothing changes the data after the checks (no subset to come); it
    // only becomes an entry once every check passed.
    keep = physical !== undefined && o.keepPhysical !== false && !lookupPhysical(o.home, physical) ? physical : undefined;
    // (Not while the clone is beside the database it replaces: the copy would hold both.)
    const takeEarly = keep !== undefined && analyzeNow && inPlace;
    const take = (k: string) => takePhysical(docker, target, o.home, k, stopTaking.signal).catch((e: Error) => e);
    const before = await timed(takeEarly ? 'verifying the clone (analyzing, then keeping a physical snapshot beside the checks)'
      : analyzeNow ? 'verifying the clone (and analyzing)' : 'verifying the clone', async () => {
      const catalog = await catalogTables(docker, work, signal);
      const expected = new Map([...summary.tables].map(([t, c]) => [t, c.rowsOut]));
      const [counts, prints] = await Promise.all([
        checkCounts(docker, work, expected, signal, catalog),
        hit
          ? { ...hit.meta.verified, problems: [] as string[] }
          : checkFingerprints(docker, work, new Map([...summary.fingerprints].filter(([c]) => fp.has(c))),
            // Every value of the clone's scrubbed columns is fingerprinted: repeats (masked names,
            // addresses) come from a memo shared by the columns (a fingerprint is the column's no more).
            memoized((raw) => fingerprint(o.key, decodeCopyText(Buffer.from(raw, 'utf8')) ?? ''), 16_384), signal, catalog),
        analyzeNow ? psqlRows(docker, work, 'ANALYZE', signal ? { signal } : {}).then(() => (takeEarly && !stopTaking.signal.aborted ? (taken = take(keep!)) : undefined)) : undefined,
      ]);
      return { counts, prints, expected };
    });
    let subset: SubsetResult | undefined;
    let expected = before.expected;
    if (where.size) {
      subset = await timed('subsetting', () => applySubset(docker, work, where, signal ? { signal } : {}));
      expected = new Map(expected);
      for (const s of subset.tables) expected.set(s.table, (expected.get(s.table) ?? 0) - s.deleted);
    }
    // Foreign keys the restore added were validated by PostgreSQL as it added them (ALTER TABLE
    // ADD CONSTRAINT checks every row), unless the SQL turned triggers off or a subset deleted
    // rows with triggers off: only then are they checked again, row by row.
    const fkProven = !subset && !restored.triggersOff;
    const after = await timed(fkProven ? 'counting the foreign keys PostgreSQL validated' : 'checking rows and foreign keys', async () => ({
      counts: subset ? await checkCounts(docker, work, expected, signal) : before.counts,
      fks: fkProven ? await validatedForeignKeys(docker, work, signal) : await checkForeignKeys(docker, work, signal),
    }));
    const verified: VerifyReport = {
      counts: after.counts.counts,
      foreignKeys: { checked: after.fks.checked, violations: after.fks.violations },
      fingerprints: { columns: before.prints.columns, values: before.prints.values, leaks: before.prints.leaks, skipped: before.prints.skipped, short: before.prints.short },
      problems: [...before.counts.problems, ...before.prints.problems, ...(subset ? after.counts.problems : []), ...after.fks.problems],
    };
    if (verified.problems.length) throw new VerifyError(verified);
    if (!analyzeNow) await timed('analyzing', () => psqlRows(docker, work, 'ANALYZE', signal ? { signal } : {}));

    if (!inPlace) {
      await timed(`replacing ${target.database} with the clone`, async () => {
        await dropDatabase(docker, target);
        replaced = true;
        await renameInto(docker, work, target.database, o.service);
      });
      inPlace = true;
    }

    const snapshot = await snapshotOf;
    const { problems: _, ...prints } = before.prints;
    if (writer) {
      await writer.commit({ snapshot, rules: plan.identity, pgMajor: major, summary: serialSummary(summary), verified: prints, origin: { service: o.service, source: source.what } });
      writer = undefined;
    }
    if (keep) {
      // The next reproduction of this data starts PostgreSQL on it. Not keeping it fails nothing.
      const got = taken ? await taken : await timed('keeping a physical snapshot', () => take(keep!));
      taken = undefined;
      try {
        if (got instanceof Error) throw got;
        got.commit({
          image: container.Image, pgMajor: major, snapshot, rules: plan.identity,
          counts: verified.counts.map((c) => [c.table, c.actual]), foreignKeys: verified.foreignKeys, fingerprints: prints,
          origin: { service: o.service, source: source.what },
        });
        const entry = o.engineCopy !== false ? lookupPhysical(o.home, keep) : undefined;
        const log = o.onEngineCopy ?? o.onStep;
        if (entry) void startEngineCopy(docker, { home: o.home, entry, image: container.Image, budget, ...(log ? { log } : {}) });
      } catch (e) {
        if (signal?.aborted) throw signal.reason ?? e;
        o.onStep?.(`no physical snapshot kept (the next reproduction restores the SQL snapshot): ${(e as Error).message}`);
      }
    }
    if (key) {
      const removed = pruneCache(o.home, budget, [key, ...(physical ? [physical] : [])]);
      if (removed.length) o.onStep?.(`the data cache is kept within ${formatBytes(budget)} (${CACHE_SIZE_WHERE}): ${counted(removed.length, 'least recently used snapshot')} removed`);
    }
    return {
      service: o.service, snapshot, rules: plan.identity, cached: Boolean(hit), ...(hit ? { from: 'sql' as const } : {}), ...(key ? { cacheKey: key } : {}),
      ...(physical && lookupPhysical(o.home, physical, { touch: false }) ? { physicalKey: physical } : {}),
      tables: verified.counts.map((c) => ({ name: c.table, rows: c.actual })),
      verified, ...(subset ? { subset } : {}), timings,
    };
  } catch (e) {
    ahead?.cancel();
    writer?.abort();
    // No snapshot is taken after this (ANALYZE may still be running: a check failed first).
    stopTaking.abort();
    if (taken) {
      const t = await taken;
      if (!(t instanceof Error)) t.discard();
    }
    if (!inPlace && !replaced) await dropDatabase(docker, work).catch(() => undefined);
    else if (inPlace && restoring) await resetDatabase(docker, target).catch(() => undefined);
    return failed(e);
  } finally {
    signal?.removeEventListener('abort', onAbort);
  }
}

/** The scrubbed columns whose values can prove a leak (see the top of verify.ts). */
function fingerprintable(plan: ScrubPlan): Set<string> {
  const out = new Set<string>();
  for (const [t, r] of plan.tables) {
    for (const [c, s] of r.columns) {
      if (s.kind === 'mask' || s.kind === 'hash' || s.kind === 'fake') out.add(`${t}.${c}`);
    }
  }
  return out;
}

interface Source {
  what: string;
  /** The cache's source identity; undefined = not cacheable. */
  identity(): Promise<string | undefined>;
  open(): Promise<OpenedSql>;
}

/**
 * The cache's identity of a SQL source: a dump's sha256, or a live database (host, port,
 * database, no credentials) at the point in time; undefined = not cacheable.
 */
export async function sourceIdentity(spec: DataSpec, o: Pick<CloneOptions, 'root' | 'pointInTime' | 'secrets' | 'signal'>): Promise<string | undefined> {
  if ('dump' in spec.source) return dumpIdentity(await fileSha256(resolveInside(o.root, spec.source.dump), o.signal));
  if ('live' in spec.source) {
    if (!o.pointInTime) return undefined;
    const envName = spec.source.live.env;
    return `live:${liveIdentity(parseConnection(connectionString(envName, o.secrets), envName))}@${o.pointInTime}`;
  }
  return undefined;
}

function describeSource(docker: Docker, o: CloneOptions, spec: DataSpec, image: string, labels: Record<string, string>): Source {
  const signal = o.signal;
  if ('dump' in spec.source) {
    const rel = spec.source.dump;
    return {
      what: `the dump ${rel}`,
      identity: () => sourceIdentity(spec, o),
      open: () => openDumpSource(docker, { root: o.root, file: rel, image, labels, ...(signal ? { signal } : {}) }),
    };
  }
  if ('live' in spec.source) {
    const envName = spec.source.live.env;
    return {
      what: `the live database in ${envName}`,
      identity: () => sourceIdentity(spec, o),
      open: () => openLiveSource(docker, {
        envName, image, labels, ...(o.secrets ? { secrets: o.secrets } : {}), ...(o.sourceNetwork ? { network: o.sourceNetwork } : {}), ...(signal ? { signal } : {}),
      }),
    };
  }
  throw new DataSourceError('not a SQL source');
}

/** Reads the source once through the coverage scan; stops the clone on what it finds. */
async function coverageGate(service: string, source: Source, plan: ScrubPlan, signal?: AbortSignal): Promise<void> {
  const opened = await source.open();
  const onAbort = () => { opened.stream.destroy(signal?.reason); };
  signal?.addEventListener('abort', onAbort, { once: true });
  try {
    const report = await scanDump(opened.stream, plan);
    signal?.throwIfAborted();
    const failure = gateFailure(service, source.what, report);
    if (failure) throw new CoverageError(service, failure, [service], findingsOf(report));
  } finally {
    signal?.removeEventListener('abort', onAbort);
    await opened.close().catch(() => undefined);
  }
}

function stack(s: RunningStack, service: string): RunningStack['containers'][number] {
  const c = s.containers.find((x) => x.entry === service && x.role === 'service');
  if (!c) throw new CloneError(service, `The session ${s.session} has no container for service ${service}.`);
  return c;
}

/** The session's labels (and the service's), for the throwaway containers. */
function jobLabels(labels: Record<string, string>, service: string): Record<string, string> {
  return Object.fromEntries([LABEL.session, LABEL.project, LABEL.incident].flatMap((k) => (labels[k] ? [[k, labels[k]]] : [])).concat([[LABEL.service, service]]));
}

/** The server's major version and how many tables the database has, in one round trip. */
async function probe(docker: Docker, t: PgTarget, signal?: AbortSignal): Promise<{ major: number; tables: number }> {
  const [row] = await psqlRows(docker, t, `SELECT current_setting('server_version_num'), (SELECT count(*) FROM pg_class c
    JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.relkind IN ('r', 'p') AND n.nspname NOT IN ('pg_catalog', 'information_schema')
    AND n.nspname NOT LIKE 'pg_toast%')`, signal ? { signal } : {});
  const n = Number(row?.[0]);
  if (!Number.isFinite(n) || n <= 0) throw new Error('could not read the PostgreSQL version of the clone');
  return { major: majorOfVersionNum(n), tables: Number(row?.[1]) };
}

/** Drops the service's database (closing its connections) and creates it empty again. */
export async function resetDatabase(docker: Docker, t: PgTarget): Promise<void> {
  await psqlRows(docker, t, [`DROP DATABASE IF EXISTS ${quoteIdent(t.database)} WITH (FORCE)`, `CREATE DATABASE ${quoteIdent(t.database)} OWNER ${quoteIdent(t.user)}`],
    { database: maintenanceOf(t.database) });
}

async function dropDatabase(docker: Docker, t: PgTarget): Promise<void> {
  await psqlRows(docker, t, `DROP DATABASE IF EXISTS ${quoteIdent(t.database)} WITH (FORCE)`, { database: maintenanceOf(t.database) });
}

/** The database psql connects to while it drops or renames `database`. */
const maintenanceOf = (database: string): string => (database === 'postgres' ? 'template1' : 'postgres');

/**
 * Where a clone that replaces `database` is made: a fixed name, so that one left by a clone
 * that was killed is dropped by the next (identifiers are cut at 63 bytes: the suffix stays).
 */
function besideName(database: string): string {
  const suffix = '_repro_clone';
  let head = database;
  while (Buffer.byteLength(head) + suffix.length > 63) head = head.slice(0, -1);
  return `${head}${suffix}`;
}

/**
 * The clone `beside`, checked, takes the name of `database`, which was just dropped (PostgreSQL
 * runs neither statement in a transaction, so this is the only moment without it). Nothing
 * connects to the clone, but a refused rename would leave the service without its database:
 * it is tried three times, the clone's connections closed first, and then said plainly.
 */
export async function renameInto(docker: Docker, beside: PgTarget, database: string, service: string): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      await psqlRows(docker, beside, [
        `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = ${quoteLiteral(beside.database)} AND pid <> pg_backend_pid()`,
        `ALTER DATABASE ${quoteIdent(beside.database)} RENAME TO ${quoteIdent(database)}`,
      ], { database: maintenanceOf(database) });
      return;
    } catch (e) {
      if (attempt === 3) {
        throw new Error(`the clone passed its checks and is in the database ${beside.database}, but renaming it to ${database} failed (${(e as Error).message}); ` +
          `rename it with: repro exec ${service} -- psql -U ${beside.user} -d ${maintenanceOf(database)} -c 'ALTER DATABASE ${quoteIdent(beside.database)} RENAME TO ${quoteIdent(database)}'`);
      }
      await new Promise((r) => setTimeout(r, 500 * attempt));
    }
  }
}

// ------------------------------------------------------------------ Redis RDB and files

/**
 * Copies an RDB file (Redis, Valkey) or a folder or tarball (any service with a data volume)
 * into the service's data folder: the service is stopped, the files are put into its volume,
 * and it is started again and waited on until healthy.
 */
export async function copyServiceFiles(docker: Docker, o: {
  manifest: Manifest; service: string; stack: RunningStack; root: string; signal?: AbortSignal; onStep?: (m: string) => void;
  /** The engine runs no health checks (Podman without systemd): run them through exec. */
  selfHealthCheck?: boolean;
}): Promise<{ snapshot: string; what: string }> {
  const svc = o.manifest.services?.[o.service];
  const spec = svc?.data;
  if (!svc || !spec) throw new CloneError(o.service, `Service ${o.service} declares no data to clone.`);
  const kind = serviceKind(splitTypeVersion(svc.type).type);
  if (!kind?.dataDir) throw new CloneError(o.service, `Service ${o.service} (${svc.type}) has no data folder Repro knows, so files cannot be copied into it.`);
  const entry = stack(o.stack, o.service);
  let tar: Readable;
  let snapshot: string;
  let what: string;
  if ('rdb' in spec.source) {
    if (kind.scheme !== 'redis') throw new CloneError(o.service, `Service ${o.service} (${svc.type}) is not Redis: an rdb source needs Redis or Valkey.`);
    const file = resolveInside(o.root, spec.source.rdb);
    snapshot = await fileSha256(file, o.signal);
    tar = tarStream([{ name: 'dump.rdb', file, mode: 0o644 }]);
    what = `the RDB file ${spec.source.rdb}`;
  } else if ('files' in spec.source) {
    const rel = spec.source.files.replace(/\/+$/, '');
    const p = resolveInsideAny(o.root, rel);
    if (fs.statSync(p).isDirectory()) {
      const entries = folderEntries(p);
      const h = createHash('sha256');
      for (const e of entries) h.update(`${e.name}\0${e.file ? e.size : 'dir'}\0`);
      for (const e of entries) if (e.file) h.update(await fileSha256(e.file, o.signal));
      snapshot = h.digest('hex');
      tar = tarStream(entries);
    } else {
      snapshot = await fileSha256(p, o.signal);
      // A tarball: the engine takes tar, gzip/bzip2/xz-compressed or not, as it is.
      tar = fs.createReadStream(p);
    }
    what = `the files ${spec.source.files}`;
  } else {
    throw new CloneError(o.service, `Service ${o.service} (${svc.type}) takes an rdb or files source, not a SQL dump or a live database.`);
  }
  const container = docker.getContainer(entry.id);
  o.onStep?.(`stopping ${o.service} to copy ${what} into its data folder`);
  await container.stop({ t: 10 }).catch((e: { statusCode?: number }) => { if (e.statusCode !== 304) throw e; });
  await container.putArchive(tar, { path: kind.dataDir });
  o.onStep?.(`starting ${o.service} again`);
  await container.start();
  await waitReady(docker, entry.id, entry.name, {
    test: kind.health, timeoutMs: 120_000, selfCheck: Boolean(o.selfHealthCheck), label: `service "${o.service}"`, ...(o.signal ? { signal: o.signal } : {}),
  });
  return { snapshot, what };
}

/** Like resolveInside, for a file or a folder. */
function resolveInsideAny(root: string, rel: string): string {
  if (!rel || path.isAbsolute(rel)) throw new DataSourceError(`The path "${rel}" must be relative to the repository root.`);
  const realRoot = fs.realpathSync(root);
  let real: string;
  try { real = fs.realpathSync(path.resolve(realRoot, rel)); } catch { throw new DataSourceError(`"${rel}" does not exist in ${root}.`); }
  if (real !== realRoot && !real.startsWith(realRoot + path.sep)) throw new DataSourceError(`The path "${rel}" leads outside the repository root.`);
  return real;
}

// ------------------------------------------------------------------ every service of a stack

export interface CloneDataOptions extends Omit<CloneOptions, 'service' | 'manifest' | 'stack' | 'onStep' | 'onProgress' | 'seeded' | 'ahead'> {
  progress?: (message: string) => void;
  /** Per service: the physical snapshot its data folder was filled from before it started. */
  seeded?: Map<string, PhysicalMeta>;
  /** Per service: its dump being scrubbed since the session's start (the caller settles any left). */
  ahead?: ReadonlyMap<string, ScrubAhead>;
  selfHealthCheck?: boolean;
}

export interface StackCloneResult {
  /** One snapshot id, or "service:id ..." for several services. */
  snapshot: string;
  rules: string;
  services: ({ service: string; kind: 'postgresql'; result: CloneResult } | { service: string; kind: 'files'; snapshot: string; what: string })[];
}

/** Clones the data of every service that declares some; undefined when none does. */
export async function cloneData(docker: Docker, manifest: Manifest, stackNow: RunningStack, o: CloneDataOptions): Promise<StackCloneResult | undefined> {
  const services = Object.entries(manifest.services ?? {}).filter(([, s]) => s.data);
  if (!services.length) return undefined;
  const out: StackCloneResult['services'] = [];
  for (const [name, s] of services) {
    o.signal?.throwIfAborted();
    const sql = 'dump' in s.data!.source || 'live' in s.data!.source;
    if (sql) {
      let last = 0;
      const { seeded, ahead: aheads, ...rest } = o;
      const physical = seeded?.get(name);
      const ahead = aheads?.get(name);
      const result = await cloneServiceData(docker, {
        ...rest, manifest, service: name, stack: stackNow, ...(physical ? { seeded: physical } : {}), ...(ahead ? { ahead } : {}),
        onStep: (m) => o.progress?.(`${name}: ${m}`),
        // Every table once it is done; a large one's count while it goes, twice a second at most.
        onProgress: (table, rows, done) => {
          const now = Date.now();
          if (done) o.progress?.(`${name}: ${table}: ${rows} rows`);
          else if (now - last > 500) { last = now; o.progress?.(`${name}: ${table}: ${rows} rows so far`); }
        },
      });
      const t = result.tables.reduce((a, x) => a + x.rows, 0);
      const from = result.from === 'physical' ? ' (physical snapshot)' : result.from === 'sql' ? ' (cached SQL snapshot)' : '';
      o.progress?.(`${name}: ${t} rows in ${result.tables.length} tables${from}, verified`);
      out.push({ service: name, kind: 'postgresql', result });
    } else {
      const r = await copyServiceFiles(docker, { manifest, service: name, stack: stackNow, root: o.root, selfHealthCheck: Boolean(o.selfHealthCheck), ...(o.signal ? { signal: o.signal } : {}), onStep: (m) => o.progress?.(`${name}: ${m}`) });
      out.push({ service: name, kind: 'files', ...r });
    }
  }
  const snap = (x: StackCloneResult['services'][number]) => (x.kind === 'postgresql' ? x.result.snapshot : x.snapshot);
  const rules = (x: StackCloneResult['services'][number]) => (x.kind === 'postgresql' ? x.result.rules : 'none (copied as is)');
  return {
    snapshot: out.length === 1 ? snap(out[0]!) : out.map((x) => `${x.service}:${snap(x)}`).join(' '),
    rules: out.length === 1 ? rules(out[0]!) : out.map((x) => `${x.service}:${rules(x)}`).join(' '),
    services: out,
  };
}
