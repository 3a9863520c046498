// Where reproductions keep their files: one folder shared by the extension and the CLI, so a
// session started from VS Code has its receipt on `repro receipt` too. REPRO_HOME overrides it;
// otherwise the XDG state folder (~/.local/state/repro).
import * as crypto from 'node:crypto';
import * as os from 'node:os';
import * as path from 'node:path';

export function reproHome(env: NodeJS.ProcessEnv = process.env, home = os.homedir()): string {
  if (env.REPRO_HOME) return path.resolve(env.REPRO_HOME);
  const state = env.XDG_STATE_HOME && path.isAbsolute(env.XDG_STATE_HOME) ? env.XDG_STATE_HOME : path.join(home, '.local', 'state');
  return path.join(state, 'repro');
}

/** The folder of one session: its receipt and anything else it keeps. */
export const sessionDir = (root: string, session: string): string => path.join(root, 'sessions', session);

/** The storage of one clone (its worktrees go in worktrees/ below), apart from other clones'. */
export function repoStorage(root: string, repoRoot: string): string {
  const id = crypto.createHash('sha256').update(path.resolve(repoRoot)).digest('hex').slice(0, 12);
  return path.join(root, 'repos', `${path.basename(repoRoot).replace(/[^A-Za-z0-9._-]+/g, '-')}-${id}`);
}

/**
 * The scrubbing key's file when repro.yaml names no scrub.key.env: one random key per clone of
 * the repository, <REPRO_HOME>/repos/<clone>/scrub.key (mode 0600, created on first use). It
 * never leaves the machine; deleting it makes every later clone scrub differently (and miss the
 * cache). A team that wants the same scrubbed values everywhere sets scrub.key.env instead.
 */
export const scrubKeyFile = (storage: string, repoRoot: string): string => path.join(repoStorage(storage, repoRoot), 'scrub.key');
