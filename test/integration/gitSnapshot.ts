// Git helpers of the integration tests: the tests' own git (fixed identity, no hooks) and a
// byte-level snapshot of everything of a developer's clone that Repro must never change.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';

/** The test's own git, with a fixed identity and no hooks; throws with git's message on failure. */
export function git(cwd: string, ...args: string[]): string {
  const r = spawnSync('git', [
    '-c', 'user.name=Repro Test', '-c', 'user.email=test@reprokit.dev', '-c', 'init.defaultBranch=main',
    '-c', 'commit.gpgsign=false', '-c', 'tag.gpgsign=false', '-c', 'core.hooksPath=/dev/null', '-c', 'protocol.file.allow=always',
    ...args,
  ], { cwd, encoding: 'utf8', env: { ...process.env, LC_ALL: 'C', GIT_EDITOR: 'true' } });
  if (r.status !== 0) throw new Error(`git ${args.join(' ')} in ${cwd} failed (${r.status}): ${r.stderr}`);
  return r.stdout;
}
/** Same, for commands expected to fail (a conflicting rebase). */
export const gitStatus = (cwd: string, ...args: string[]): number | null =>
  spawnSync('git', ['-c', 'user.name=Repro Test', '-c', 'user.email=test@reprokit.dev', '-c', 'core.hooksPath=/dev/null', ...args],
    { cwd, encoding: 'utf8', env: { ...process.env, LC_ALL: 'C', GIT_EDITOR: 'true' } }).status;

export const sha256 = (b: Buffer | string) => createHash('sha256').update(b).digest('hex');
/** git's id of a file's bytes, to compare a worktree with a commit without a process per file. */
export const blobId = (b: Buffer) => createHash('sha1').update(`blob ${b.length}\0`).update(b).digest('hex');

export function filesUnder(dir: string, skip = new Set(['.git'])): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      if (skip.has(e.name) && d === dir) continue;
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p); else out.push(path.relative(dir, p).split(path.sep).join('/'));
    }
  };
  walk(dir);
  return out.sort();
}

/** Every file under `dir` (recursively) as name -> sha256, for .git/rebase-merge and the like. */
export function treeHash(dir: string): string {
  if (!fs.existsSync(dir)) return '(none)';
  return sha256(filesUnder(dir, new Set()).map((f) => `${f} ${sha256(fs.readFileSync(path.join(dir, f)))}`).join('\n'));
}

const readOr = (file: string, none = '(none)') => (fs.existsSync(file) ? fs.readFileSync(file) : Buffer.from(none));

/**
 * Everything of the developer's clone that Repro must not change. Bytes are read before any git
 * command runs, and the git commands take no optional locks, so taking a snapshot changes nothing.
 */
export function snapshot(repo: string): Record<string, string> {
  const dotGit = path.join(repo, '.git');
  const s: Record<string, string> = {
    'index bytes': sha256(readOr(path.join(dotGit, 'index'))),
    'config bytes': readOr(path.join(dotGit, 'config')).toString('utf8'),
    'HEAD file': readOr(path.join(dotGit, 'HEAD')).toString('utf8'),
    'ORIG_HEAD file': readOr(path.join(dotGit, 'ORIG_HEAD')).toString('utf8'),
    'FETCH_HEAD file': readOr(path.join(dotGit, 'FETCH_HEAD')).toString('utf8'),
    'packed-refs': readOr(path.join(dotGit, 'packed-refs')).toString('utf8'),
    'refs folder': treeHash(path.join(dotGit, 'refs')),
    'HEAD reflog': sha256(readOr(path.join(dotGit, 'logs', 'HEAD'))),
    'rebase-merge': treeHash(path.join(dotGit, 'rebase-merge')),
    'modules': treeHash(path.join(dotGit, 'modules')),
  };
  for (const f of filesUnder(repo)) {
    const p = path.join(repo, f);
    s[`file ${f}`] = `${(fs.statSync(p).mode & 0o777).toString(8)} ${sha256(fs.readFileSync(p))}`;
  }
  s.status = git(repo, '--no-optional-locks', 'status', '--porcelain=v2', '--branch', '--untracked-files=all');
  s['stash list'] = git(repo, '--no-optional-locks', 'stash', 'list');
  s['branch -a -v'] = git(repo, '--no-optional-locks', 'branch', '-a', '-v');
  s['rev-parse HEAD'] = git(repo, 'rev-parse', 'HEAD');
  s.refs = git(repo, 'for-each-ref', '--format=%(refname) %(objectname)');
  return s;
}
