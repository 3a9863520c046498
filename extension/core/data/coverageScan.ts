// The coverage gate for a workspace, before any clone: each PostgreSQL service whose data
// comes from a dump file in the repository is scanned on this machine (the file is already
// here; nothing leaves it and nothing is written). Live databases and custom-format dumps need
// a container to be read, so they are scanned when they are cloned.
import * as fs from 'node:fs';
import { createGunzip } from 'node:zlib';
import type { Manifest } from '../manifest/schema';
import { dumpFormat, resolveInside } from './dumpSource';
import { compileScrubPlan, deriveKey } from './rules';
import { scanDump } from './scan';
import type { CoverageReport } from './types';

export type ServiceCoverage =
  | { service: string; source: string; status: 'scanned'; report: CoverageReport }
  | { service: string; source: string; status: 'skipped'; reason: string }
  | { service: string; source: string; status: 'error'; error: string };

// Coverage does not depend on the key; a fixed one keeps the scan free of secrets.
const SCAN_KEY = deriveKey('repro coverage scan');

export async function scanWorkspaceCoverage(root: string, manifest: Manifest, signal?: AbortSignal): Promise<ServiceCoverage[]> {
  const out: ServiceCoverage[] = [];
  for (const [service, s] of Object.entries(manifest.services ?? {})) {
    const src = s.data?.source;
    if (!src || !('dump' in src || 'live' in src)) continue;
    if ('live' in src) {
      out.push({ service, source: `live database ($${src.live.env})`, status: 'skipped', reason: 'a live database is scanned when it is cloned' });
      continue;
    }
    const source = `dump ${src.dump}`;
    try {
      const file = resolveInside(root, src.dump);
      const format = dumpFormat(file);
      if (format === 'custom') {
        out.push({ service, source, status: 'skipped', reason: 'a custom-format dump is read through pg_restore in a container: it is scanned when it is cloned' });
        continue;
      }
      const plan = compileScrubPlan(s.data!, SCAN_KEY);
      const raw = fs.createReadStream(file, signal ? { signal } : {});
      const report = await scanDump(format === 'gzip' ? raw.pipe(createGunzip()) : raw, plan);
      out.push({ service, source, status: 'scanned', report });
    } catch (e) {
      out.push({ service, source, status: 'error', error: (e as Error).message });
    }
  }
  return out;
}
