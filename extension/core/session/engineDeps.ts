// The real effects of a reproduction's steps: git (resolve, worktree) on the developer's clone
// and the stack on a container engine. Shared by the extension and the CLI.
import * as fs from 'node:fs';
import type Docker from 'dockerode';
import { cloneData, CoverageError } from '../data/clone';
import { gateWorkspace } from '../data/coverageScan';
import type { PhysicalMeta } from '../data/physicalSnapshot';
import { startScrubAhead, type ScrubAhead } from '../data/scrubAhead';
import { scrubKeyFrom } from '../data/rules';
import { seedFromPhysical, takesSqlData } from '../data/seedVolume';
import { otherRulesInWorkspace, withWorkspaceRules, workspaceRulesHint, type RulesFrom } from '../data/workspaceRules';
import type { Manifest } from '../manifest/schema';
import { formatDiagnostic, hasErrors } from '../manifest/diagnostics';
import { readProject } from '../manifest/project';
import { checkSameRepository, type Repository } from '../git/repository';
import { resolveCommit } from '../git/resolve';
import { runGit } from '../git/runGit';
import { ensureWorktree, removeWorktree } from '../git/worktree';
import { planSession } from '../stack/plan';
import { removeSession } from '../stack/teardown';
import { up, type RunningStack } from '../stack/up';
import type { ReproduceDeps } from './reproduce';
import { commitFromPublishedState } from './publishedState';
import { repoStorage, scrubKeyFile } from './storage';

export interface EngineDepsOptions {
  docker: Docker;
  /** Podman without systemd runs no health checks: Repro runs them through exec. */
  selfHealthCheck: boolean;
  repo: Repository;
  /** REPRO_HOME. */
  storage: string;
  incident?: string;
  remote?: string;
  gatewayImage?: string;
  /**
   * Where a live data source's connection string (and a scrub.key.env secret) is looked up
   * first, by the name repro.yaml gives (the extension's secret storage); then the environment.
   */
  secrets?: (name: string) => string | undefined;
  /** The engine network live data sources are reached on (default: the engine's bridge). */
  sourceNetwork?: string;
  /** The incident's time (ISO 8601): a live source is cached per hour of it. */
  incidentTime?: string;
  /** What happens in the background once a step is done (the engine's copy of a data snapshot). */
  log?: (message: string) => void;
  /** Whose scrubbing rules the data step uses (workspaceRules.ts; default: the incident's commit's). */
  rulesFrom?: RulesFrom;
  /** The data cache's size, for the snapshots and the engine's copies (cacheSize.ts; default 2 GB). */
  cacheBytes?: number;
}

export class ManifestAtCommitError extends Error {
  constructor(readonly worktree: string, detail: string) {
    super(`The manifest at the incident's commit cannot be used:\n${detail}\nFix repro.yaml in a new commit, or reproduce a later release.`);
    this.name = 'ManifestAtCommitError';
  }
}


/** "2024-05-01T10:37:12Z" -> "2024-05-01T10:00:00.000Z": one live snapshot per hour of incidents. */
export function pointInTime(time: string | undefined): string | undefined {
  const t = time ? Date.parse(time) : NaN;
  if (Number.isNaN(t)) return undefined;
  return new Date(Math.floor(t / 3600e3) * 3600e3).toISOString();
}

