// The data cache's size for the command line: REPRO_DATA_CACHE_SIZE, else 2 GB (cacheSize.ts).
// Read before anything starts, so that a value that is not a size stops the command at once.
import { cacheSize, CacheSizeError, type CacheSize } from '../core/data/cacheSize';
import { CliError, EXIT } from './exitCodes';

export function cliCacheSize(): CacheSize {
  try {
    return cacheSize(undefined, process.env);
  } catch (e) {
    if (e instanceof CacheSizeError) throw new CliError(`${e.message}.`, EXIT.usage);
    throw e;
  }
}
