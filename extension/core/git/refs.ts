// What an alert may name, checked before any of it reaches git. An alert link is input from
// outside: a "commit" of "--upload-pack=touch /tmp/x" must never become an argument, and the
// same goes for every other value passed to git. Allow lists, not deny lists: a commit is hex,
// a release is a plain tag name, a remote is a plain word. (simple-git has its own guard; this
// one comes first and gives the reason in terms of the alert.)
import { InvalidRefError } from './errors';

/** Long enough for any real tag; a longer "release" is noise or an attack. */
export const MAX_REF_LENGTH = 200;

/** A commit as an alert gives it: abbreviated (7+) or full hex, SHA-1 (40) or SHA-256 (64). */
export function checkCommit(value: unknown): string {
  const s = checkString('commit', value);
  if (!/^[0-9a-fA-F]+$/.test(s)) throw new InvalidRefError('commit', s, `${describeFirstBad(s, /[0-9a-fA-F]/)} is not a hexadecimal digit`);
  if (s.length < 7) throw new InvalidRefError('commit', s, `it has ${s.length} digits, fewer than the 7 that name a commit unambiguously`);
  if (s.length > 40 && s.length !== 64) throw new InvalidRefError('commit', s, `it has ${s.length} digits; a full commit id has 40 (or 64)`);
  return s.toLowerCase();
}

/** A full commit id (what ensureWorktree and a receipt record), SHA-1 or SHA-256. */
export function isFullSha(s: string): boolean {
  return /^([0-9a-f]{40}|[0-9a-f]{64})$/.test(s);
}

/**
 * A release as a tag name: letters, digits and `. _ - + /`, starting with a letter or digit, and
 * none of what git itself forbids in a ref name ("..", "//", a trailing "." or "/", ".lock").
 */
export function checkRelease(value: unknown): string {
  const s = checkString('release', value);
  if (!/^[A-Za-z0-9]/.test(s)) throw new InvalidRefError('release', s, `it starts with ${JSON.stringify(s[0])}; a tag name starts with a letter or a digit`);
  if (!/^[A-Za-z0-9._+/-]+$/.test(s)) throw new InvalidRefError('release', s, `${describeFirstBad(s, /[A-Za-z0-9._+/-]/)} is not allowed in a tag name`);
  if (s.includes('..')) throw new InvalidRefError('release', s, 'it contains ".."');
  if (s.includes('//') || s.endsWith('/')) throw new InvalidRefError('release', s, 'it has an empty path component');
  if (s.endsWith('.') || s.endsWith('.lock') || s.split('/').some((part) => part.startsWith('.'))) {
    throw new InvalidRefError('release', s, 'git does not allow a name component to start with "." or end with "." or ".lock"');
  }
  return s;
}

/** The tag names a release may have: "1.4.0" is tagged v1.4.0 or 1.4.0, and either may be asked for. */
export function releaseTagCandidates(release: string): string[] {
  const other = /^v\d/.test(release) ? release.slice(1) : /^\d/.test(release) ? `v${release}` : undefined;
  return other === undefined ? [release] : [release, other];
}

/** A remote's name, as in `git remote -v`. */
export function checkRemoteName(value: unknown): string {
  const s = checkString('remote', value);
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(s) || s.includes('..') || s.endsWith('.lock')) {
    throw new InvalidRefError('remote', s, 'a remote name is letters, digits, ".", "_" and "-", starting with a letter or digit');
  }
  return s;
}

/** A file in the repository, relative to its root, with "/" separators; never "..", never absolute. */
export function checkRepoPath(value: unknown): string {
  const s = checkString('path', value, 4096).replace(/\\/g, '/');
  if (s.startsWith('/') || /^[A-Za-z]:/.test(s)) throw new InvalidRefError('path', s, 'it is absolute');
  const parts = s.split('/').filter((p) => p !== '' && p !== '.');
  if (parts.length === 0) throw new InvalidRefError('path', s, 'it names no file');
  if (parts.includes('..')) throw new InvalidRefError('path', s, 'it contains ".."');
  if (parts[0] === '.git' || parts[0]!.startsWith(':')) throw new InvalidRefError('path', s, 'it is not a file of the project');
  return parts.join('/');
}

function checkString(what: 'commit' | 'release' | 'remote' | 'path', value: unknown, max = MAX_REF_LENGTH): string {
  if (typeof value !== 'string') throw new InvalidRefError(what, String(value), `it is ${value === null ? 'null' : typeof value}, not text`);
  if (value.length === 0) throw new InvalidRefError(what, value, 'it is empty');
  if (value.length > max) throw new InvalidRefError(what, value, `it is ${value.length} characters long (at most ${max})`);
  // Checked before the allow lists so the reason names the real problem.
  if (value.startsWith('-')) throw new InvalidRefError(what, value, 'it starts with "-" and git would read it as an option');
  if (/[\u0000-\u001f\u007f]/.test(value)) throw new InvalidRefError(what, value, 'it contains a control character');
  if (what !== 'path' && /\s/.test(value)) throw new InvalidRefError(what, value, 'it contains white space');
  return value;
}

function describeFirstBad(s: string, good: RegExp): string {
  const bad = [...s].find((c) => !good.test(c)) ?? '';
  return JSON.stringify(bad);
}
