// fake:<kind>: a plausible value of the kind in place of the original, chosen by
// HMAC(key, kind, value): the same original always gets the same fake (joins and duplicates
// survive) and nothing can be read back without the key. Built-in word lists only
// (fakeWords.ts): no faker dependency, for bundle size.
//   email    first.last.<8 base-36>@example.com|org|net (RFC 2606: never a real domain); the
//            original's separator style and "+tag" kept; ~2^41 suffixes keep unique columns unique
//   name, first_name, last_name, city, company   from the word lists
//   phone    the original with its digits replaced; formatting, length and a leading "+CC"
//            country code kept
//   address  a street line, a postcode and city line, a country line: as many lines as the
//            original ("\n"-separated), one line joined with ", "
//   ip       IPv4 in the documentation ranges 192.0.2.0/24, 198.51.100.0/24, 203.0.113.0/24;
//            IPv6 in 2001:db8::/32; a "/prefix" is kept (host bits cleared for cidr)
//   text     lorem ipsum of the same length in code points
//   uuid     a version-4 uuid, in the original's case and hyphenation
//   date     a valid date within five years of the original, in the same format (ISO,
//            D/M/Y or M/D/Y with day and month both <= 12 so either reading is valid, Y/M/D,
//            YYYYMMDD), with a time part redrawn and its zone kept; an unrecognised format has its
//            digits replaced instead
import { keyedDigest, keyStream, type KeyStream } from './keyed';
import { maskDigits } from './mask';
import { uuidFrom } from './hash';
import { CITIES, COMPANY_SUFFIXES, COMPANY_WORDS, COUNTRIES, EMAIL_DOMAINS, FIRST_NAMES, LAST_NAMES, LOREM, STREETS, STREET_TYPES } from './fakeWords';
import type { FakeKind } from './types';

export interface FakeOptions {
  /** The column is of type cidr: host bits beyond the prefix must be zero. */
  cidr?: boolean;
}

/** The HMAC domain of each kind, made once (a template per value made a new string each time). */
const DOMAINS = new Map<FakeKind, string>();
const domainOf = (kind: FakeKind): string => {
  let d = DOMAINS.get(kind);
  if (d === undefined) DOMAINS.set(kind, (d = `fake:${kind}`));
  return d;
};

export function fakeValue(kind: FakeKind, key: Buffer, value: string, opts: FakeOptions = {}): string {
  // Phone and uuid derive their own digests: no stream is drawn for them.
  if (kind === 'phone') return fakePhone(key, value);
  if (kind === 'uuid') return fakeUuid(key, value);
  const rng = keyStream(key, domainOf(kind), value);
  switch (kind) {
    case 'email':
      return fakeEmail(rng, value);
    case 'name':
      return `${rng.pick(FIRST_NAMES)} ${rng.pick(LAST_NAMES)}`;
    case 'first_name':
      return rng.pick(FIRST_NAMES);
    case 'last_name':
      return rng.pick(LAST_NAMES);
    case 'address':
      return fakeAddress(rng, value);
    case 'ip':
      return fakeIp(rng, value, opts.cidr === true);
    case 'city':
      return rng.pick(CITIES);
    case 'company':
      return `${rng.pick(COMPANY_WORDS)} ${rng.pick(LAST_NAMES)} ${rng.pick(COMPANY_SUFFIXES)}`;
    case 'text':
      return fakeText(rng, [...value].length);
    case 'date':
      return fakeDate(key, rng, value);
  }
}

const asciiLower = (s: string) => s.normalize('NFD').replace(/[^A-Za-z]/g, '').toLowerCase();
/** The name lists as they appear in an email's local part, made once (not per value). */
const EMAIL_FIRST = FIRST_NAMES.map(asciiLower);
const EMAIL_LAST = LAST_NAMES.map(asciiLower);

const BASE36 = '0123456789abcdefghijklmnopqrstuvwxyz';
function base36(rng: KeyStream, length: number): string {
  let s = '';
  for (let i = 0; i < length; i++) s += BASE36[rng.below(36)];
  return s;
}

function fakeEmail(rng: KeyStream, value: string): string {
  const at = value.lastIndexOf('@');
  const end = at >= 0 ? at : value.length;
  const plus = value.indexOf('+');
  // The local part's first separator before any "+tag" is kept, so the shape stays; scanned
  // by hand (a regex and a split per value cost more than the rest of the fake).
  const headEnd = plus >= 0 && plus < end ? plus : end;
  let sep = '.';
  for (let i = 0; i < headEnd; i++) {
    const c = value.charCodeAt(i);
    if (c === 0x2e || c === 0x5f || c === 0x2d) { sep = value[i]!; break; }
  }
  const tag = plus >= 0 && plus < end ? `+${rng.pick(LOREM)}` : '';
  return `${rng.pick(EMAIL_FIRST)}${sep}${rng.pick(EMAIL_LAST)}${sep}${base36(rng, 8)}${tag}@${rng.pick(EMAIL_DOMAINS)}`;
}

function fakePhone(key: Buffer, value: string): string {
  const cc = /^\s*\+\d{1,3}(?=[^\d])/.exec(value)?.[0] ?? '';
  return cc + maskDigits(key, value.slice(cc.length), `fake:phone:${cc}`);
}

