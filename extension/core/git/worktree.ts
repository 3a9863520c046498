// The incident's code, checked out where the user's own work cannot be disturbed: a detached
// linked worktree in Repro's storage (<storage>/worktrees/<12-digit commit>), never inside
// the user's tree. `git worktree add` writes only the new folder and its own admin folder
// (.git/worktrees/<id>); the user's working tree, index, HEAD, branches, stash and config are
// not read for writing, which is why it works when the clone is dirty, detached, or in the
// middle of a rebase or merge. Submodules: see submodules.ts.
//
// Decisions:
// - A worktree already at the commit and clean is reused (a second session, a restart).
// - One that has changes (edited files, new files, another HEAD) is refused with the list of
//   changes, unless the caller asks to discard them: someone debugging an incident adds log
//   lines there, and silently throwing them away, or silently running them as "the incident's
//   code", would both be wrong. A worktree left half-created by a crash (git's "initializing"
//   lock) is not anyone's work and is recreated.
// - No hooks run (core.hooksPath=/dev/null for the commands that create and check out): a
//   post-checkout or reference-transaction hook could install packages or write to the
//   user's clone.
// - Removing prunes only the worktree removed. `git worktree prune` would also forget every
//   other worktree whose folder is missing at that moment (one on an unmounted disk).
// - One call per worktree path at a time: the session that owns a worktree serialises its use.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { GitCancelledError, GitCommandError, InvalidRefError, NotAReproWorktreeError, WorktreeChangedError, WorktreeConflictError } from './errors';
import { checkCommit, isFullSha } from './refs';
import type { Repository } from './repository';
import { runGit, type GitProgress } from './runGit';
import { NO_HOOKS, updateSubmodules } from './submodules';

export interface EnsureWorktreeOptions {
  signal?: AbortSignal;
  onProgress?: (p: GitProgress) => void;
  /** Recreate a worktree that has changes instead of refusing it; its changes are lost. */
  discardChanges?: boolean;
}

export interface Worktree {
  path: string;
  sha: string;
  /** True when an existing clean worktree at the commit was kept. */
  reused: boolean;
}

/** Folder of Repro's worktrees in its storage; removeWorktree only removes folders in one. */
export const WORKTREES_FOLDER = 'worktrees';
const SHORT = 12;

export function worktreePath(storageDir: string, sha: string): string {
  return path.join(path.resolve(storageDir), WORKTREES_FOLDER, sha.slice(0, SHORT));
}

/** A worktree of `repo` at `sha` (a full id, from resolveCommit) in `storageDir`, created or reused. */
export async function ensureWorktree(repo: Repository, sha: string, storageDir: string, opts: EnsureWorktreeOptions = {}): Promise<Worktree> {
  const commit = checkCommit(sha);
  if (!isFullSha(commit)) throw new InvalidRefError('commit', sha, 'a worktree is made for a full commit id; resolve the incident\'s commit first');
  const wt = worktreePath(storageDir, commit);
  for (const own of [repo.root, repo.commonDir]) {
    if (isInside(wt, own)) throw new WorktreeConflictError(wt, `it is inside ${own}; Repro keeps its worktrees out of your clone, choose a storage folder elsewhere`);
  }
  const progress = (stage: string) => opts.onProgress?.({ step: 'worktree', stage });
  const listed = (await listWorktrees(repo)).find((w) => samePath(w.path, wt));

  if (fs.existsSync(wt)) {
    if (listed) {
      const halfCreated = isHalfCreated(wt, listed);
      const changes = halfCreated ? ['it was left half-created'] : await worktreeChanges(wt, commit);
      if (changes.length === 0) {
        progress(`reusing ${wt}`);
        await updateSubmodules(wt, submoduleBase(repo), opts);
        return { path: wt, sha: commit, reused: true };
      }
      if (!opts.discardChanges && !halfCreated) throw new WorktreeChangedError(wt, commit, changes);
      progress(`recreating ${wt} (${changes[0]})`);
      await removeRegistered(repo, wt);
    } else if (fs.existsSync(path.join(wt, '.git'))) {
      throw new WorktreeConflictError(wt, `it is a worktree of another repository (${readGitFile(wt) ?? 'unreadable .git'})`);
    } else if (fs.readdirSync(wt).length === 0) {
      fs.rmdirSync(wt);
    } else {
      throw new WorktreeConflictError(wt, 'the folder exists and is not a git worktree');
    }
  } else if (listed) {
    // Registered, folder gone (deleted by hand): forget this one entry before adding it again.
    forgetAdminDir(repo, wt);
  }
  return createWorktree(repo, commit, wt, opts);
}

