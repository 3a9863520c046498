// One stack frame from outside, checked: a file path with no control characters (it is shown
// and matched, never opened or run, so '$' or '(' stay: Next.js and Remix put them in real
// file names), whole positive line and column numbers, a bounded function name.
import { LIMITS, type StackFrame } from './model';
import { cleanText, hasControlChars, quote } from './values';

const MAX_LINE = 10_000_000;

export interface RawFrame {
  file: unknown;
  line: unknown;
  column?: unknown;
  function?: unknown;
  inApp?: unknown;
}

const isAbsoluteLike = (f: string): boolean => f.startsWith('/') || f.startsWith('~/') || /^[A-Za-z]:[\\/]/.test(f) || /^[A-Za-z][A-Za-z0-9+.-]*:\/\//.test(f) || f.startsWith('\\\\');

/**
 * What is wrong with a frame's file, or undefined. A relative path may not climb out with '..'
 * (it would be read against the repository); absolute paths and URLs come from the build
 * machine and are only matched by their ending (frames.ts), so they are taken as they are.
 */
export function frameFileProblem(file: string, strictDotDot: boolean): string | undefined {
  if (!file) return 'is empty';
  if (file.length > LIMITS.frameFileChars) return `is ${file.length} characters long; at most ${LIMITS.frameFileChars}`;
  if (hasControlChars(file)) return `${quote(file)} has a NUL or another control character`;
  if (strictDotDot && !isAbsoluteLike(file) && file.split(/[\\/]/).includes('..')) return `${quote(file)} is a relative path with a ".." segment`;
  return undefined;
}

/** A frame, or the reason it is unusable (for the caller to warn or fail with). */
export function checkFrame(raw: RawFrame, strictDotDot: boolean): { frame: StackFrame } | { problem: string } {
  if (typeof raw.file !== 'string') return { problem: 'has no file' };
  const fileProblem = frameFileProblem(raw.file, strictDotDot);
  if (fileProblem) return { problem: `file ${fileProblem}` };
  const line = typeof raw.line === 'string' && /^\d+$/.test(raw.line) ? Number(raw.line) : raw.line;
  if (typeof line !== 'number' || !Number.isInteger(line) || line < 1 || line > MAX_LINE) return { problem: `line ${raw.line === undefined || raw.line === null ? 'is missing' : `${quote(String(raw.line))} is not a line number (a whole number from 1)`}` };
  const frame: StackFrame = { file: raw.file, line };
  if (raw.column !== undefined && raw.column !== null) {
    const col = typeof raw.column === 'string' && /^\d+$/.test(raw.column) ? Number(raw.column) : raw.column;
    if (typeof col !== 'number' || !Number.isInteger(col) || col < 0 || col > MAX_LINE) return { problem: `column ${quote(String(raw.column))} is not a column number` };
    if (col > 0) frame.column = col;
  }
  if (raw.function !== undefined && raw.function !== null) {
    const fn = cleanText(raw.function, LIMITS.functionChars);
    if (fn) frame.function = fn;
  }
  if (typeof raw.inApp === 'boolean') frame.inApp = raw.inApp;
  return { frame };
}
