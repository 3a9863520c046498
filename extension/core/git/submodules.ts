// Submodules in a reproduction worktree, at the commits the incident's commit records.
//
// Why not just `git submodule update --init --recursive`: a linked worktree shares .git/config
// with the user's clone, and `init` writes submodule.<name>.url (and .active, .update) there.
// Handing git those values with -c makes init find them already set, so it writes nothing: the
// user's config is untouched. Each level is done by its own command, so a nested submodule
// never sees the -c values meant for its parent (they are inherited by child processes).
//
// protocol.file.allow=always: git refuses to clone a submodule from a local path by default
// since 2.38.1 (CVE-2022-39253, a hostile repository reading files of the machine through a
// symlinked local "submodule"). Repro turns it on for one command, and only when a submodule
// of that level is a local path; the URLs come from the user's own repository at a commit of
// its history. It is never written to any config.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { WorktreeConflictError } from './errors';
import { runGit, type GitProgress } from './runGit';
import { resolveSubmoduleUrl, usesFileTransport } from './submoduleUrl';

export interface SubmoduleSpec {
  name: string;
  path: string;
  url: string;
  update?: string;
}

/** Nested submodules deeper than this are almost certainly a cycle. */
const MAX_DEPTH = 8;

/** No hooks in Repro's worktrees: a post-checkout hook (husky, lefthook) could change the user's clone. */
export const NO_HOOKS = 'core.hooksPath=/dev/null';

export interface SubmoduleOptions {
  signal?: AbortSignal;
  onProgress?: (p: GitProgress) => void;
}

/**
 * Checks out every submodule of the worktree `dir`, recursively, at the recorded commits.
 * @param base what relative submodule URLs are relative to (the remote the clone came from)
 */
export async function updateSubmodules(dir: string, base: string, opts: SubmoduleOptions = {}, depth = 0): Promise<void> {
  if (!fs.existsSync(path.join(dir, '.gitmodules'))) return;
  if (depth > MAX_DEPTH) throw new WorktreeConflictError(dir, `submodules are nested more than ${MAX_DEPTH} deep`);
  const declared = await readGitmodules(dir, opts.signal);
  if (declared.length === 0) return;
  const configured = await configuredUrls(dir, opts.signal);
  const config = [NO_HOOKS];
  const effective = new Map<string, string>();
  for (const sub of declared) {
    const known = configured.get(sub.name);
    const url = known ?? resolveSubmoduleUrl(sub.url, base);
    effective.set(sub.name, url);
    if (known === undefined) config.push(`submodule.${sub.name}.url=${url}`);
    // init copies "update" from .gitmodules into config when it is set there; a command
    // ("!...") is never taken from .gitmodules, git itself turns it into "none".
    if (sub.update !== undefined) config.push(`submodule.${sub.name}.update=${sub.update === 'none' || sub.update.startsWith('!') ? 'none' : 'checkout'}`);
  }
  const local = [...effective.values()].some(usesFileTransport);
  if (local) config.push('protocol.file.allow=always');
  opts.onProgress?.({ step: 'submodules', stage: depth === 0 ? 'checking out submodules' : `checking out submodules of ${path.basename(dir)}` });
  // Without --checkout, so a submodule the project marks "update = none" (optional, often
  // large) stays out, as it does in the user's own clone.
  await runGit(dir, ['submodule', 'update', '--init'], {
    config,
    allow: { hooksPath: true, fileProtocol: local, submoduleConfig: true },
    ...(opts.signal ? { signal: opts.signal } : {}),
  });
  for (const sub of declared) {
    const subDir = path.join(dir, sub.path);
    if (fs.existsSync(path.join(subDir, '.git'))) await updateSubmodules(subDir, effective.get(sub.name)!, opts, depth + 1);
  }
}

/** .gitmodules of the checked-out commit, read by git (it is a config file, with config quoting). */
export async function readGitmodules(dir: string, signal?: AbortSignal): Promise<SubmoduleSpec[]> {
  const r = await runGit(dir, ['config', '-z', '--file', path.join(dir, '.gitmodules'), '--get-regexp', '^submodule\\.'], { okExitCodes: [1], ...(signal ? { signal } : {}) });
  const byName = new Map<string, Partial<SubmoduleSpec>>();
  for (const [key, value] of parseConfigZ(r.stdout)) {
    const m = /^submodule\.(.+)\.(path|url|update)$/.exec(key);
    if (!m) continue;
    const name = m[1]!;
    if (/[=\s\u0000-\u001f]/.test(name)) {
      throw new WorktreeConflictError(dir, `.gitmodules names a submodule ${JSON.stringify(name)}, which cannot be passed to git safely`);
    }
    const entry = byName.get(name) ?? { name };
    entry[m[2] as 'path' | 'url' | 'update'] = value;
    byName.set(name, entry);
  }
  return [...byName.values()].filter((s): s is SubmoduleSpec => !!s.name && !!s.path && !!s.url);
}

/** submodule.<name>.url already in the effective config (the user's clone, for the top level). */
async function configuredUrls(dir: string, signal?: AbortSignal): Promise<Map<string, string>> {
  const r = await runGit(dir, ['config', '-z', '--get-regexp', '^submodule\\..*\\.url$'], { okExitCodes: [1], ...(signal ? { signal } : {}) });
  const urls = new Map<string, string>();
  for (const [key, value] of parseConfigZ(r.stdout)) {
    const m = /^submodule\.(.+)\.url$/.exec(key);
    if (m) urls.set(m[1]!, value);
  }
  return urls;
}

/** `git config -z` output: "key\nvalue\0" per entry (a key with no value has no "\n"). */
function parseConfigZ(text: string): [string, string][] {
  return text.split('\0').filter(Boolean).map((entry) => {
    const nl = entry.indexOf('\n');
    return nl < 0 ? [entry, ''] : [entry.slice(0, nl), entry.slice(nl + 1)];
  });
}