function fakeAddress(rng: KeyStream, value: string): string {
  const street = `${1 + rng.below(998)} ${rng.pick(STREETS)} ${rng.pick(STREET_TYPES)}`;
  const city = `${String(10000 + rng.below(89999))} ${rng.pick(CITIES)}`;
  const lines = value.split('\n').length;
  if (lines === 1) return `${street}, ${city}`;
  const out = [street, city, rng.pick(COUNTRIES)];
  while (out.length < lines) out.splice(1, 0, `Unit ${1 + rng.below(99)}`);
  return out.slice(0, lines).join('\n');
}

const V4_RANGES: readonly (readonly number[])[] = [[192, 0, 2], [198, 51, 100], [203, 0, 113]];

function fakeIp(rng: KeyStream, value: string, cidr: boolean): string {
  const m = /^\s*([^/\s]*)(?:\/(\d{1,3}))?\s*$/.exec(value);
  const prefix = m?.[2] !== undefined ? Number(m[2]) : undefined;
  if (m?.[1]?.includes(':')) {
    const groups = [0x2001, 0x0db8, ...Array.from({ length: 6 }, () => rng.below(0x10000))];
    if (cidr && prefix !== undefined) clearHostBits(groups, 16, Math.min(prefix, 128));
    return groups.map((g) => g.toString(16)).join(':') + (prefix !== undefined ? `/${prefix}` : '');
  }
  const octets = [...rng.pick(V4_RANGES), 1 + rng.below(254)];
  if (cidr && prefix !== undefined) clearHostBits(octets, 8, Math.min(prefix, 32));
  return octets.join('.') + (prefix !== undefined ? `/${prefix}` : '');
}

function clearHostBits(parts: number[], width: number, prefix: number): void {
  for (let i = 0; i < parts.length; i++) {
    const keep = Math.max(0, Math.min(width, prefix - i * width));
    parts[i] = keep === 0 ? 0 : parts[i]! & (((1 << keep) - 1) << (width - keep));
  }
}

function fakeText(rng: KeyStream, length: number): string {
  if (length === 0) return '';
  let s = '';
  while (s.length < length) s += (s === '' ? '' : ' ') + rng.pick(LOREM);
  s = s.slice(0, length);
  return s.endsWith(' ') ? `${s.slice(0, -1)}.` : s;
}

function fakeUuid(key: Buffer, value: string): string {
  const u = uuidFrom(keyedDigest(key, 'fake:uuid', value));
  const hex = value.replace(/[^0-9a-fA-F]/g, '');
  const shaped = /-/.test(value) || hex.length !== 32 ? u : u.replace(/-/g, '');
  return /[A-F]/.test(value) && !/[a-f]/.test(value) ? shaped.toUpperCase() : shaped;
}

const daysIn = (year: number, month: number) => new Date(Date.UTC(year, month, 0)).getUTCDate();
const pad = (n: number, width: number) => String(n).padStart(width, '0');

function fakeDate(key: Buffer, rng: KeyStream, value: string): string {
  if (value === 'infinity' || value === '-infinity') return value;
  const year = (y: number) => Math.max(1, y + rng.below(11) - 5);
  let m = /^(\d{4})-(\d{1,2})-(\d{1,2})(.*)$/.exec(value);
  if (m && !/BC/.test(m[4]!)) {
    const y = year(Number(m[1]));
    const mo = 1 + rng.below(12);
    return `${pad(y, 4)}-${pad(mo, m[2]!.length)}-${pad(1 + rng.below(daysIn(y, mo)), m[3]!.length)}${fakeTime(rng, m[4]!)}`;
  }
  m = /^(\d{1,2})([./-])(\d{1,2})\2(\d{4})(.*)$/.exec(value);
  if (m) {
    // D/M/Y or M/D/Y: both parts <= 12 keep either reading valid; width 1 stays below 10.
    const part = (w: number) => pad(1 + rng.below(w === 1 ? 9 : 12), w);
    return `${part(m[1]!.length)}${m[2]}${part(m[3]!.length)}${m[2]}${pad(year(Number(m[4])), 4)}${fakeTime(rng, m[5]!)}`;
  }
  m = /^(\d{4})([./])(\d{1,2})\2(\d{1,2})(.*)$/.exec(value);
  if (m) {
    const y = year(Number(m[1]));
    const mo = 1 + rng.below(m[3]!.length === 1 ? 9 : 12);
    const d = 1 + rng.below(m[4]!.length === 1 ? 9 : daysIn(y, mo));
    return `${pad(y, 4)}${m[2]}${pad(mo, m[3]!.length)}${m[2]}${pad(d, m[4]!.length)}${fakeTime(rng, m[5]!)}`;
  }
  m = /^(\d{4})(\d{2})(\d{2})$/.exec(value);
  if (m) {
    const y = year(Number(m[1]));
    const mo = 1 + rng.below(12);
    return `${pad(y, 4)}${pad(mo, 2)}${pad(1 + rng.below(daysIn(y, mo)), 2)}`;
  }
  return maskDigits(key, value, 'fake:date');
}

/** Redraws "HH:MM[:SS[.fff]]" after a date, keeping the separator and any zone suffix. */
function fakeTime(rng: KeyStream, rest: string): string {
  const t = /^([ T])(\d{2}):(\d{2})(?::(\d{2}))?(\.\d+)?(.*)$/.exec(rest);
  if (!t) return rest;
  let s = `${t[1]}${pad(rng.below(24), 2)}:${pad(rng.below(60), 2)}`;
  if (t[4] !== undefined) s += `:${pad(rng.below(60), 2)}`;
  if (t[5] !== undefined) s += `.${Array.from({ length: t[5].length - 1 }, () => rng.below(10)).join('')}`;
  return s + t[6];
}
