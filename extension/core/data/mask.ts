// Shape-preserving masking: every letter and digit is replaced, everything else is kept, so the
// clone's text has the production text's shape without its content. The planted incidents this
// tool exists for live in that shape (a name whose graphemes take several UTF-16 code units, a
// byte-length limit, a right-to-left script), so the mask keeps, exactly:
//   - the length in UTF-16 code units, in code points and in UTF-8 bytes;
//   - every space, punctuation mark, symbol, emoji, combining mark, ZWJ, variation selector,
//     control character and modifier letter (Lm), untouched;
//   - for each letter: its script, its case (general category Lu/Ll/Lt/Lo) and whether it is
//     precomposed (é stays a single precomposed letter, the e of "e\u0301" stays a bare letter
//     before its kept combining mark), and how it joins graphemes (Hangul L/V/T jamo and LV/LVT
//     syllables, Indic consonants that form conjuncts, spacing vowels);
//   - for each digit: a digit of the same digit set.
// Letters are drawn from curated pools for Latin (ASCII, accented Latin, Latin Extended
// Additional), Greek, Cyrillic, basic Hebrew and Arabic, Hiragana and Katakana. For letters of
// every other script (CJK, Hangul, Indic, Thai, Ethiopic...) we chose to keep the character
// class rather than name scripts one by one: the replacement is a letter of the same 128-code-
// point block (1024 if the block has no other such letter) with the same category and
// grapheme behaviour. Blocks are script-homogeneous in practice, and an aligned block keeps the
// UTF-16 and UTF-8 lengths by construction. A replacement never equals the original character
// (when its pool has another member), so a masked value with a letter or a digit never equals
// the original.
// Deterministic under the key: the choices come from HMAC(key, value), so equal values mask
// equally in every column and table (joins on masked columns still match), and nothing about
// the output depends on the original letters beyond their class.
import { keyStream, type KeyStream } from './keyed';

type Pool = Uint32Array;

/** Ranges with their own pools, checked in order; other code points use their Unicode block. */
const SCOPES: readonly (readonly [number, number][])[] = [
  [[0x30, 0x39]], // ASCII digits
  [[0x41, 0x5a], [0x61, 0x7a]], // ASCII letters
  [[0xc0, 0x24f]], // Latin-1 Supplement, Latin Extended-A and -B letters (2 bytes in UTF-8)
  [[0x1e00, 0x1eff]], // Latin Extended Additional (Vietnamese and others)
  [[0x391, 0x3a9], [0x3b1, 0x3c9]], // basic Greek
  [[0x370, 0x3ff]], // the rest of Greek and Coptic
  [[0x1f00, 0x1fff]], // polytonic Greek
  [[0x410, 0x44f]], // basic Cyrillic
  [[0x400, 0x52f]], // the rest of Cyrillic and its supplement
  [[0x5d0, 0x5ea]], // Hebrew letters (not the Yiddish ligatures)
  [[0x621, 0x64a]], // basic Arabic letters
  [[0x3041, 0x3096]], // Hiragana (its 128-block would mix in Katakana)
  [[0x30a1, 0x30fa]], // Katakana
];

/** Indic viramas that join consonants into one grapheme (Unicode 15.1 conjunct rule). */
const LINKERS = [0x094d, 0x09cd, 0x0acd, 0x0b4d, 0x0c4d, 0x0d4d];

const CATEGORIES: readonly [string, RegExp][] = [
  ['Lu', /^\p{Lu}$/u], ['Ll', /^\p{Ll}$/u], ['Lt', /^\p{Lt}$/u], ['Lo', /^\p{Lo}$/u], ['Nd', /^\p{Nd}$/u],
];

let segmenter: Intl.Segmenter | undefined;

/**
 * How many graphemes each string makes, in one segmentation of them all joined by "\n": a
 * line feed is always a grapheme of its own (UAX #29 GB4 and GB5), so the joined text breaks
 * exactly as each string does alone, and a pool's first use, which asks this of every letter
 * of its scope, makes one call into the segmenter instead of one per letter (most of the
 * pool's cost when they were made one by one).
 */
function graphemeCounts(strings: readonly string[]): number[] {
  segmenter ??= new Intl.Segmenter('en', { granularity: 'grapheme' });
  const text = strings.join('\n');
  const segments = segmenter.segment(text);
  const counts = new Array<number>(strings.length).fill(0);
  let line = 0;
  // Hopping from segment to segment costs half of iterating them (measured).
  for (let i = 0; i < text.length;) {
    const at = segments.containing(i)!;
    if (at.segment === '\n') line++;
    else counts[line]!++;
    i = at.index + at.segment.length;
  }
  return counts;
}

