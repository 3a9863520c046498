// What can go wrong between an alert's commit and a worktree, each as its own class with a
// stable code (for the CLI's exit codes and the UI's buttons) and a message that says what
// happened, where, and what to do about it.

export type GitProblemCode =
  | 'git-missing'
  | 'not-a-repository'
  | 'other-repository'
  | 'invalid-ref'
  | 'no-remote'
  | 'commit-not-found'
  | 'release-not-found'
  | 'worktree-changed'
  | 'worktree-conflict'
  | 'not-a-repro-worktree'
  | 'bad-path'
  | 'git-failed'
  | 'cancelled';

export abstract class GitProblem extends Error {
  abstract readonly code: GitProblemCode;
}

export class GitMissingError extends GitProblem {
  readonly code = 'git-missing';
  constructor(readonly reason: string) {
    super(`git could not be started (${reason}). Install git 2.29 or later and make sure it is on the PATH ` +
      `of the process that runs Repro (for VS Code: restart it after installing git).`);
    this.name = 'GitMissingError';
  }
}

export class NotARepositoryError extends GitProblem {
  readonly code = 'not-a-repository';
  constructor(readonly dir: string, readonly reason: string) {
    super(`${dir} is not inside a git repository (${reason}). Open the folder of the project's clone ` +
      `(the one with .git) and try again.`);
    this.name = 'NotARepositoryError';
  }
}

export class OtherRepositoryError extends GitProblem {
  readonly code = 'other-repository';
  /**
   * @param expected the repository the incident (or repro.yaml) is for
   * @param remotes this repository's remotes, as "name url"
   */
  constructor(readonly expected: string, readonly root: string, readonly remotes: readonly string[]) {
    super(`This incident is for ${expected}, but ${root} is a clone of ` +
      `${remotes.length ? remotes.join(', ') : 'nothing (it has no remote)'}. ` +
      `Open a clone of ${expected} to reproduce it, or fix project.repository in repro.yaml if the repository moved.`);
    this.name = 'OtherRepositoryError';
  }
}

export class InvalidRefError extends GitProblem {
  readonly code = 'invalid-ref';
  /** @param what "commit", "release" or "remote", as the alert or the caller named it */
  constructor(readonly what: 'commit' | 'release' | 'remote' | 'path', readonly value: string, readonly reason: string) {
    super(`Refused the ${what} ${JSON.stringify(value.length > 80 ? `${value.slice(0, 80)}…` : value)}: ${reason}. ` +
      (what === 'commit' ? 'A commit is 7 to 40 hexadecimal digits (64 in a SHA-256 repository); check the alert.'
        : what === 'release' ? 'A release is a tag name such as v1.4.0 or 1.4.0; check the alert.'
          : what === 'remote' ? 'A remote is a name such as origin (see "git remote -v").'
            : 'A path is relative to the repository root, such as repro.yaml or config/app.yaml.'));
    this.name = 'InvalidRefError';
  }
}

export class NoRemoteError extends GitProblem {
  readonly code = 'no-remote';
  constructor(readonly remote: string, readonly root: string, readonly needed: string) {
    super(`${needed} is not in ${root}, and it has no remote named ${remote} to fetch it from. ` +
      `Add it ("git remote add ${remote} <url>") or fetch the commit yourself, then try again.`);
    this.name = 'NoRemoteError';
  }
}

export class CommitNotFoundError extends GitProblem {
  readonly code = 'commit-not-found';
  /**
   * @param remote where it was looked for too; undefined when nothing was fetched
   * @param reason why the fetch did not bring it, when it was not simply missing there
   */
  constructor(readonly sha: string, readonly remote: string | undefined, readonly reason?: string) {
    super(remote === undefined
      ? `commit ${sha.slice(0, 7)} is not in this repository; resolve the incident's commit first (that fetches it) or check the alert` +
        (reason ? ` (${reason})` : '') + '.'
      : `commit ${sha.slice(0, 7)} is not in this repository or on ${remote}; fetch it or check the alert` +
        (reason ? ` (${reason})` : '') + '.');
    this.name = 'CommitNotFoundError';
  }
}

export class ReleaseNotFoundError extends GitProblem {
  readonly code = 'release-not-found';
  constructor(readonly release: string, readonly tried: readonly string[], readonly remote: string, readonly reason?: string) {
    super(`release ${release} is not a tag in this repository or on ${remote} (tried ${tried.join(' and ')}); ` +
      `fetch its tag ("git fetch ${remote} --tags") or check the alert` + (reason ? ` (${reason})` : '') + '.');
    this.name = 'ReleaseNotFoundError';
  }
}

export class WorktreeChangedError extends GitProblem {
  readonly code = 'worktree-changed';
  /** @param changes what differs from the incident's commit, one line each */
  constructor(readonly path: string, readonly sha: string, readonly changes: readonly string[]) {
    const shown = changes.slice(0, 5).join('; ') + (changes.length > 5 ? `; and ${changes.length - 5} more` : '');
    super(`The reproduction worktree ${path} is no longer the commit ${sha.slice(0, 12)}: ${shown}. ` +
      `Keep your changes (commit or stash them there, or copy them out), then start again discarding them ` +
      `(Repro recreates the worktree), or remove the worktree.`);
    this.name = 'WorktreeChangedError';
  }
}

export class WorktreeConflictError extends GitProblem {
  readonly code = 'worktree-conflict';
  constructor(readonly path: string, readonly reason: string) {
    super(`Cannot create the reproduction worktree at ${path}: ${reason}. ` +
      `Move or remove that folder, or point Repro at another storage folder.`);
    this.name = 'WorktreeConflictError';
  }
}

export class NotAReproWorktreeError extends GitProblem {
  readonly code = 'not-a-repro-worktree';
  constructor(readonly path: string, readonly root: string, readonly reason: string) {
    super(`Refused to remove ${path}: ${reason}. Repro only removes the worktrees of ${root} that it created; ` +
      `remove anything else with "git worktree remove".`);
    this.name = 'NotAReproWorktreeError';
  }
}

export class GitCommandError extends GitProblem {
  readonly code = 'git-failed';
  constructor(readonly args: readonly string[], readonly exitCode: number, readonly stderr: string, readonly cwd: string) {
    super(`"git ${args.join(' ').slice(0, 200)}" failed in ${cwd} (exit ${exitCode}): ` +
      `${firstLines(stderr) || 'no message'}`);
    this.name = 'GitCommandError';
  }
}

/** Cancelled is a normal outcome; the message says what was undone. */
export class GitCancelledError extends GitProblem {
  readonly code = 'cancelled';
  constructor(readonly undone: string, readonly cleanupProblem?: string) {
    super(cleanupProblem === undefined ? `Cancelled; ${undone}.` : `Cancelled, but ${undone} failed: ${cleanupProblem}`);
    // The same name as the stack's CancelledError, so one check covers both.
    this.name = 'CancelledError';
  }
}

/** git's own message without its "fatal: "/"error: " prefixes and progress noise, for an error's text. */
export function firstLines(stderr: string, max = 3): string {
  return stderr.split(/\r?\n|\r/)
    .map((l) => l.trim())
    .filter((l) => l && !/^(hint|remote: (Enumerating|Counting|Compressing|Total))\b/i.test(l) && !/\d+% \(\d+\/\d+\)/.test(l))
    .slice(0, max)
    .map((l) => l.replace(/^(fatal|error|warning): /i, ''))
    .join('; ');
}