async function createWorktree(repo: Repository, sha: string, wt: string, opts: EnsureWorktreeOptions): Promise<Worktree> {
  fs.mkdirSync(path.dirname(wt), { recursive: true });
  opts.onProgress?.({ step: 'worktree', stage: `checking out ${sha.slice(0, SHORT)} into ${wt}` });
  const adminBefore = new Set(adminIds(repo));
  const signal = opts.signal ? { signal: opts.signal } : {};
  try {
    // Two steps rather than `worktree add` checking out itself: that checkout runs in a child
    // process of git which a cancel (SIGINT to git) does not stop, and which would go on
    // writing files into the folder being cleaned up. `checkout` does the work in-process,
    // stops on SIGINT, and reports progress. No --end-of-options for checkout (2.39 takes it
    // for a path); the id is checked hexadecimal.
    await runGit(repo.root, ['worktree', 'add', '--detach', '--no-checkout', '--end-of-options', wt, sha], { config: [NO_HOOKS], allow: { hooksPath: true }, ...signal });
    await runGit(wt, ['checkout', ...(opts.onProgress ? ['--progress'] : []), '--force', '--detach', sha], {
      config: [NO_HOOKS], allow: { hooksPath: true }, ...signal,
      ...(opts.onProgress ? { onProgress: opts.onProgress, progressStep: 'worktree' as const } : {}),
    });
    await updateSubmodules(wt, submoduleBase(repo), opts);
  } catch (e) {
    // Another call got there first: the worktree is its, not ours to remove.
    if (e instanceof GitCommandError && /already exists/.test(e.stderr)) throw new WorktreeConflictError(wt, 'it was created at the same time by another call');
    const problem = await removeHalfCreated(repo, wt, adminBefore).then(() => undefined, (c: unknown) => (c instanceof Error ? c.message : String(c)));
    if (opts.signal?.aborted) throw new GitCancelledError(`the half-created worktree ${wt} was removed`, problem);
    if (problem && e instanceof Error) e.message += `\nRemoving the half-created worktree ${wt} failed too: ${problem}`;
    throw e;
  }
  return { path: wt, sha, reused: false };
}

/**
 * Removes a worktree Repro created (`git worktree remove --force`, then this one entry's
 * admin folder if git left it). Refuses the clone's main tree, a worktree of another clone,
 * and any worktree outside a Repro storage folder. Removing one that is already gone is fine.
 */
export async function removeWorktree(repo: Repository, worktree: string): Promise<void> {
  const wt = path.resolve(worktree);
  const all = await listWorktrees(repo);
  if (all[0] && samePath(all[0].path, wt)) throw new NotAReproWorktreeError(wt, repo.root, 'it is the main working tree of the clone');
  const listed = all.find((w) => samePath(w.path, wt));
  if (!listed) {
    if (!fs.existsSync(wt)) return;
    throw new NotAReproWorktreeError(wt, repo.root, 'it is not a worktree of this clone');
  }
  if (!/^[0-9a-f]+$/.test(path.basename(wt)) || path.basename(path.dirname(wt)) !== WORKTREES_FOLDER) {
    throw new NotAReproWorktreeError(wt, repo.root, `it is not in a Repro storage folder (.../${WORKTREES_FOLDER}/<commit>)`);
  }
  await removeRegistered(repo, wt);
}

async function removeRegistered(repo: Repository, wt: string): Promise<void> {
  if (fs.existsSync(wt)) {
    try {
      // Twice --force: also when changed, and when locked by a creation that was interrupted.
      await runGit(repo.root, ['worktree', 'remove', '--force', '--force', '--end-of-options', wt]);
    } catch (e) {
      if (!(e instanceof GitCommandError)) throw e;
      // git refuses what it cannot recognise as a worktree any more; the folder is Repro's.
      fs.rmSync(wt, { recursive: true, force: true });
    }
  }
  forgetAdminDir(repo, wt);
  if (fs.existsSync(wt)) fs.rmSync(wt, { recursive: true, force: true });
}

const adminIds = (repo: Repository): string[] => {
  try {
    return fs.readdirSync(path.join(repo.commonDir, 'worktrees'));
  } catch {
    return [];
  }
};

/**
 * After a failed or cancelled creation. A cancel rejects as soon as git is signalled, while
 * the process may still be writing for a moment (its index into .git/worktrees/<id>, files
 * into the folder), re-creating what a single sweep removed. So: sweep until two sweeps in a
 * row find nothing, for at most about three seconds. Admin entries that appeared during this
 * creation and have no gitdir yet are ours too.
 */
async function removeHalfCreated(repo: Repository, wt: string, adminBefore: Set<string>): Promise<void> {
  let quiet = 0;
  for (let round = 0; round < 30 && quiet < 2; round++) {
    let found = fs.existsSync(wt);
    await removeRegistered(repo, wt);
    const admin = path.join(repo.commonDir, 'worktrees');
    for (const id of adminIds(repo)) {
      if (adminBefore.has(id) || fs.existsSync(path.join(admin, id, 'gitdir'))) continue;
      fs.rmSync(path.join(admin, id), { recursive: true, force: true });
      found = true;
    }
    if (fs.existsSync(admin) && fs.readdirSync(admin).length === 0) fs.rmdirSync(admin);
    quiet = found ? 0 : quiet + 1;
    if (quiet < 2) await new Promise((r) => setTimeout(r, 100));
  }
}