function category(cp: number): string | undefined {
  const c = String.fromCodePoint(cp);
  for (const [name, re] of CATEGORIES) if (re.test(c)) return name;
  return undefined;
}

/**
 * What a replacement must share with the original beyond the scope, for each code point (all
 * of category `cat`): category, normalization, and how it joins graphemes: standalone or
 * extending/prepending, joining a following Hangul V or T, a preceding Hangul L, and (Indic
 * consonants) forming a conjunct through its script's virama.
 */
function signatures(cps: readonly number[], cat: string): string[] {
  const chars = cps.map((cp) => String.fromCodePoint(cp));
  const linkers = cps.map((cp) => LINKERS.find((l) => (l & ~0x7f) === (cp & ~0x7f)));
  const standalone = graphemeCounts(chars.map((c) => `a${c}a`));
  // Not only Hangul jamo join Hangul jamo: Unicode 16 gave Kirat Rai's vowel signs (Lo) the
  // V break class. So every letter is segmented, not just the Hangul ranges.
  const beforeV = graphemeCounts(chars.map((c) => `${c}\u1161`));
  const beforeT = graphemeCounts(chars.map((c) => `${c}\u11a8`));
  const afterL = graphemeCounts(chars.map((c) => `\u1100${c}`));
  const conjunct = graphemeCounts(chars.map((c, i) => (linkers[i] === undefined ? '' : `${c}${String.fromCodePoint(linkers[i]!)}${c}`)));
  return chars.map((c, i) => [
    cat,
    c.normalize('NFD') !== c ? 'd' : '-', // precomposed
    c.normalize('NFC') !== c ? 'c' : '-',
    c.normalize('NFKC') !== c ? 'k' : '-', // compatibility letters (ª º ĳ ſ)
    standalone[i],
    beforeV[i],
    beforeT[i],
    afterL[i],
    linkers[i] === undefined ? '' : conjunct[i],
  ].join(''));
}

const poolByCodePoint = new Map<number, Pool | null>();
const poolBySignature = new Map<string, Pool>();

function buildPool(ranges: readonly (readonly [number, number])[], cat: string, sig: string): Pool {
  const id = `${ranges.map(([a, b]) => `${a}-${b}`).join(',')}|${sig}`;
  let pool = poolBySignature.get(id);
  if (!pool) {
    const candidates: number[] = [];
    for (const [from, to] of ranges) {
      for (let cp = from; cp <= to; cp++) if (category(cp) === cat) candidates.push(cp);
    }
    const sigs = signatures(candidates, cat);
    pool = Uint32Array.from(candidates.filter((_, i) => sigs[i] === sig));
    poolBySignature.set(id, pool);
  }
  return pool;
}

/** The replacement pool of a code point, or null when the character is kept as it is. */
function poolOf(cp: number): Pool | null {
  const cached = poolByCodePoint.get(cp);
  if (cached !== undefined) return cached;
  let pool: Pool | null = null;
  const cat = category(cp);
  if (cat) {
    const sig = signatures([cp], cat)[0]!;
    // The first scope holding another such letter: a curated range, then the code point's
    // 128-block, then its 1024-block (still the same UTF-8 length: the 2- and 3-byte
    // boundaries are multiples of 1024). Й, the only precomposed capital of basic Cyrillic,
    // so draws from all of Cyrillic.
    const scopes = [...SCOPES.filter((ranges) => ranges.some(([a, b]) => cp >= a && cp <= b)), [[cp & ~0x7f, cp | 0x7f]] as const, [[cp & ~0x3ff, cp | 0x3ff]] as const];
    for (const scope of scopes) {
      pool = buildPool(scope, cat, sig);
      if (pool.length >= 2) break;
    }
  }
  poolByCodePoint.set(cp, pool);
  return pool;
}

/**
 * The pools worked out so far, by code point: a scrub lane starts with the scrubber's (a
 * pool is a pure function of its code point, and working one out takes milliseconds).
 */
export type MaskPools = [number, Pool | null][];

export function maskPools(): MaskPools {
  return [...poolByCodePoint];
}

