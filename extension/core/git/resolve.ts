// An incident's code version, as the alert gives it (a commit, or a release), to a full commit
// id in the user's clone, fetching from the remote only what is missing.
//
// What a fetch may change in the user's repository, and nothing more: objects (a commit is
// fetched by id into the object store, with no ref and no FETCH_HEAD, so branches, remote-
// tracking refs and `git pull` are unaffected), and for a release the one tag it names, which
// is what `git fetch --tags` would have created. No automatic gc, no submodule fetches.
import { CommitNotFoundError, GitCancelledError, GitCommandError, InvalidRefError, NoRemoteError, ReleaseNotFoundError, firstLines } from './errors';
import { checkCommit, checkRelease, checkRemoteName, isFullSha, releaseTagCandidates } from './refs';
import type { Repository } from './repository';
import { runGit, type GitProgress } from './runGit';

export interface IncidentRef {
  /** A commit id, abbreviated or full; wins over `release` when both are given. */
  commit?: string;
  /** A release, as its tag: "v1.4.0" or "1.4.0" (both spellings are tried). */
  release?: string;
}

export interface ResolveOptions {
  /** The remote to fetch from when the commit is not in the clone; default "origin". */
  remote?: string;
  signal?: AbortSignal;
  onProgress?: (p: GitProgress) => void;
}

/** The full id of the incident's commit. Every value is checked before git sees any of it. */
export async function resolveCommit(repo: Repository, ref: IncidentRef, opts: ResolveOptions = {}): Promise<string> {
  const remote = checkRemoteName(opts.remote ?? 'origin');
  // A hostile value in either field refuses the whole alert, even when the other would do.
  const commit = ref.commit === undefined ? undefined : checkCommit(ref.commit);
  const release = ref.release === undefined ? undefined : checkRelease(ref.release);
  if (commit !== undefined) return resolveSha(repo, commit, remote, opts);
  if (release !== undefined) return resolveRelease(repo, release, remote, opts);
  throw new InvalidRefError('commit', '', 'the incident names neither a commit nor a release');
}

async function resolveSha(repo: Repository, sha: string, remote: string, opts: ResolveOptions): Promise<string> {
  const here = await findLocalCommit(repo, sha, opts.signal);
  if (here) return here;
  if (!isFullSha(sha)) {
    throw new CommitNotFoundError(sha, remote, `only a full 40-character id can be fetched, and the alert gave ${sha.length} characters`);
  }
  const url = remoteUrl(repo, remote, `commit ${sha.slice(0, 7)}`);
  opts.onProgress?.({ step: 'fetch', stage: `fetching ${sha.slice(0, 12)} from ${remote}` });
  try {
    await fetch(repo, remote, sha, opts);
  } catch (e) {
    if (e instanceof GitCommandError) throw new CommitNotFoundError(sha, remote, fetchFailure(e.stderr, remote, url));
    throw e;
  }
  const fetched = await findLocalCommit(repo, sha, opts.signal);
  if (!fetched) throw new CommitNotFoundError(sha, remote, `the fetch from ${remote} finished without it`);
  return fetched;
}

async function resolveRelease(repo: Repository, release: string, remote: string, opts: ResolveOptions): Promise<string> {
  const tags = releaseTagCandidates(release);
  for (const tag of tags) {
    const here = await findLocalCommit(repo, `refs/tags/${tag}`, opts.signal);
    if (here) return here;
  }
  const url = remoteUrl(repo, remote, `release ${release}`);
  let reason: string | undefined;
  for (const tag of tags) {
    opts.onProgress?.({ step: 'fetch', stage: `fetching tag ${tag} from ${remote}` });
    try {
      // No "+": a tag the user already has is never moved (and it would have been found above).
      await fetch(repo, remote, `refs/tags/${tag}:refs/tags/${tag}`, opts);
    } catch (e) {
      if (!(e instanceof GitCommandError)) throw e;
      reason = fetchFailure(e.stderr, remote, url);
      if (reason) break; // the remote is unreachable: the other spelling would fail the same way
      continue;
    }
    const fetched = await findLocalCommit(repo, `refs/tags/${tag}`, opts.signal);
    if (fetched) return fetched;
  }
  throw new ReleaseNotFoundError(release, tags, remote, reason);
}

/** The full id of `rev` as a commit, or undefined when the clone does not have it. */
export async function findLocalCommit(repo: Repository, rev: string, signal?: AbortSignal): Promise<string | undefined> {
  // rev-parse rather than `cat-file -e`: it also expands an abbreviated id, and it says "no"
  // with exit 1 where cat-file -e ends with the same fatal exit 128 as a real failure.
  const r = await runGit(repo.root, ['rev-parse', '--verify', '--quiet', '--end-of-options', `${rev}^{commit}`], { okExitCodes: [1], ...(signal ? { signal } : {}) });
  const sha = r.stdout.trim();
  return r.exitCode === 0 && isFullSha(sha) ? sha : undefined;
}

async function fetch(repo: Repository, remote: string, refspec: string, opts: ResolveOptions): Promise<void> {
  const args = ['fetch', '--no-tags', '--no-write-fetch-head', '--no-recurse-submodules', '--no-auto-gc'];
  if (opts.onProgress) args.push('--progress');
  try {
    await runGit(repo.root, [...args, '--end-of-options', remote, refspec], {
      ...(opts.signal ? { signal: opts.signal } : {}),
      ...(opts.onProgress ? { onProgress: opts.onProgress } : {}),
    });
  } catch (e) {
    if (e instanceof GitCancelledError) throw new GitCancelledError(`the fetch from ${remote} was stopped; no ref was changed`);
    throw e;
  }
}

function remoteUrl(repo: Repository, remote: string, needed: string): string {
  const r = repo.remotes.find((x) => x.name === remote);
  if (!r) throw new NoRemoteError(remote, repo.root, needed);
  return r.fetchUrl;
}

/**
 * Why a fetch failed, when it is something other than "the remote does not have it" (which
 * returns undefined: the error then says the commit is nowhere).
 */
export function fetchFailure(stderr: string, remote: string, url: string): string | undefined {
  if (/not our ref|unadvertised object|couldn't find remote ref|no such remote ref|no matching remote head/i.test(stderr)) return undefined;
  if (/could not resolve host|connection (refused|timed out|reset)|unable to access|could not read from remote|does not appear to be a git repository|repository not found|permission denied|authentication failed|terminal prompts disabled|could not read username|host key verification failed|network is unreachable/i.test(stderr)) {
    return `${remote} (${url}) could not be reached: ${firstLines(stderr, 2)}`;
  }
  return `git fetch from ${remote} failed: ${firstLines(stderr, 2)}`;
}
