// Stack frames from production -> files of the repository at the incident's commit. A frame's
// path is where the build put the file (/app/src/x.ts, /var/task/handler.js,
// webpack:///./src/x.ts, C:\build\repo\src\x.cs); the repository only knows "src/x.ts". The
// mapping is by path endings and never guesses between two candidates: a frame that could be
// either of two files stays unmapped and says which. The result is always one of the given
// repository files, so a hostile frame path cannot point anywhere else.
import type { StackFrame } from './model';

export interface MappedFrame {
  frame: StackFrame;
  /** The repository file (as given in repoFiles), when the frame maps to exactly one. */
  file?: string;
  /** Why there is no file; for an approximate mapping (built file -> source), the caveat. */
  reason?: string;
}

/**
 * Folders builds and images put an app in, stripped from absolute paths before an exact
 * lookup ('*' is any one folder: /home/<user>/<repo>/, /Users/<user>/<repo>/). Paths under
 * other folders are found by their ending.
 */
const KNOWN_PREFIXES: readonly (readonly string[])[] = [
  ['usr', 'src', 'app'], ['app'], ['srv', 'app'], ['srv'], ['var', 'task'], ['var', 'www', 'html'], ['var', 'www'],
  ['workspace'], ['workspaces', '*'], ['opt', 'app'], ['code'], ['home', '*', '*'], ['Users', '*', '*'],
];

/** Build output folders: without a source map, the same path under src/ is tried. */
const BUILD_DIRS = new Set(['dist', 'build', 'out']);
/** Installed dependencies, never the repository's own code. */
const DEPENDENCY_DIRS = new Set(['node_modules', 'site-packages', 'dist-packages', 'bower_components', 'jspm_packages']);

/** Source extensions a built file may come from, most likely first. */
const SOURCE_EXTENSIONS: Record<string, string[]> = {
  '.js': ['.ts', '.tsx', '.js', '.jsx'],
  '.jsx': ['.tsx', '.jsx'],
  '.mjs': ['.mts', '.mjs', '.ts'],
  '.cjs': ['.cts', '.cjs', '.ts'],
};

interface Normalised { segments: string[]; absolute: boolean }

