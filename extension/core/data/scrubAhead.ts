// Scrubbing ahead: a reproduction scrubs a service's dump into its cache entry while the
// session's containers start, once the coverage gate passed on the same bytes, so that the
// clone, when PostgreSQL is ready, restores SQL that is already scrubbed (or being scrubbed: it
// follows the file as it grows) instead of scrubbing on the cores the restore needs.
//
// On a 2-core machine the restore keeps about 1.5 cores busy, so every CPU-second the scrubber
// spends beside it shows in the clone's time; the session's start (image, container, initdb)
// leaves this process's core idle for seconds, about as long as scrubbing a 200 MB dump takes.
//
// Only what the gate read here is scrubbed ahead: a plain or gzip dump file of the worktree
// (a custom-format dump and a live database need a container to be read), and only on a miss of
// the SQL snapshot cache (a hit, and a physical snapshot with it, is restored or seeded
// instead). Nothing but scrubbed SQL is written, to the cache entry's temporary file; the entry
// is committed by the clone once every check passed, like any other (clone.ts). A scrub ahead
// that no clone takes (the data came from a physical snapshot after all, the reproduction
// failed or was cancelled) is cancelled and its file removed.
import { pipeline } from 'node:stream/promises';
import type Docker from 'dockerode';
import { serviceKind } from '../manifest/catalogue';
import type { Manifest } from '../manifest/schema';
import { splitTypeVersion } from '../manifest/versions';
import { cacheKey, lookupCache, openCacheWriter, type CacheWriter } from './cache';
import { sourceIdentity } from './clone';
import { createScrubber } from './dumpScrubber';
import { dumpFormat, openDumpSource, resolveInside } from './dumpSource';
import { majorOfVersion } from './pg';
import { compileScrubPlan } from './rules';
import { coverageKey } from './scan';
import type { ScrubSummary, TableProgress } from './types';

export interface ScrubAhead {
  service: string;
  /** The SQL snapshot's cache key it writes (source, rules, the manifest's PostgreSQL major). */
  key: string;
  /**
   * The entry being written: the clone that takes it restores writer.follow() (which fails with
   * the scrub's own error), then commits or aborts it.
   */
  writer: CacheWriter;
  /** The scrubber's summary once the whole dump is in the file; rejects as the scrub failed. */
  done: Promise<ScrubSummary>;
  /** Stops the scrub and removes its file (idempotent; nothing once a clone committed it). */
  cancel(): void;
}

export interface ScrubAheadOptions {
  manifest: Manifest;
  service: string;
  /** The worktree the manifest's paths are relative to. */
  root: string;
  /** REPRO_HOME */
  home: string;
  /** The scrubbing key (rules.scrubKeyFrom). */
  key: Buffer;
  /** What the coverage gate proved (coverageKey): a dump it did not pass is not scrubbed ahead. */
  covered: ReadonlySet<string>;
  signal?: AbortSignal;
  onProgress?: (p: TableProgress) => void;
}

/**
 * Starts scrubbing the service's dump into its cache entry; undefined when it does not (see the
 * top of this file: the clone then scrubs as it restores).
 */
export async function startScrubAhead(docker: Docker, o: ScrubAheadOptions): Promise<ScrubAhead | undefined> {
  const svc = o.manifest.services?.[o.service];
  const spec = svc?.data;
  if (!svc || !spec || !('dump' in spec.source)) return undefined;
  const { type, version } = splitTypeVersion(svc.type);
  const pgMajor = majorOfVersion(version);
  if (serviceKind(type)?.type !== 'postgresql' || pgMajor === undefined) return undefined;
  const file = spec.source.dump;
  if (dumpFormat(resolveInside(o.root, file)) === 'custom') return undefined;
  const plan = compileScrubPlan(spec, o.key);
  // The gate read the file: its sha256 is known, not read again.
  const identity = await sourceIdentity(spec, { root: o.root, ...(o.signal ? { signal: o.signal } : {}) });
  if (!identity || !o.covered.has(coverageKey(spec, identity))) return undefined;
  const key = cacheKey({ source: identity, plan: plan.identity, pgMajor });
  if (lookupCache(o.home, key)) return undefined;
  // (A plain or gzip file: read here, no container.)
  const opened = await openDumpSource(docker, { root: o.root, file, image: '', labels: {} });
  if (o.signal?.aborted) {
    await opened.close();
    o.signal.throwIfAborted();
  }
  let writer: CacheWriter;
  try {
    writer = openCacheWriter(o.home, key);
  } catch (e) {
    await opened.close();
    throw e;
  }
  // From here on nothing awaits before the pipeline owns the file and the entry.
  const stop = new AbortController();
  const onAbort = () => stop.abort(o.signal?.reason);
  o.signal?.addEventListener('abort', onAbort, { once: true });
  const scrubber = createScrubber(plan, o.onProgress ? { onProgress: o.onProgress } : {});
  const done = pipeline(opened.stream, scrubber.stream, writer.stream, { signal: stop.signal })
    .then(() => scrubber.summary())
    .catch((e: unknown) => {
      const err = stop.signal.aborted ? (stop.signal.reason instanceof Error ? stop.signal.reason : new Error('the scrub ahead was cancelled')) : e as Error;
      writer.abort(err);
      throw err;
    })
    .finally(() => {
      o.signal?.removeEventListener('abort', onAbort);
      void opened.close().catch(() => undefined);
    });
  done.catch(() => undefined); // the clone that takes it awaits it; else nobody does
  return {
    service: o.service, key, writer, done,
    cancel: () => {
      const why = new Error('the scrub ahead was cancelled');
      stop.abort(why);
      writer.abort(why);
    },
  };
}
