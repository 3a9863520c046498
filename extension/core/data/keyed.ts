// The keyed primitives every scrubbing strategy shares. Each output is a function of the
// per-project key and the original value only (not of the row or the column), so equal values
// scrub to equal outputs everywhere in the dump and joins on scrubbed columns still match.
// Domains ("mask", "fake:email", ...) keep the strategies' outputs independent of each other.
import * as crypto from 'node:crypto';
import { finish, midstate } from './sha256Midstate';

/**
 * sha256 as hex in one call: crypto.hash where the runtime has it (Node 20.12 and later), else a
 * Hash object. The one-shot skips creating a JavaScript object per digest, which is most of what
 * a fingerprint of a short value costs.
 */
const oneShot = (crypto as { hash?: (alg: string, data: string, enc: 'hex') => string }).hash;
const sha256Hex = (data: string): string => (oneShot ? oneShot('sha256', data, 'hex') : crypto.createHash('sha256').update(data).digest('hex'));

const BLOCK = 64;
/** Messages up to this many UTF-8 bytes are hashed from the midstates; longer ones by createHmac. */
const FAST_MAX_BYTES = 1024;

/**
 * HMAC-SHA256 (RFC 2104) from the states after the padded key's inner and outer blocks, made
 * once per key (sha256Midstate.ts): a short value then costs two compressions and no native
 * call but the UTF-8 encoding. The scrubber computes one digest per distinct scrubbed value,
 * so this is the larger part of what scrubbing a column of unique values costs. The output is
 * HMAC's to the bit (a unit test compares it with createHmac).
 */
class KeyedDigest {
  private readonly inner: Int32Array;
  private readonly outer: Int32Array;
  /** The message and its padding; the outer block. */
  private readonly scratch = Buffer.allocUnsafeSlow(FAST_MAX_BYTES + BLOCK + 8);
  private readonly outerBlock = Buffer.allocUnsafeSlow(BLOCK + 8);
  /** The domain whose bytes (and NUL) start the scratch, and their length: written again
   *  only when the domain changes. */
  private domain: string | undefined;
  private domainBytes = 0;

  constructor(private readonly key: Buffer) {
    const k = Buffer.alloc(BLOCK);
    (key.length > BLOCK ? crypto.createHash('sha256').update(key).digest() : key).copy(k);
    const pad = Buffer.alloc(BLOCK);
    for (let i = 0; i < BLOCK; i++) pad[i] = k[i]! ^ 0x36;
    this.inner = midstate(pad);
    for (let i = 0; i < BLOCK; i++) pad[i] = k[i]! ^ 0x5c;
    this.outer = midstate(pad);
  }

  /** The digest into out[0, 32): a new Buffer, or a caller's scratch that is read at once. */
  digest(domain: string, value: string, out: Buffer = Buffer.allocUnsafe(32)): Buffer {
    // UTF-8 takes at most 3 bytes per UTF-16 unit (a surrogate pair: 4 bytes for 2 units).
    if ((domain.length + 1 + value.length) * 3 > FAST_MAX_BYTES) {
      crypto.createHmac('sha256', this.key).update(`${domain}\0`).update(value).digest().copy(out);
      return out;
    }
    const m = this.scratch;
    // Padding is written after the message, so the domain's bytes stay in place between calls.
    if (domain !== this.domain) {
      this.domainBytes = m.write(domain, 0, 'utf8');
      m[this.domainBytes] = 0;
      this.domain = domain;
    }
    const n = this.domainBytes + 1 + m.write(value, this.domainBytes + 1, 'utf8');
    finish(this.inner, BLOCK, m, n, this.outerBlock, 0);
    finish(this.outer, BLOCK, this.outerBlock, 32, out, 0);
    return out;
  }
}

const digests = new WeakMap<Buffer, KeyedDigest>();

/** HMAC-SHA256(key, domain NUL value). Domains never contain NUL, so the input is unambiguous. */
export function keyedDigest(key: Buffer, domain: string, value: string): Buffer {
  return digester(key).digest(domain, value);
}

function digester(key: Buffer): KeyedDigest {
  let d = digests.get(key);
  if (!d) digests.set(key, (d = new KeyedDigest(key)));
  return d;
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
  return sha256Hex(prefix + value);
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
  // The seed is read by the constructor: one scratch serves every stream (no Buffer per value).
  return new KeyStream(digester(key).digest(domain, value, seedScratch));
}
const seedScratch = Buffer.allocUnsafeSlow(32);

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
