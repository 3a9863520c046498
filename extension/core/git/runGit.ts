// Every git process Repro starts goes through runGit: one place decides the environment, what
// simple-git's guard may let through, how a failure reads, and what a cancel does.
import * as fs from 'node:fs';
import { GitError, simpleGit, type SimpleGitOptions, type SimpleGitProgressEvent } from 'simple-git';
import { GitCancelledError, GitCommandError, GitMissingError, NotARepositoryError } from './errors';

export interface GitProgress {
  /** What Repro is doing ("fetch", "worktree", "submodules"), then git's own stage when it reports one. */
  step: 'fetch' | 'worktree' | 'submodules';
  /** git's stage ("receiving", "resolving", "remote:"...) or a sentence of Repro's. */
  stage: string;
  /** 0..100 when git reports counts. */
  percent?: number;
  processed?: number;
  total?: number;
}

/**
 * simple-git refuses some configuration on the command line unless told otherwise, because in
 * general it cannot know where a value came from. Each flag here is set by one call site for a
 * value Repro builds itself; the call site says why.
 */
export interface GitAllowances {
  /** `-c core.hooksPath=/dev/null`: turns the user's checkout hooks off in Repro's worktrees. */
  hooksPath?: boolean;
  /** `-c protocol.file.allow=always`: a submodule whose URL is a local path. */
  fileProtocol?: boolean;
  /** `-c submodule.<name>.url=...`: submodule URLs given per command, never written to config. */
  submoduleConfig?: boolean;
}

export interface RunGitOptions {
  signal?: AbortSignal;
  /** `-c key=value` for this command only. */
  config?: readonly string[];
  allow?: GitAllowances;
  /** git's progress lines (fetch, checkout), as simple-git parses them. */
  onProgress?: (p: GitProgress) => void;
  /** What the progress is reported as; default "fetch". */
  progressStep?: GitProgress['step'];
  /** Exit codes that are answers rather than failures (1 from `cat-file -e` means "no"). */
  okExitCodes?: readonly number[];
}

export interface GitOutput {
  stdout: string;
  exitCode: number;
}

/**
 * The user's environment, minus what would point git at another repository, index or object
 * store. A VS Code started from a git hook or a `git rebase -x` shell inherits GIT_DIR and
 * GIT_INDEX_FILE; passed on, they would make `worktree add` write the user's index.
 * Kept: how git reaches remotes and finds its configuration (ssh command, askpass, CA files,
 * GIT_CONFIG_GLOBAL), because a fetch must work the way it does in the user's terminal.
 */
const KEEP_GIT_VARS = new Set([
  'GIT_SSH', 'GIT_SSH_COMMAND', 'GIT_SSH_VARIANT', 'GIT_ASKPASS',
  'GIT_CONFIG_GLOBAL', 'GIT_CONFIG_SYSTEM', 'GIT_CONFIG_NOSYSTEM',
  'GIT_SSL_CAINFO', 'GIT_SSL_CAPATH', 'GIT_SSL_NO_VERIFY', 'GIT_SSL_CERT', 'GIT_SSL_KEY',
  'GIT_HTTP_PROXY_AUTHMETHOD', 'GIT_PROXY_SSL_CERT', 'GIT_PROXY_SSL_KEY', 'GIT_PROXY_SSL_CAINFO',
  'GIT_ALLOW_PROTOCOL', 'GIT_PROTOCOL_FROM_USER', 'GIT_CEILING_DIRECTORIES', 'GIT_DISCOVERY_ACROSS_FILESYSTEM',
]);
/** Not GIT_*, but programs git would start for an editor or a pager, which Repro never wants. */
const DROP_OTHER_VARS = new Set(['EDITOR', 'VISUAL', 'PAGER', 'PREFIX']);

