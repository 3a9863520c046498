// Just enough of PostgreSQL's lexer to know, line by line, where a statement ends and whether a
// line starts a new one: a "COPY" or "INSERT INTO" inside a string literal, a dollar-quoted
// function body or a comment must not be taken for the real thing. Works on bytes: every
// character it looks for is ASCII, and UTF-8 continuation bytes are all >= 0x80.

export const TOP = 0;
export const QUOTE = 1; // '...' with standard_conforming_strings on: only '' escapes
export const ESCAPE_QUOTE = 2; // E'...' (or '...' with standard_conforming_strings off): backslashes escape
export const IDENT = 3; // "..."
export const DOLLAR = 4; // $tag$ ... $tag$
export const COMMENT = 5; // /* ... */, nested

export interface LexState {
  mode: number;
  /** The dollar-quote delimiter while in DOLLAR mode, e.g. "$body$". */
  tag: Buffer | null;
  /** Nesting depth while in COMMENT mode. */
  depth: number;
  /** SET standard_conforming_strings: when off, backslashes escape in every '...'. */
  stdStrings: boolean;
  /** Nothing but blanks and comments since the last top-level ';'. */
  atStart: boolean;
  /** The line where the current string, identifier or comment opened (for "cut off" errors). */
  openedAt: number;
}

export function newLexState(): LexState {
  return { mode: TOP, tag: null, depth: 0, stdStrings: true, atStart: true, openedAt: 0 };
}

export function describeMode(mode: number): string {
  return ['statement', 'string literal', 'string literal', 'quoted identifier', 'dollar-quoted string', 'comment'][mode] ?? 'statement';
}

const isIdentByte = (c: number | undefined) =>
  c !== undefined && ((c >= 0x61 && c <= 0x7a) || (c >= 0x41 && c <= 0x5a) || (c >= 0x30 && c <= 0x39) || c === 0x5f || c === 0x24 || c >= 0x80);
const isBlank = (c: number) => c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d || c === 0x0c || c === 0x0b;

/**
 * Advances the state over buf[from, to), which lies within one line. Returns the offset just
 * past the first top-level ';' (the rest of the line is left for the next call), or -1.
 */
export function lexLine(st: LexState, buf: Buffer, from: number, to: number, line: number): number {
  let i = from;
  while (i < to) {
    switch (st.mode) {
      case TOP: {
        const c = buf[i]!;
        if (c === 0x3b) {
          st.atStart = true;
          return i + 1;
        }
        if (isBlank(c)) {
          i++;
          continue;
        }
        if (c === 0x2d && buf[i + 1] === 0x2d && i + 1 < to) return -1; // -- to the end of the line
        if (c === 0x2f && buf[i + 1] === 0x2a && i + 1 < to) {
          st.mode = COMMENT;
          st.depth = 1;
          st.openedAt = line;
          i += 2;
          continue;
        }
        st.atStart = false;
        if (c === 0x27) {
          const p = buf[i - 1];
          const escapePrefix = i > from && (p === 0x45 || p === 0x65) && !isIdentByte(i - 1 > from ? buf[i - 2] : undefined);
          st.mode = escapePrefix || !st.stdStrings ? ESCAPE_QUOTE : QUOTE;
          st.openedAt = line;
        } else if (c === 0x22) {
          st.mode = IDENT;
          st.openedAt = line;
        } else if (c === 0x24 && !(i > from && isIdentByte(buf[i - 1]))) {
          // $tag$, the tag empty or an identifier not starting with a digit ($1 is a parameter)
          const first = buf[i + 1];
          if (i + 1 < to && first !== undefined && (first === 0x24 || (isIdentByte(first) && !(first >= 0x30 && first <= 0x39)))) {
            let j = i + 1;
            while (j < to && buf[j] !== 0x24 && isIdentByte(buf[j])) j++;
            if (j < to && buf[j] === 0x24) {
              st.mode = DOLLAR;
              st.tag = Buffer.from(buf.subarray(i, j + 1));
              st.openedAt = line;
              i = j + 1;
              continue;
            }
          }
        }
        i++;
        continue;
      }
      case QUOTE: {
        const q = indexWithin(buf, 0x27, i, to);
        if (q < 0) return -1;
        if (buf[q + 1] === 0x27 && q + 1 < to) i = q + 2;
        else {
          st.mode = TOP;
          i = q + 1;
        }
        continue;
      }
      case ESCAPE_QUOTE: {
        const c = buf[i]!;
        if (c === 0x5c) i += 2;
        else if (c === 0x27) {
          if (buf[i + 1] === 0x27 && i + 1 < to) i += 2;
          else {
            st.mode = TOP;
            i++;
          }
        } else i++;
        continue;
      }
      case IDENT: {
        const q = indexWithin(buf, 0x22, i, to);
        if (q < 0) return -1;
        if (buf[q + 1] === 0x22 && q + 1 < to) i = q + 2;
        else {
          st.mode = TOP;
          i = q + 1;
        }
        continue;
      }
      case DOLLAR: {
        const tag = st.tag!;
        const d = indexWithin(buf, tag, i, to);
        if (d < 0) return -1;
        st.mode = TOP;
        st.tag = null;
        i = d + tag.length;
        continue;
      }
      case COMMENT: {
        const c = buf[i]!;
        if (c === 0x2a && buf[i + 1] === 0x2f && i + 1 < to) {
          i += 2;
          if (--st.depth === 0) st.mode = TOP;
        } else if (c === 0x2f && buf[i + 1] === 0x2a && i + 1 < to) {
          i += 2;
          st.depth++;
        } else i++;
        continue;
      }
      default:
        throw new Error(`lexer: unknown mode ${st.mode}`);
    }
  }
  return -1;
}

/** indexOf bounded to buf[from, to): never scans past the line. */
function indexWithin(buf: Buffer, what: number | Buffer, from: number, to: number): number {
  const at = buf.subarray(from, to).indexOf(what);
  return at < 0 ? -1 : from + at;
}

/** Index of the first non-blank byte in buf[from, to), or `to`. */
export function skipBlanks(buf: Buffer, from: number, to: number): number {
  let i = from;
  while (i < to && isBlank(buf[i]!)) i++;
  return i;
}
