// The coverage gate for a workspace, before any clone: each PostgreSQL service whose data
// comes from a dump file in the repository is scanned on this machine (the file is already
// here; nothing leaves it and nothing is written). Live databases and custom-format dumps need
// a container to be read, so they are scanned when they are cloned.
//
// A reproduction runs it on the worktree while its stack starts (gateWorkspace): rules that
// leave personal data uncovered stop it before a container is kept, and what a passing gate
// proved (coverageKey) lets the clone skip its own pass over the same bytes.
import { createGunzip } from 'node:zlib';
import type { Manifest } from '../manifest/schema';
import { CloneError, CoverageError, findingsOf, type CoverageFindings } from './clone';
import { dumpFormat, dumpIdentity, readHashed, resolveInside } from './dumpSource';
import { compileScrubPlan } from './rules';
import { coverageKey, gateFailure, SCAN_KEY, scanDump } from './scan';
import type { CoverageReport } from './types';

export type ServiceCoverage =
  /** identity: the dump's, as the clone's cache names it (its sha256, taken in the same read). */
  | { service: string; source: string; status: 'scanned'; report: CoverageReport; identity: string }
  | { service: string; source: string; status: 'skipped'; reason: string }
  | { service: string; source: string; status: 'error'; error: string };

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
      const { sha, result: report } = await readHashed(file, (bytes) => scanDump(format === 'gzip' ? bytes.pipe(createGunzip()) : bytes, plan), signal);
      out.push({ service, source, status: 'scanned', report, identity: dumpIdentity(sha) });
    } catch (e) {
      out.push({ service, source, status: 'error', error: (e as Error).message });
    }
  }
  return out;
}

/**
 * The gate of a reproduction, on its worktree: throws a CloneError naming every service whose
 * rules leave its dump uncovered (with the repro.yaml lines to add) or whose dump cannot be
 * read; returns what it proved, for the clone (CloneOptions.covered). Sources it cannot read
 * here (live, custom format) are gated by the clone itself.
 */
export async function gateWorkspace(root: string, manifest: Manifest, signal?: AbortSignal, progress?: (message: string) => void): Promise<Set<string>> {
  const covered = new Set<string>();
  const failures: { service: string; message: string; findings?: CoverageFindings }[] = [];
  const t0 = performance.now();
  for (const r of await scanWorkspaceCoverage(root, manifest, signal)) {
    signal?.throwIfAborted();
    const what = `the ${r.source}`;
    if (r.status === 'error') {
      failures.push({ service: r.service, message: `Cloning the data of ${r.service} from ${what} failed: ${r.error}` });
    } else if (r.status === 'scanned') {
      const failure = gateFailure(r.service, what, r.report);
      if (failure) failures.push({ service: r.service, message: failure, findings: findingsOf(r.report) });
      else {
        covered.add(coverageKey(manifest.services![r.service]!.data!, r.identity));
        progress?.(`${r.service}: the rules cover ${what} (${r.report.tables.length} tables scanned in ${((performance.now() - t0) / 1000).toFixed(2)} s)`);
      }
    }
  }
  if (!failures.length) return covered;
  const message = failures.map((f) => f.message).join('\n\n');
  const coverage = failures.filter((f) => f.findings);
  if (!coverage.length) throw new CloneError(failures[0]!.service, message);
  // Of several services, each name says whose it is.
  const whose = (f: (typeof coverage)[number], names: string[]) => (coverage.length > 1 ? names.map((n) => `${f.service}: ${n}`) : names);
  const findings = {
    uncovered: coverage.flatMap((f) => whose(f, f.findings!.uncovered)),
    unknownRules: coverage.flatMap((f) => whose(f, f.findings!.unknownRules)),
    unfitRules: coverage.flatMap((f) => whose(f, f.findings!.unfitRules)),
  };
  throw new CoverageError(failures[0]!.service, message, coverage.map((f) => f.service), findings);
}