function gitEnvironment(): { env: Record<string, string>; allow: Required<SimpleGitOptions>['unsafe'] } {
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (value === undefined) continue;
    const upper = key.toUpperCase();
    if (upper.startsWith('GIT_') ? !KEEP_GIT_VARS.has(upper) : DROP_OTHER_VARS.has(upper)) continue;
    env[key] = value;
  }
  // Never wait on a prompt nobody can see (the extension host has no terminal): fail, and say
  // how to authenticate. English messages, because some failures are recognised by their text.
  env.GIT_TERMINAL_PROMPT = '0';
  env.LC_ALL = 'C';
  env.LANGUAGE = 'C';
  const has = (...keys: string[]) => keys.some((k) => Object.keys(env).some((e) => e.toUpperCase() === k));
  return {
    env,
    // The user's own settings for these, from their environment, not from an alert.
    allow: {
      allowUnsafeSshCommand: has('GIT_SSH', 'GIT_SSH_COMMAND'),
      allowUnsafeAskPass: has('GIT_ASKPASS', 'SSH_ASKPASS'),
      allowUnsafeConfigPaths: has('GIT_CONFIG_GLOBAL', 'GIT_CONFIG_SYSTEM'),
    },
  };
}

/** A failed git as simple-git's own error type, so that it reaches the caller unwrapped. */
class ExitError extends GitError {
  constructor(readonly exitCode: number, readonly stderr: string) {
    super(undefined, stderr);
  }
}

/** Runs `git <args>` in `cwd` and returns its output; any exit code not in okExitCodes throws GitCommandError. */
export async function runGit(cwd: string, args: readonly string[], opts: RunGitOptions = {}): Promise<GitOutput> {
  if (opts.signal?.aborted) throw new GitCancelledError('git was not started');
  if (!fs.existsSync(cwd)) throw new NotARepositoryError(cwd, 'the folder does not exist');
  const { env, allow } = gitEnvironment();
  const ok = new Set([0, ...(opts.okExitCodes ?? [])]);
  let exitCode = -1;
  const git = simpleGit({
    baseDir: cwd,
    config: [...(opts.config ?? [])],
    // Every key passed is one chosen above; simple-git would otherwise refuse GIT_TERMINAL_PROMPT.
    allowEnvironment: Object.keys(env),
    unsafe: {
      ...allow,
      allowUnsafeHooksPath: opts.allow?.hooksPath === true,
      allowUnsafeProtocolOverride: opts.allow?.fileProtocol === true,
      allowUnsafeSubmodule: opts.allow?.submoduleConfig === true,
    },
    ...(opts.signal ? { abort: opts.signal } : {}),
    ...(opts.onProgress ? {
      progress: (p: SimpleGitProgressEvent) => opts.onProgress!({ step: opts.progressStep ?? 'fetch', stage: p.stage, percent: p.progress, processed: p.processed, total: p.total }),
    } : {}),
    errors: (error, result) => {
      exitCode = result.exitCode;
      if (error instanceof GitError) return error; // abort, or the guard refusing the command
      if (ok.has(result.exitCode)) return undefined;
      return new ExitError(result.exitCode, Buffer.concat([...result.stdErr]).toString('utf8') || (error instanceof Error ? error.message : ''));
    },
  }).env(env);
  try {
    const stdout = await git.raw([...args]);
    return { stdout, exitCode: exitCode < 0 ? 0 : exitCode };
  } catch (e) {
    if (opts.signal?.aborted) throw new GitCancelledError(`git ${args[0] ?? ''} was stopped`);
    if (e instanceof ExitError) throw new GitCommandError(args, e.exitCode, e.stderr, cwd);
    const message = e instanceof Error ? e.message : String(e);
    if (/\bENOENT\b/.test(message) && /spawn/.test(message)) throw new GitMissingError(message);
    throw new GitCommandError(args, exitCode, message, cwd);
  }
}

/** `git <args>` as a yes/no question: exit 0 is yes, 1 is no, anything else throws. */
export async function gitAnswers(cwd: string, args: readonly string[], opts: RunGitOptions = {}): Promise<boolean> {
  return (await runGit(cwd, args, { ...opts, okExitCodes: [1] })).exitCode === 0;
}