export function engineDeps(o: EngineDepsOptions): ReproduceDeps {
  // The worktree each session's stack was started from: what the manifest's data paths are relative to.
  const worktrees = new Map<string, string>();
  // Per session, the services whose data folder a physical snapshot filled before they started.
  const seeded = new Map<string, Map<string, PhysicalMeta>>();
  // Per session, what the coverage gate proved while the stack started (CloneOptions.covered).
  const covered = new Map<string, Set<string>>();
  // Per session, the dumps being scrubbed into the cache since the gate passed (CloneOptions.ahead).
  const aheads = new Map<string, Map<string, ScrubAhead>>();
  const dropAheads = (session: string) => {
    for (const a of aheads.get(session)?.values() ?? []) a.cancel();
    aheads.delete(session);
  };
  /** Once the gate passed: each dump it read is scrubbed while the stack starts (scrubAhead.ts). */
  const scrubAhead = async (manifest: Manifest, wt: string, session: string, proved: Set<string>, signal: AbortSignal, progress: (m: string) => void) => {
    let key: Buffer;
    try { key = scrubKey(manifest).key; } catch { return; /* the data step says why */ }
    const mine = new Map<string, ScrubAhead>();
    aheads.set(session, mine);
    // A reproduction that fails or is cancelled stops the gate's signal, and with it these.
    signal.addEventListener('abort', () => { if (aheads.get(session) === mine) aheads.delete(session); }, { once: true });
    for (const service of Object.keys(manifest.services ?? {})) {
      if (!takesSqlData(manifest, service)) continue;
      try {
        const a = await startScrubAhead(o.docker, {
          manifest, service, root: wt, home: o.storage, key, covered: proved, signal,
          onProgress: (p) => { if (p.done) progress(`${service}: ${p.table}: ${p.rows} rows`); },
        });
        if (a) {
          mine.set(service, a);
          progress(`${service}: scrubbing the dump while the stack starts`);
        }
      } catch (e) {
        if (signal.aborted) throw e;
        // The clone reads the dump itself, and says what is wrong with it.
      }
    }
  };
  const lookup = (name: string) => o.secrets?.(name) ?? process.env[name];
  const scrubKey = (manifest: Manifest) => {
    const keyVar = manifest.scrub?.key?.env;
    return scrubKeyFrom(keyVar ? { [keyVar]: lookup(keyVar) } : {}, manifest, scrubKeyFile(o.storage, o.repo.root));
  };
  const time = pointInTime(o.incidentTime);
  /** The checkout's repro.yaml, for its rules: one with errors is not used. */
  const workspace = (): Manifest => {
    const p = readProject(o.repo.root);
    const errors = p.diagnostics.filter((d) => d.severity === 'error');
    if (!p.manifest || errors.length) {
      throw new Error(`The scrub rules were to come from your checkout's repro.yaml, which cannot be used: ${errors.length ? errors.map((d) => formatDiagnostic(d)).join('; ') : 'there is none'}. Fix it, or reproduce with the incident commit's rules (repro.data.rulesFrom: incident).`);
    }
    return p.manifest;
  };
  /** The manifest the data steps read: the commit's, with the workspace's rules if so chosen. */
  const withRules = (manifest: Manifest, progress?: (m: string) => void): Manifest => {
    if (o.rulesFrom !== 'workspace') return manifest;
    const r = withWorkspaceRules(manifest, workspace());
    if (r.used.length) progress?.(`scrub rules of ${r.used.join(', ')} from your checkout's repro.yaml`);
    if (r.missing.length) progress?.(`your checkout's repro.yaml has no data source for ${r.missing.join(', ')}: the incident commit's rules apply`);
    return r.manifest;
  };
  /** A gate failure under the commit's rules says when the checkout has other rules. */
  const explain = (e: unknown, manifest: Manifest): unknown => {
    if (!(e instanceof CoverageError) || o.rulesFrom === 'workspace') return e;
    let other: string[] = [];
    try { other = otherRulesInWorkspace(manifest, workspace(), e.services); } catch { /* no readable workspace manifest */ }
    return other.length ? new CoverageError(e.service, `${e.message}\n\n${workspaceRulesHint(other)}`, e.services, e.findings, other) : e;
  };
  return {
    checkRepository: (expected) => checkSameRepository(o.repo, expected),
    publishedCommit: (env, signal) => {
      // The workspace's manifest says where production publishes its state (the manifest at
      // the incident's commit cannot be read before the commit is known).
      const m = readProject(o.repo.root).manifest;
      return commitFromPublishedState(m, env, o.repo.root, { signal });
    },
    resolveCommit: (ref, signal, progress) => resolveCommit(o.repo, ref, { signal, onProgress: (p) => progress(p.stage), ...(o.remote ? { remote: o.remote } : {}) }),
    ensureWorktree: (sha, signal) => ensureWorktree(o.repo, sha, repoStorage(o.storage, o.repo.root), { signal }),
    removeWorktree: (p) => removeWorktree(o.repo, p),
    readManifest: (wt) => {
      // The manifest as it was at the commit (or what its Upsun/compose files import to).
      const p = readProject(wt);
      if (p.origin === 'none') throw new ManifestAtCommitError(wt, 'the commit has no repro.yaml and nothing Repro can import.');
      if (!p.manifest || hasErrors(p.diagnostics)) {
        throw new ManifestAtCommitError(wt, p.diagnostics.filter((d) => d.severity === 'error').map((d) => formatDiagnostic(d)).join('\n'));
      }
      return { manifest: p.manifest, file: p.files[0]!, text: p.files.map((f) => fs.readFileSync(f, 'utf8')).join('\n') };
    },
    listFiles: async (wt) => (await runGit(wt, ['ls-files', '-z', '--recurse-submodules'])).stdout.split('\0').filter(Boolean),
    up: (commitManifest, wt, session, signal, progress) => {
      // The seeding's physical snapshot key names the rules: the same ones as the data step's.
      const manifest = withRules(commitManifest);
      worktrees.set(session, wt);
      seeded.delete(session);
      return up(o.docker, planSession(manifest, {
        session, sourceDir: wt, ...(o.incident ? { incident: o.incident } : {}), ...(o.gatewayImage ? { gatewayImage: o.gatewayImage } : {}),
      }), {
        signal,
        selfHealthCheck: o.selfHealthCheck,
        // A service whose data was kept as a physical snapshot starts on it (seedVolume.ts).
        beforeStart: async (c, id, sig) => {
          if (c.role !== 'service' || !takesSqlData(manifest, c.entry)) return;
          let key: Buffer;
          try { key = scrubKey(manifest).key; } catch { return; /* the data step says why */ }
          const meta = await seedFromPhysical(o.docker, {
            manifest, service: c.entry, containerId: id, root: wt, home: o.storage, key, log: (m) => progress(`${c.entry}: ${m}`),
            secrets: lookup, ...(time ? { pointInTime: time } : {}), ...(sig ? { signal: sig } : {}),
            ...(o.log ? { onEngineCopy: o.log } : {}), ...(o.cacheBytes !== undefined ? { cacheBytes: o.cacheBytes } : {}),
          });
          if (meta) seeded.set(session, (seeded.get(session) ?? new Map<string, PhysicalMeta>()).set(c.entry, meta));
        },
        onEvent: (e) => {
          if (e.type === 'container') progress(`${e.entry} ${e.state}`);
          else if (e.type === 'step') progress(e.message);
          else if (e.progress.status === 'pulling') progress(`pulling ${e.progress.image}`);
        },
      });
    },
    removeSession: async (s) => { await removeSession(o.docker, s, { graceSeconds: 0 }); },
    checkCoverage: async (commitManifest, wt, session, signal, progress) => {
      covered.delete(session);
      dropAheads(session);
      const manifest = withRules(commitManifest, progress);
      let proved: Set<string>;
      try {
        proved = await gateWorkspace(wt, manifest, signal, progress);
      } catch (e) {
        throw explain(e, commitManifest);
      }
      covered.set(session, proved);
      await scrubAhead(manifest, wt, session, proved, signal, progress);
    },
    cloneData: async (commitManifest, stack, signal, progress) => {
      // Settled here whatever happens: one a clone committed is left as it is (cancel is then a no-op).
      const ahead = aheads.get(stack.session);
      aheads.delete(stack.session);
      try {
        return await cloneSession(commitManifest, stack, signal, progress, ahead);
      } finally {
        for (const a of ahead?.values() ?? []) a.cancel();
      }
    },
  };

  async function cloneSession(commitManifest: Manifest, stack: RunningStack, signal: AbortSignal, progress: (m: string) => void, ahead?: Map<string, ScrubAhead>) {
    if (!Object.values(commitManifest.services ?? {}).some((s) => s.data)) return undefined;
    // Said by the gate already when it ran for this session.
    const manifest = withRules(commitManifest, covered.has(stack.session) ? undefined : progress);
    const root = worktrees.get(stack.session);
    if (!root) throw new Error(`no worktree is known for session ${stack.session}`);
    const { key, source } = scrubKey(manifest);
    progress(`scrubbing key from ${source.startsWith('env:') ? `the variable ${source.slice(4)}` : 'this clone\'s key file'}`);
    const r = await cloneData(o.docker, manifest, stack, {
      ...(seeded.has(stack.session) ? { seeded: seeded.get(stack.session)! } : {}),
      ...(ahead ? { ahead } : {}),
      ...(covered.has(stack.session) ? { covered: covered.get(stack.session)! } : {}),
      // The session was just created: whatever the app made in the database at its start goes.
      root, home: o.storage, key, signal, progress, selfHealthCheck: o.selfHealthCheck, replace: true,
      secrets: lookup, ...(o.sourceNetwork ? { sourceNetwork: o.sourceNetwork } : {}), ...(time ? { pointInTime: time } : {}),
      ...(o.log ? { onEngineCopy: o.log } : {}), ...(o.cacheBytes !== undefined ? { cacheBytes: o.cacheBytes } : {}),
    }).catch((e: unknown) => { throw explain(e, commitManifest); });
    return r ? { snapshot: r.snapshot, rules: r.rules, ...(o.rulesFrom === 'workspace' ? { rulesFrom: 'workspace' as const } : {}) } : undefined;
  }
}
