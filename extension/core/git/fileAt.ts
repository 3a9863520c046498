// A file as it is at a commit, read from git's object store without checking anything out:
// the manifest at the incident's commit decides what to start before a worktree exists.
import { CommitNotFoundError, GitCommandError, InvalidRefError } from './errors';
import { checkCommit, checkRepoPath } from './refs';
import type { Repository } from './repository';
import { findLocalCommit } from './resolve';
import { runGit } from './runGit';

/**
 * The text (UTF-8) of `file` (relative to the repository root) at commit `sha`; undefined when
 * the commit has no such file. Throws when the commit is not in the clone or `file` is a folder.
 * The bytes as committed: no textconv, no smudge filter (`git cat-file blob`, not a checkout).
 */
export async function readFileAt(repo: Repository, sha: string, file: string): Promise<string | undefined> {
  const commit = checkCommit(sha);
  const rel = checkRepoPath(file);
  // ls-tree first: it tells "no such file" (no output) from "no such commit" (a failure)
  // without reading git's messages. --literal-pathspecs: "*" or ":(" in a name is the name.
  let listed: string;
  try {
    listed = (await runGit(repo.root, ['--literal-pathspecs', 'ls-tree', '-z', '--end-of-options', `${commit}^{commit}`, '--', rel])).stdout;
  } catch (e) {
    if (e instanceof GitCommandError && !(await findLocalCommit(repo, commit))) throw new CommitNotFoundError(commit, undefined);
    throw e;
  }
  const entry = listed.split('\0').map(parseLsTree).find((e) => e?.path === rel);
  if (!entry) return undefined;
  if (entry.type !== 'blob') throw new InvalidRefError('path', rel, `it is a ${entry.type === 'tree' ? 'folder' : entry.type} at ${commit.slice(0, 12)}, not a file`);
  return (await runGit(repo.root, ['cat-file', 'blob', entry.object])).stdout;
}

/** "<mode> SP <type> SP <object> TAB <path>" */
function parseLsTree(line: string): { type: string; object: string; path: string } | undefined {
  const m = /^\d+ (\w+) ([0-9a-f]+)\t(.*)$/s.exec(line);
  return m ? { type: m[1]!, object: m[2]!, path: m[3]! } : undefined;
}