export function adoptMaskPools(pools: MaskPools): void {
  for (const [cp, pool] of pools) poolByCodePoint.set(cp, pool);
}

function indexIn(pool: Pool, cp: number): number {
  let lo = 0;
  let hi = pool.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const v = pool[mid]!;
    if (v === cp) return mid;
    if (v < cp) lo = mid + 1;
    else hi = mid - 1;
  }
  return -1;
}

/** Another member of the pool than `cp` (or a random one if `cp` is not in it). */
function replace(pool: Pool, cp: number, rng: KeyStream): number {
  const n = pool.length;
  if (n === 1) return pool[0]!;
  const at = indexIn(pool, cp);
  return at < 0 ? pool[rng.below(n)]! : pool[(at + 1 + rng.below(n - 1)) % n]!;
}

/**
 * The masked value's UTF-16 code units, reused by every call (the mask keeps the length in
 * code units, so it is as long as the value): one string is made at the end, where adding
 * a piece per replaced character made two or three strings for each.
 */
const units = new Uint16Array(4096);

/** The string of a[0, n): in slices, since a call takes a bounded number of arguments. */
function fromUnits(a: Uint16Array, n: number): string {
  const SLICE = 8192;
  if (n <= SLICE) return String.fromCharCode.apply(null, a.subarray(0, n) as unknown as number[]);
  let s = '';
  for (let i = 0; i < n; i += SLICE) s += String.fromCharCode.apply(null, a.subarray(i, Math.min(n, i + SLICE)) as unknown as number[]);
  return s;
}

function maskWith(rng: KeyStream, value: string, letters: boolean): string {
  const len = value.length;
  // A longer value (rare) gets an array of its own, so the shared one stays small.
  const out = len <= units.length ? units : new Uint16Array(len);
  let changed = false;
  for (let i = 0; i < len; i++) {
    const u = value.charCodeAt(i);
    out[i] = u;
    if (u < 0x80) {
      // ASCII fast path: digits always, letters when asked.
      if (u >= 0x30 && u <= 0x39) out[i] = 0x30 + ((u - 0x30 + 1 + rng.below(9)) % 10);
      else if (letters && u >= 0x61 && u <= 0x7a) out[i] = 0x61 + ((u - 0x61 + 1 + rng.below(25)) % 26);
      else if (letters && u >= 0x41 && u <= 0x5a) out[i] = 0x41 + ((u - 0x41 + 1 + rng.below(25)) % 26);
      else continue;
      changed = true;
      continue;
    }
    let cp = u;
    let width = 1;
    if (u >= 0xd800 && u <= 0xdbff && i + 1 < len) {
      const low = value.charCodeAt(i + 1);
      if (low >= 0xdc00 && low <= 0xdfff) {
        cp = ((u - 0xd800) << 10) + (low - 0xdc00) + 0x10000;
        width = 2;
        out[i + 1] = low;
      }
    }
    const pool = poolOf(cp);
    if (pool && (letters || isDigitPool(pool))) {
      // Pools never cross the BMP's edge: a replacement takes as many code units as the original.
      const r = replace(pool, cp, rng);
      if (width === 1) out[i] = r;
      else {
        out[i] = 0xd800 + ((r - 0x10000) >> 10);
        out[i + 1] = 0xdc00 + ((r - 0x10000) & 0x3ff);
      }
      changed = true;
    }
    i += width - 1;
  }
  // fromCharCode keeps code units as they are (a decoder would replace a lone surrogate).
  return changed ? fromUnits(out, len) : value;
}

const digitPools = new WeakMap<Pool, boolean>();
function isDigitPool(pool: Pool): boolean {
  let d = digitPools.get(pool);
  if (d === undefined) {
    d = pool.length > 0 && category(pool[0]!) === 'Nd';
    digitPools.set(pool, d);
  }
  return d;
}

/** Masks letters and digits of `value`; see the header for what is kept. */
export function maskText(key: Buffer, value: string): string {
  return maskWith(keyStream(key, 'mask', value), value, true);
}

/**
 * Masks digits only (numeric columns, phone numbers): signs, decimal points, letters and
 * formatting stay. A digits-only value masks the same as with maskText, under the same domain.
 */
export function maskDigits(key: Buffer, value: string, domain = 'mask'): string {
  return maskWith(keyStream(key, domain, value), value, false);
}

/** NULL stays NULL. */
export function mask(key: Buffer, value: string | null): string | null {
  return value === null ? null : maskText(key, value);
}
