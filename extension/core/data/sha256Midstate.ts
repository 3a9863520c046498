// SHA-256 (FIPS 180-4) that can resume from a saved state: HMAC with a fixed key hashes the
// same first block (the padded key) for every message, so that block is compressed once per
// key and each message costs only its own blocks plus the outer one. Node's crypto cannot
// resume from a state, and its per-call cost (about 2 µs: the argument checks and the native
// call) is larger than the two compressions a short value needs; a library HMAC that clones
// its state (@noble/hashes) measured slower than crypto here. Unit tests compare every output
// with crypto.createHmac bit for bit.

const K = new Int32Array([
  0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
  0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
  0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
  0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
  0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
  0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
  0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
  0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
]);
const IV = new Int32Array([0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19]);
/** The message schedule, shared: compress() runs to completion and is never re-entered. */
const W = new Int32Array(64);

/**
 * One block, data[off, off + 64), into `state`. Every sum is of two terms and cut back to 32
 * bits at once: a longer sum can leave the int32 range, and V8 then computes it in doubles
 * (a third slower, measured).
 */
function compress(state: Int32Array, data: Uint8Array, off: number): void {
  for (let i = 0; i < 16; i++) {
    const j = off + (i << 2);
    W[i] = (data[j]! << 24) | (data[j + 1]! << 16) | (data[j + 2]! << 8) | data[j + 3]!;
  }
  for (let i = 16; i < 64; i++) {
    const x = W[i - 15]!;
    const y = W[i - 2]!;
    const s0 = ((x >>> 7) | (x << 25)) ^ ((x >>> 18) | (x << 14)) ^ (x >>> 3);
    const s1 = ((y >>> 17) | (y << 15)) ^ ((y >>> 19) | (y << 13)) ^ (y >>> 10);
    W[i] = (((s1 + W[i - 7]!) | 0) + ((s0 + W[i - 16]!) | 0)) | 0;
  }
  let a = state[0]!, b = state[1]!, c = state[2]!, d = state[3]!;
  let e = state[4]!, f = state[5]!, g = state[6]!, h = state[7]!;
  for (let i = 0; i < 64; i++) {
    const s1 = ((e >>> 6) | (e << 26)) ^ ((e >>> 11) | (e << 21)) ^ ((e >>> 25) | (e << 7));
    const t1 = (((s1 + ((e & f) ^ (~e & g))) | 0) + ((h + ((K[i]! + W[i]!) | 0)) | 0)) | 0;
    const s0 = ((a >>> 2) | (a << 30)) ^ ((a >>> 13) | (a << 19)) ^ ((a >>> 22) | (a << 10));
    const t2 = (s0 + ((a & b) ^ (a & c) ^ (b & c))) | 0;
    h = g; g = f; f = e; e = (d + t1) | 0;
    d = c; c = b; b = a; a = (t1 + t2) | 0;
  }
  state[0] = (state[0]! + a) | 0; state[1] = (state[1]! + b) | 0;
  state[2] = (state[2]! + c) | 0; state[3] = (state[3]! + d) | 0;
  state[4] = (state[4]! + e) | 0; state[5] = (state[5]! + f) | 0;
  state[6] = (state[6]! + g) | 0; state[7] = (state[7]! + h) | 0;
}

/** The state after the 64-byte block `block`, from the initial one. */
export function midstate(block: Uint8Array): Int32Array {
  const s = new Int32Array(IV);
  compress(s, block, 0);
  return s;
}

/**
 * Finishes a hash that started from `from` (after `before` bytes, a multiple of 64) over
 * buf[0, n): pads in place, so `buf` must have room for n + 72 bytes. The digest goes into
 * `out` at `outOff` (32 bytes).
 */
export function finish(from: Int32Array, before: number, buf: Uint8Array, n: number, out: Uint8Array, outOff: number): void {
  const state = scratchState;
  state.set(from);
  const bits = (before + n) * 8;
  let end = n;
  buf[end++] = 0x80;
  while (end % 64 !== 56) buf[end++] = 0;
  // The length in bits, big-endian in 64 bits (values stay far below 2^53).
  const hi = Math.floor(bits / 0x100000000);
  buf[end] = hi >>> 24; buf[end + 1] = hi >>> 16; buf[end + 2] = hi >>> 8; buf[end + 3] = hi;
  buf[end + 4] = bits >>> 24; buf[end + 5] = bits >>> 16; buf[end + 6] = bits >>> 8; buf[end + 7] = bits;
  end += 8;
  for (let off = 0; off < end; off += 64) compress(state, buf, off);
  for (let i = 0; i < 8; i++) {
    const v = state[i]!;
    const o = outOff + i * 4;
    out[o] = v >>> 24; out[o + 1] = v >>> 16; out[o + 2] = v >>> 8; out[o + 3] = v;
  }
}
const scratchState = new Int32Array(8);
