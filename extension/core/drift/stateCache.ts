// An environment's published state with a copy kept for offline use: every successful read is
// written under REPRO_HOME (repos/<clone>/state/<env>.json, with the time it was fetched); when
// the URL or the command cannot be reached, the copy is used and said to be one ("as of 10 min
// ago, offline"). A document that is read but wrong (HTML, a newer version) is an error, never
// papered over by an older copy.
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Manifest } from '../manifest/schema';
import { parsePublishedState, PublishedStateError, readStateText, type PublishedState, type StateOptions } from '../session/publishedState';
import { repoStorage } from '../session/storage';

export interface EnvironmentState {
  env: string;
  state: PublishedState;
  /** When the document was read from its source (ms since the epoch). */
  fetchedAt: number;
  /** The source did not answer: this is the copy from fetchedAt. */
  offline: boolean;
  /** Why the source did not answer (when offline). */
  reason?: string;
}

interface CacheEntry { fetchedAt: number; from: string; text: string }

export const stateCacheFile = (home: string, repoRoot: string, env: string): string =>
  path.join(repoStorage(home, repoRoot), 'state', `${env.replace(/[^A-Za-z0-9_-]/g, '_')}.json`);

export interface CachedStateOptions extends StateOptions {
  /** REPRO_HOME. */
  home: string;
  now?: () => number;
}

/** `env`'s state, fresh when its source answers, else the cached copy; throws when neither. */
export async function loadEnvironmentState(m: Manifest | undefined, env: string, repoRoot: string, opts: CachedStateOptions): Promise<EnvironmentState> {
  const now = opts.now ?? Date.now;
  const file = stateCacheFile(opts.home, repoRoot, env);
  let read: { text: string; from: string };
  try {
    read = await readStateText(m, env, repoRoot, { ...opts, allowCommand: opts.allowCommand ?? true });
  } catch (e) {
    // A file is on this machine: missing is missing. A URL or a command may just be out of reach.
    const source = m?.environments?.[env]?.state;
    if (!(e instanceof PublishedStateError) || opts.signal?.aborted || !source || 'file' in source) throw e;
    const cached = readCache(file);
    if (!cached) throw new PublishedStateError(`${e.message.replace(/\.$/, '')}; no copy from an earlier read is cached for offline use.`);
    return { env, state: parsePublishedState(cached.text, env, cached.from), fetchedAt: cached.fetchedAt, offline: true, reason: e.message };
  }
  const state = parsePublishedState(read.text, env, read.from);
  const fetchedAt = now();
  writeCache(file, { fetchedAt, from: read.from, text: read.text });
  return { env, state, fetchedAt, offline: false };
}

function readCache(file: string): CacheEntry | undefined {
  try {
    const c = JSON.parse(fs.readFileSync(file, 'utf8')) as Partial<CacheEntry>;
    return typeof c.fetchedAt === 'number' && typeof c.from === 'string' && typeof c.text === 'string' ? c as CacheEntry : undefined;
  } catch {
    return undefined;
  }
}

function writeCache(file: string, entry: CacheEntry): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, JSON.stringify(entry), { mode: 0o600 });
  fs.renameSync(tmp, file);
}

/** "just now", "10 min ago", "3 h ago", "2 days ago". */
export function ago(then: number, now: number = Date.now()): string {
  const s = Math.max(0, Math.round((now - then) / 1000));
  if (s < 60) return 'just now';
  if (s < 3600) return `${Math.round(s / 60)} min ago`;
  if (s < 86400) return `${Math.round(s / 3600)} h ago`;
  const d = Math.round(s / 86400);
  return `${d} day${d === 1 ? '' : 's'} ago`;
}

/** "as of 10 min ago, offline" / "fetched just now". */
export const describeFreshness = (s: EnvironmentState, now: number = Date.now()): string =>
  s.offline ? `as of ${ago(s.fetchedAt, now)}, offline` : `fetched ${ago(s.fetchedAt, now)}`;
