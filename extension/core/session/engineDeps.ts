// The real effects of a reproduction's steps: git (resolve, worktree) on the developer's clone
// and the stack on a container engine. Shared by the extension and the CLI.
import * as fs from 'node:fs';
import type Docker from 'dockerode';
import { formatDiagnostic, hasErrors } from '../manifest/diagnostics';
import { readProject } from '../manifest/project';
import { checkSameRepository, type Repository } from '../git/repository';
import { resolveCommit } from '../git/resolve';
import { runGit } from '../git/runGit';
import { ensureWorktree, removeWorktree } from '../git/worktree';
import { planSession } from '../stack/plan';
import { removeSession } from '../stack/teardown';
import { up } from '../stack/up';
import type { ReproduceDeps } from './reproduce';
import { commitFromPublishedState } from './publishedState';
import { repoStorage } from './storage';

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
}

export class ManifestAtCommitError extends Error {
  constructor(readonly worktree: string, detail: string) {
    super(`The manifest at the incident's commit cannot be used:\n${detail}\nFix repro.yaml in a new commit, or reproduce a later release.`);
    this.name = 'ManifestAtCommitError';
  }
}

export function engineDeps(o: EngineDepsOptions): ReproduceDeps {
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
    up: (manifest, wt, session, signal, progress) => up(o.docker, planSession(manifest, {
      session, sourceDir: wt, ...(o.incident ? { incident: o.incident } : {}), ...(o.gatewayImage ? { gatewayImage: o.gatewayImage } : {}),
    }), {
      signal,
      selfHealthCheck: o.selfHealthCheck,
      onEvent: (e) => {
        if (e.type === 'container') progress(`${e.entry} ${e.state}`);
        else if (e.type === 'step') progress(e.message);
        else if (e.progress.status === 'pulling') progress(`pulling ${e.progress.image}`);
      },
    }),
    removeSession: async (s) => { await removeSession(o.docker, s, { graceSeconds: 0 }); },
  };
}
