// Where a submodule is cloned from, worked out the way `git submodule init` does, so that Repro
// can hand git the URL on the command line instead of letting init write it into the user's
// .git/config (which a linked worktree shares with the user's clone).

/** git's url_is_local_not_ssh: no colon, or a slash before the first colon, or a drive letter. */
export function isLocalNotSsh(url: string): boolean {
  const colon = url.indexOf(':');
  const slash = url.indexOf('/');
  return colon < 0 || (slash >= 0 && slash < colon) || /^[A-Za-z]:[\\/]/.test(url);
}

function isAbsolutePath(p: string): boolean {
  return p.startsWith('/') || /^[A-Za-z]:[\\/]/.test(p) || p.startsWith('\\\\');
}

/** Whether git would reach `url` through the file transport (a path, or file://). */
export function usesFileTransport(url: string): boolean {
  if (/^file:\/\//i.test(url)) return true;
  return !/^[A-Za-z][A-Za-z0-9+.-]*:\/\//.test(url) && isLocalNotSsh(url);
}

/**
 * A submodule URL from .gitmodules, resolved against `base` (the superproject's remote URL, or
 * its folder when it has none). A port of git's relative_url(): only "./" and "../" URLs are
 * relative; "../" drops one component of the base, and a base like host:path loses its ":"
 * part when it runs out of "/" components.
 */
export function resolveSubmoduleUrl(url: string, base: string): string {
  if (!url.startsWith('./') && !url.startsWith('../')) return url;
  let remote = base.replace(/[/\\]+$/, '');
  const isRelative = isLocalNotSsh(remote) && !isAbsolutePath(remote);
  if (isRelative && !remote.startsWith('./') && !remote.startsWith('../')) remote = `./${remote}`;
  let rest = url;
  let colonSeparated = false;
  for (;;) {
    if (rest.startsWith('../')) {
      rest = rest.slice(3);
      const chopped = chopLastComponent(remote, isRelative);
      remote = chopped.rest;
      colonSeparated ||= chopped.atColon;
    } else if (rest.startsWith('./')) {
      rest = rest.slice(2);
    } else {
      break;
    }
  }
  let out = `${remote}${colonSeparated ? ':' : '/'}${rest}`;
  if (rest.endsWith('/')) out = out.slice(0, -1);
  return out.startsWith('./') ? out.slice(2) : out;
}

function chopLastComponent(url: string, isRelative: boolean): { rest: string; atColon: boolean } {
  const slash = Math.max(url.lastIndexOf('/'), process.platform === 'win32' ? url.lastIndexOf('\\') : -1);
  if (slash >= 0) return { rest: url.slice(0, slash), atColon: false };
  const colon = url.lastIndexOf(':');
  if (colon >= 0) return { rest: url.slice(0, colon), atColon: true };
  if (isRelative || url === '.') throw new Error(`cannot strip one component off the URL ${url}`);
  return { rest: '.', atColon: false };
}
