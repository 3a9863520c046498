// The keyed primitives every scrubbing strategy shares. Each output is a function of the
// per-project key and the original value only (not of the row or the column), so equal values
// scrub to equal outputs everywhere in the dump and joins on scrubbed columns still match.
// Domains ("mask", "fake:email", ...) keep the strategies' outputs independent of each other.
import { createHmac, createSecretKey, hash, type KeyObject } from 'node:crypto';

/** The key as a KeyObject, made once per key buffer: createHmac then skips importing the raw key. */
const keyObjects = new WeakMap<Buffer, KeyObject>();

/** HMAC-SHA256(key, domain NUL value). Domains never contain NUL, so the input is unambiguous. */
export function keyedDigest(key: Buffer, domain: string, value: string): Buffer {
  let k = keyObjects.get(key);
  if (!k) keyObjects.set(key, (k = createSecretKey(key)));
  return createHmac('sha256', k).update(`${domain}\0`).update(value).digest();
}

/**
 * The fingerprint of an original value: what the scrubber records (never the value) so that a
 * later check can prove no original value of a scrubbed column made it into the clone.
 */
export function fingerprint(key: Buffer, value: string): string {
  // sha256 of a secret prefix (an HMAC of the key, fixed length) and the value: keyed like an
  // HMAC for this use (set membership; the digest is never a value to forge), and a one-shot
  // hash, about 4x cheaper than createHmac per value. The check fingerprints every value of
  // the clone's scrubbed columns, so this is most of what it costs.
  let prefix = fingerprintPrefixes.get(key);
  if (prefix === undefined) fingerprintPrefixes.set(key, (prefix = `${keyedDigest(key, 'fingerprint', '').toString('hex')}\0`));
  return hash('sha256', prefix + value, 'hex');
}
const fingerprintPrefixes = new WeakMap<Buffer, string>();

/**
 * A deterministic stream of choices seeded by a keyed digest. The seed is secret (an HMAC
 * output), so a fast non-cryptographic generator (sfc32) is enough to spread it over a long
 * value: what a strategy outputs never depends on the original characters themselves, only on
 * their class, so recovering the generator's state reveals nothing but the seed, which only
 * the key can relate to a value.
 */
export class KeyStream {
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  constructor(seed: Buffer) {
    this.a = seed.readUInt32LE(0);
    this.b = seed.readUInt32LE(4);
    this.c = seed.readUInt32LE(8);
    this.d = seed.readUInt32LE(12);
    for (let i = 0; i < 12; i++) this.next(); // mix the seed in
  }

  /** The next 32 random bits, unsigned. */
  next(): number {
    const t = (((this.a + this.b) | 0) + this.d) | 0;
    this.d = (this.d + 1) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.c = (this.c + t) | 0;
    return t >>> 0;
  }

  /** An integer in [0, n) for n up to 2^21 (multiply-shift: exact in a double). */
  below(n: number): number {
    return Math.floor((this.next() * n) / 4294967296);
  }

  /** Picks one element. */
  pick<T>(items: readonly T[]): T {
    return items[this.below(items.length)]!;
  }
}

export function keyStream(key: Buffer, domain: string, value: string): KeyStream {
  return new KeyStream(keyedDigest(key, domain, value));
}

/**
 * `fn` (a pure function of its argument, such as a keyed digest) with a bounded memo of recent
 * arguments up to `maxLength` characters: two generations of `entries` (a hit in the old one
 * moves to the new), so at most 2 x `entries` are held. For values that repeat, as real data's do.
 */
export function memoized(fn: (s: string) => string, entries = 4096, maxLength = 256): (s: string) => string {
  let current = new Map<string, string>();
  let previous = new Map<string, string>();
  return (s) => {
    if (s.length > maxLength) return fn(s);
    let r = current.get(s);
    if (r !== undefined) return r;
    r = previous.get(s) ?? fn(s);
    if (current.size >= entries) {
      previous = current;
      current = new Map();
    }
    current.set(s, r);
    return r;
  };
}
