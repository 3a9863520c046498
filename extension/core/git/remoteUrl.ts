// Is this clone the repository an incident is about? The same repository is spelt many ways:
// https://github.com/org/repo.git, git@github.com:org/repo.git, ssh://git@github.com/org/repo,
// with or without .git, a trailing slash, a user name, a port, a capitalised host. Reduce each
// to host + path and compare those.

/** Hosts reached under another name for ssh (GitHub's port-443 ssh, GitLab's and Bitbucket's alternates). */
const HOST_ALIASES: Record<string, string> = {
  'www.github.com': 'github.com',
  'ssh.github.com': 'github.com',
  'altssh.gitlab.com': 'gitlab.com',
  'altssh.bitbucket.org': 'bitbucket.org',
  'ssh.dev.azure.com': 'dev.azure.com',
};

/** Hosts whose repository paths are case-insensitive (Org/Repo and org/repo are one repository). */
const CASE_INSENSITIVE_HOSTS = new Set(['github.com', 'gitlab.com', 'bitbucket.org', 'dev.azure.com']);

/**
 * host/path for a remote ("github.com/org/repo"), "file:<path>" for a local one, or undefined
 * for something that is not a git URL at all.
 */
export function normaliseRemoteUrl(url: string): string | undefined {
  const s = url.trim();
  if (!s) return undefined;
  let host: string;
  let rawPath: string;
  const scheme = /^([A-Za-z][A-Za-z0-9+.-]*):\/\//.exec(s);
  if (scheme) {
    let u: URL;
    try {
      u = new URL(s);
    } catch {
      return undefined;
    }
    const pathname = safeDecode(u.pathname);
    if (scheme[1]!.toLowerCase() === 'file') return `file:${trimPath(pathname)}`;
    host = u.hostname.toLowerCase();
    rawPath = pathname;
  } else {
    // scp-like [user@]host:path, which git recognises by a colon before any slash (and which is
    // not a Windows drive letter).
    const scp = /^(?:[^@/]+@)?(\[[^\]]+\]|[^:/]+):(.*)$/.exec(s);
    if (!scp || /^[A-Za-z]:[\\/]/.test(s)) return `file:${trimPath(s.replace(/\\/g, '/'))}`;
    host = scp[1]!.toLowerCase();
    rawPath = scp[2]!;
  }
  if (!host) return undefined;
  host = HOST_ALIASES[host] ?? host;
  let path = trimPath(rawPath).replace(/^\/+/, '');
  // Azure Repos over ssh: v3/org/project/repo is https' org/project/_git/repo.
  if (host === 'dev.azure.com' && path.startsWith('v3/')) {
    const [org, project, repo] = path.slice(3).split('/');
    if (org && project && repo) path = `${org}/${project}/_git/${repo}`;
  }
  if (!path) return undefined;
  return `${host}/${CASE_INSENSITIVE_HOSTS.has(host) ? path.toLowerCase() : path}`;
}

/** Whether `remoteUrl` (a clone's remote) and `expected` (an incident's repository) are one repository. */
export function sameRepository(remoteUrl: string, expected: string): boolean {
  const a = normaliseRemoteUrl(remoteUrl);
  return a !== undefined && a === normaliseRemoteUrl(expected);
}

/** Collapses "//", drops trailing "/" and one ".git" (and a "/" before it). */
function trimPath(p: string): string {
  return p.replace(/\/{2,}/g, '/').replace(/\/+$/, '').replace(/\.git$/, '').replace(/\/+$/, '');
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}