/** A frame's path as segments, or why it is not a file of any repository. */
export function normaliseFramePath(file: string): Normalised | { reason: string } {
  let s = file.trim();
  if (/^node:|^internal\//.test(s)) return { reason: 'a Node.js built-in module' };
  if (/^<[^>]*>$|^\[[^\]]*\]$|^native$/.test(s) || s === 'debugger eval code') return { reason: `no source file (${s})` };
  let absolute = false;
  let hadScheme = false;
  const scheme = /^([A-Za-z][A-Za-z0-9+.-]*):\/\/([^/]*)/.exec(s);
  if (scheme && scheme[1]!.length > 1) {
    const name = scheme[1]!.toLowerCase();
    // webpack:///./src/x, webpack://app-name/./src/x, app:///src/x: paths relative to the
    // project; file:///home/x, https://host/static/x: absolute.
    s = s.slice(scheme[0].length);
    hadScheme = true;
    absolute = !(name === 'webpack' || name === 'webpack-internal' || name === 'app');
  }
  s = s.replace(/[?#].*$/, '').replace(/\\/g, '/');
  const drive = /^\/?[A-Za-z]:\//.exec(s);
  if (drive) { s = s.slice(drive[0].length); absolute = true; }
  if (s.startsWith('~/')) { s = s.slice(2); absolute = true; }
  if (!hadScheme && s.startsWith('/')) absolute = true;
  const segments: string[] = [];
  for (const seg of s.split('/')) {
    if (seg === '' || seg === '.') continue;
    if (seg === '..') { segments.pop(); continue; }
    segments.push(seg);
  }
  if (!segments.length) return { reason: `no file name in ${JSON.stringify(file)}` };
  return { segments, absolute };
}

class RepoIndex {
  readonly byPath = new Map<string, string>();
  readonly byBase = new Map<string, { segments: string[]; original: string }[]>();

  constructor(repoFiles: readonly string[]) {
    for (const original of repoFiles) {
      if (typeof original !== 'string') continue;
      const segments = original.replace(/\\/g, '/').split('/').filter((x) => x !== '' && x !== '.');
      if (!segments.length) continue;
      const key = segments.join('/');
      if (this.byPath.has(key)) continue;
      this.byPath.set(key, original);
      const base = segments[segments.length - 1]!;
      const list = this.byBase.get(base) ?? [];
      list.push({ segments, original });
      this.byBase.set(base, list);
    }
  }

  /**
   * The files sharing the longest ending with `segments` (at least the file name), with the
   * length of that ending.
   */
  longestSuffix(segments: readonly string[]): { files: string[]; length: number } {
    const candidates = this.byBase.get(segments[segments.length - 1]!) ?? [];
    let best = 0;
    let files: string[] = [];
    for (const c of candidates) {
      let k = 0;
      while (k < c.segments.length && k < segments.length && c.segments[c.segments.length - 1 - k] === segments[segments.length - 1 - k]) k++;
      if (k > best) { best = k; files = [c.original]; } else if (k === best && k > 0) files.push(c.original);
    }
    return { files, length: best };
  }
}

const list = (files: readonly string[]): string => (files.length > 4 ? `${files.slice(0, 4).join(', ')} and ${files.length - 4} more` : files.join(', '));

function stripKnownPrefixes(segments: readonly string[]): string[][] {
  const out: string[][] = [];
  for (const prefix of KNOWN_PREFIXES) {
    if (segments.length <= prefix.length) continue;
    if (prefix.every((p, i) => p === '*' || p === segments[i])) out.push(segments.slice(prefix.length));
  }
  return out;
}

function mapOne(frame: StackFrame, index: RepoIndex): MappedFrame {
  if (frame.inApp === false) return { frame, reason: 'not application code (the alert marks the frame as a library frame)' };
  if (typeof frame.file !== 'string') return { frame, reason: 'the frame has no file' };
  const n = normaliseFramePath(frame.file);
  if ('reason' in n) {
    // "internal/..." is also a folder of many repositories (Go's internal packages): a path that
    // is exactly a repository file is that file, not a Node.js built-in.
    const own = frame.file.startsWith('internal/') ? index.byPath.get(frame.file) : undefined;
    return own ? { frame, file: own } : { frame, reason: n.reason };
  }
  const dep = n.segments.find((s) => DEPENDENCY_DIRS.has(s));
  if (dep) return { frame, reason: `in ${dep} (an installed dependency, not the repository's code)` };

  // 1. The path itself (relative paths), or the path under a known app folder.
  const exact = [n.segments, ...(n.absolute ? stripKnownPrefixes(n.segments) : [])];
  for (const segs of exact) {
    const hit = index.byPath.get(segs.join('/'));
    if (hit) return { frame, file: hit };
  }

  // 2. A built file (dist/, build/, out/) without a source map: the same path under src/, if
  //    exactly one file fits. Before the ending match, which would otherwise settle for a
  //    same-named file elsewhere.
  const buildAt = n.segments.map((s, i) => (BUILD_DIRS.has(s) ? i : -1)).filter((i) => i >= 0).pop();
  let sourceAmbiguity: string | undefined;
  if (buildAt !== undefined && buildAt < n.segments.length - 1) {
    const before = n.segments.slice(0, buildAt);
    const rest = n.segments.slice(buildAt + 1);
    const name = rest[rest.length - 1]!;
    const dot = name.lastIndexOf('.');
    const ext = dot > 0 ? name.slice(dot) : '';
    const variants = SOURCE_EXTENSIONS[ext] ?? [ext];
    const stem = dot > 0 ? name.slice(0, dot) : name;
    // Exactly under src/ where the build folder was, also after a known app folder such as
    // /app/ ('_' stands in for the rest so that a prefix may take all of `before`).
    const bases = [before, ...(n.absolute ? stripKnownPrefixes([...before, '_']).map((b) => b.slice(0, -1)) : [])];
    const exactHits = new Set<string>();
    for (const b of bases) {
      for (const v of variants) {
        const hit = index.byPath.get([...b, 'src', ...rest.slice(0, -1), `${stem}${v}`].join('/'));
        if (hit) exactHits.add(hit);
      }
    }
    if (exactHits.size === 1) {
      const file = [...exactHits][0]!;
      return { frame, file, reason: `no source map: the built file ${frame.file} is taken as ${file}; its line numbers may not match the source` };
    }
    const found = new Map<string, number>();
    for (const v of variants) {
      const candidate = [...before, 'src', ...rest.slice(0, -1), `${stem}${v}`];
      const r = index.longestSuffix(candidate);
      // The ending must reach into src/ at least: "src/<rest>".
      if (r.length < rest.length + 1) continue;
      for (const f of r.files) found.set(f, Math.max(found.get(f) ?? 0, r.length));
    }
    if (found.size) {
      const top = Math.max(...found.values());
      const best = [...found].filter(([, k]) => k === top).map(([f]) => f);
      if (best.length === 1) {
        return { frame, file: best[0]!, reason: `no source map: the built file ${frame.file} is taken as ${best[0]}; its line numbers may not match the source` };
      }
      sourceAmbiguity = `the built file could be any of ${list(best)} under src/`;
    }
  }

  // 3. The longest ending shared with exactly one repository file.
  const r = index.longestSuffix(n.segments);
  if (r.files.length === 1 && !sourceAmbiguity) return { frame, file: r.files[0]! };
  if (sourceAmbiguity) return { frame, reason: `ambiguous: ${sourceAmbiguity}` };
  if (r.files.length > 1) {
    const ending = n.segments.slice(n.segments.length - r.length).join('/');
    return { frame, reason: `ambiguous: "${ending}" ends ${r.files.length} repository files (${list(r.files)}); none is chosen` };
  }
  return { frame, reason: `no repository file ends with ${n.segments[n.segments.length - 1]}` };
}

/**
 * Each frame with the repository file it is in, or the reason it has none (library code,
 * a dependency, a built-in, no match, more than one match). repoFiles are repository-relative
 * paths with forward slashes (git ls-files).
 */
export function mapFrames(frames: readonly StackFrame[], repoFiles: readonly string[]): MappedFrame[] {
  const index = new RepoIndex(repoFiles);
  return frames.map((frame) => mapOne(frame, index));
}