/** What `git worktree prune` does, for this one worktree only: its admin folder in .git/worktrees. */
function forgetAdminDir(repo: Repository, wt: string): void {
  const admin = path.join(repo.commonDir, 'worktrees');
  if (!fs.existsSync(admin)) return;
  for (const id of fs.readdirSync(admin)) {
    const gitdir = path.join(admin, id, 'gitdir');
    let target: string;
    try {
      target = fs.readFileSync(gitdir, 'utf8').trim();
    } catch {
      continue;
    }
    if (samePath(path.dirname(target), wt)) fs.rmSync(path.join(admin, id), { recursive: true, force: true });
  }
  // As git does: no empty .git/worktrees left behind.
  if (fs.readdirSync(admin).length === 0) fs.rmdirSync(admin);
}

export interface ListedWorktree {
  path: string;
  head?: string;
  branch?: string;
  bare: boolean;
  /** The lock reason ("" when locked without one); "initializing" while git creates it. */
  locked?: string;
}

/** `git worktree list --porcelain`, the main working tree first. */
export async function listWorktrees(repo: Repository): Promise<ListedWorktree[]> {
  const out = (await runGit(repo.root, ['worktree', 'list', '--porcelain'])).stdout;
  const list: ListedWorktree[] = [];
  for (const block of out.split(/\n\n+/)) {
    const w: ListedWorktree = { path: '', bare: false };
    for (const line of block.split('\n')) {
      const [key, ...rest] = line.split(' ');
      const value = rest.join(' ');
      if (key === 'worktree') w.path = value;
      else if (key === 'HEAD') w.head = value;
      else if (key === 'branch') w.branch = value;
      else if (key === 'bare') w.bare = true;
      else if (key === 'locked') w.locked = value;
    }
    if (w.path) list.push(w);
  }
  return list;
}

/** What differs in the worktree from a clean checkout of `sha`; empty when nothing does. */
export async function worktreeChanges(wt: string, sha: string): Promise<string[]> {
  try {
    const head = (await runGit(wt, ['rev-parse', '--verify', 'HEAD'])).stdout.trim();
    const changes = head === sha ? [] : [`HEAD is at ${head.slice(0, SHORT)}`];
    // --branch: a "## ..." header line even when clean; simple-git waits 50 ms longer for a
    // command that prints nothing, which is most of the cost of a reuse.
    const status = (await runGit(wt, ['status', '--porcelain', '--branch', '--ignore-submodules=none'])).stdout;
    for (const line of status.split('\n')) if (line.trim() && !line.startsWith('##')) changes.push(`${line.slice(0, 2).trim()} ${line.slice(3)}`);
    return changes;
  } catch (e) {
    if (e instanceof GitCommandError) return [`git cannot read it (${e.message})`];
    throw e;
  }
}

/** What relative submodule URLs resolve against, as `git submodule init` would for a detached HEAD. */
function submoduleBase(repo: Repository): string {
  const remote = repo.remotes.find((r) => r.name === 'origin') ?? (repo.remotes.length === 1 ? repo.remotes[0] : undefined);
  return remote?.fetchUrl ?? repo.root;
}

/**
 * Left by an interrupted creation (a crash; a cancel cleans up itself): git's "initializing"
 * lock is still there (inside `worktree add`), or the worktree has no index yet (between
 * `worktree add --no-checkout` and the checkout). Nobody's work: safe to recreate.
 */
function isHalfCreated(wt: string, listed: ListedWorktree): boolean {
  if (listed.locked === 'initializing') return true;
  const admin = readGitFile(wt)?.replace(/^gitdir:\s*/, '');
  return admin !== undefined && !fs.existsSync(path.join(path.resolve(wt, admin), 'index'));
}

function readGitFile(wt: string): string | undefined {
  try {
    return fs.readFileSync(path.join(wt, '.git'), 'utf8').trim();
  } catch {
    return undefined;
  }
}

/** The path with symlinks resolved as far as it exists (/tmp is /private/tmp on macOS). */
function realish(p: string): string {
  const abs = path.resolve(p);
  const missing: string[] = [];
  let cur = abs;
  while (!fs.existsSync(cur)) {
    const parent = path.dirname(cur);
    if (parent === cur) return abs;
    missing.unshift(path.basename(cur));
    cur = parent;
  }
  const real = path.join(fs.realpathSync.native(cur), ...missing);
  return process.platform === 'win32' || process.platform === 'darwin' ? real.toLowerCase() : real;
}

function samePath(a: string, b: string): boolean {
  return realish(a) === realish(b);
}

function isInside(child: string, parent: string): boolean {
  const rel = path.relative(realish(parent), realish(child));
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
}
