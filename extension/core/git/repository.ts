// The user's clone: where its root is, where its shared .git is (worktrees live in there), and
// which remotes it has, to refuse an incident that belongs to another repository.
import * as path from 'node:path';
import { GitCommandError, NotARepositoryError, OtherRepositoryError } from './errors';
import { sameRepository } from './remoteUrl';
import { runGit } from './runGit';

export { normaliseRemoteUrl, sameRepository } from './remoteUrl';

export interface Remote {
  name: string;
  /** After url.<base>.insteadOf rewriting, as git would use them. */
  fetchUrl: string;
  pushUrl: string;
}

export interface Repository {
  /** The working tree's top folder (`git rev-parse --show-toplevel`). */
  root: string;
  /** The .git shared by every worktree of the clone (`--git-common-dir`), absolute. */
  commonDir: string;
  remotes: Remote[];
}

/** The repository `dir` is in (any folder inside the working tree will do). */
export async function openRepository(dir: string): Promise<Repository> {
  let out: string;
  try {
    out = (await runGit(dir, ['rev-parse', '--show-toplevel', '--git-common-dir'])).stdout;
  } catch (e) {
    if (e instanceof GitCommandError) throw new NotARepositoryError(dir, withFix(e.stderr, dir));
    throw e;
  }
  const [root, commonDir] = out.split('\n').map((l) => l.trim());
  if (!root || !commonDir) throw new NotARepositoryError(dir, 'it has no working tree (a bare repository?)');
  const remotes = parseRemotes((await runGit(root, ['remote', '-v'])).stdout);
  // --git-common-dir is relative to the folder git ran in when it is inside it (".git").
  return { root: path.normalize(root), commonDir: path.resolve(dir, commonDir), remotes };
}

/** Throws OtherRepositoryError, naming both, unless one of the clone's remotes is `expected`. */
export function checkSameRepository(repo: Repository, expected: string): void {
  const matches = repo.remotes.some((r) => sameRepository(r.fetchUrl, expected) || sameRepository(r.pushUrl, expected));
  if (!matches) throw new OtherRepositoryError(expected, repo.root, repo.remotes.map((r) => `${r.name} ${r.fetchUrl}`));
}

/** `git remote -v`: "origin\thttps://... (fetch)" and "(push)" lines. */
export function parseRemotes(text: string): Remote[] {
  const byName = new Map<string, Remote>();
  for (const line of text.split('\n')) {
    const m = /^(\S+)\t(.*) \((fetch|push)\)$/.exec(line.trimEnd());
    if (!m) continue;
    const [, name, url, kind] = m as unknown as [string, string, string, 'fetch' | 'push'];
    const r = byName.get(name) ?? { name, fetchUrl: url, pushUrl: url };
    if (kind === 'fetch') r.fetchUrl = url; else r.pushUrl = url;
    byName.set(name, r);
  }
  return [...byName.values()];
}

function withFix(stderr: string, dir: string): string {
  const first = stderr.split('\n').map((l) => l.replace(/^fatal: /, '').trim()).find(Boolean) ?? 'git failed';
  // git 2.35.2+ refuses a repository owned by another user until it is marked safe.
  if (/dubious ownership/.test(stderr)) return `${first}; if you trust it, run: git config --global --add safe.directory ${dir}`;
  return first;
}
