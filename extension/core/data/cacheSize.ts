// How much disk the data cache may take: the repro.data.cacheSize setting in VS Code, the
// REPRO_DATA_CACHE_SIZE variable for the command line, else 2 GB. The same size bounds the
// scrubbed snapshots in REPRO_HOME and, counted unpacked, the engine's copies of them
// (engineCopy.ts): the two are usually on different disks (a remote engine, Docker Desktop's
// VM), and one figure to think about is easier than two.
//
// Units are powers of 1024 whatever their spelling (KB = KiB), as `docker` and formatBytes read
// and print them: a size written as the cache listing shows it means what it shows.

/** When nothing is set. */
export const DEFAULT_CACHE_BYTES = 2 * 1024 ** 3;

export const CACHE_SIZE_VARIABLE = 'REPRO_DATA_CACHE_SIZE';
export const CACHE_SIZE_SETTING = 'repro.data.cacheSize';
/** Where a message sends a user to change the size, in VS Code and on the command line. */
export const CACHE_SIZE_WHERE = `the ${CACHE_SIZE_SETTING} setting, ${CACHE_SIZE_VARIABLE} for the command line`;

const UNITS: Record<string, number> = { '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4 };

/** A size that cannot be read; says where it was written and how to write one. */
export class CacheSizeError extends Error {
  constructor(readonly where: string, readonly value: string) {
    super(`${where} is "${value.length > 40 ? `${value.slice(0, 40)}…` : value}", which is not a size: write a number and a unit, such as 500 MB, 2 GB or 20 GB (0 keeps only the latest snapshot)`);
    this.name = 'CacheSizeError';
  }
}

/**
 * "500 MB", "2GB", "1.5 GiB", "20g", "100 B", "0" -> bytes; `where` names the setting in the
 * error. A number needs its unit (but 0): a bare "500" is more likely meant as megabytes than
 * as bytes, and read as bytes it would empty the cache.
 */
export function parseByteSize(text: string, where: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(?:([kmgt])(?:i?b)?|(b))?\s*$/i.exec(text);
  if (!m || (m[2] === undefined && m[3] === undefined && Number(m[1]) !== 0)) throw new CacheSizeError(where, text);
  const bytes = Math.floor(Number(m[1]) * UNITS[(m[2] ?? '').toLowerCase()]!);
  if (!Number.isSafeInteger(bytes)) throw new CacheSizeError(where, text);
  return bytes;
}

export interface CacheSize {
  bytes: number;
  /** Where it came from, for messages: the setting, the variable, or "the default". */
  from: string;
}

/**
 * The data cache's size: `setting` (the extension's repro.data.cacheSize; empty: not set), else
 * the environment's REPRO_DATA_CACHE_SIZE, else DEFAULT_CACHE_BYTES. Throws CacheSizeError for
 * a value that is not a size.
 */
export function cacheSize(setting: string | undefined, env: NodeJS.ProcessEnv = process.env): CacheSize {
  if (setting !== undefined && setting.trim() !== '') return { bytes: parseByteSize(setting, `The setting ${CACHE_SIZE_SETTING}`), from: CACHE_SIZE_SETTING };
  const v = env[CACHE_SIZE_VARIABLE];
  if (v !== undefined && v.trim() !== '') return { bytes: parseByteSize(v, `The variable ${CACHE_SIZE_VARIABLE}`), from: `$${CACHE_SIZE_VARIABLE}` };
  return { bytes: DEFAULT_CACHE_BYTES, from: 'the default' };
}
