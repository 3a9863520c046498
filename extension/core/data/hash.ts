// hash and redact: the two strategies whose output depends on the column's SQL type, so the
// restore accepts it. hash is keyed and deterministic (equal values hash equally everywhere,
// so joins on hashed columns still match); redact is a constant.
//   hash  text / varchar(n) / char(n) -> 64 hex digits of HMAC, cut to n
//         smallint / integer / bigint -> a keyed permutation of the type's range (a Feistel
//           network): unique values stay unique, so keys and unique constraints survive
//         date -> a valid date in the same year, never the original day (ages stay plausible)
//         timestamp -> a valid timestamp in the same year, never the original day, same
//           fractional digits and zone suffix
//         uuid -> a version-4 uuid
//         anything else (boolean too: two values hide nothing) -> refused before the first row
//           (sqlTypes.strategyProblem)
//   redact text -> 'REDACTED' (cut to n); bytea -> empty; json/jsonb -> {}; arrays -> {};
//         xml -> empty; any other type -> NULL, refused up front for a NOT NULL column (there
//         is no neutral date, number or uuid, and a made-up constant would break unique keys).
// Errors here name the type only, never the value: the caller adds table.column and line.
import { keyedDigest } from './keyed';
import type { SqlType } from './sqlTypes';

export function hashValue(key: Buffer, value: string, type: SqlType): string {
  switch (type.cls) {
    case 'text': {
      const hex = keyedDigest(key, 'hash', value).toString('hex');
      return type.maxLength !== undefined ? hex.slice(0, type.maxLength) : hex;
    }
    case 'int':
      return hashInteger(key, value, type.intBits ?? 32);
    case 'date':
      return hashDate(key, value);
    case 'timestamp':
      return hashTimestamp(key, value);
    case 'uuid':
      return uuidFrom(keyedDigest(key, 'hash', value.toLowerCase()));
    default:
      throw new Error(`hash does not know type ${type.name}`);
  }
}

export function redactValue(type: SqlType): string | null {
  switch (type.cls) {
    case 'text':
      return 'REDACTED'.slice(0, type.maxLength ?? 8);
    case 'bytea':
      return '\\x';
    case 'json':
    case 'array':
      return '{}';
    case 'xml':
      return '';
    default:
      return null;
  }
}

/** A version-4 uuid from 16 keyed bytes. */
export function uuidFrom(digest: Buffer): string {
  const b = Buffer.from(digest.subarray(0, 16));
  b[6] = (b[6]! & 0x0f) | 0x40;
  b[8] = (b[8]! & 0x3f) | 0x80;
  const h = b.toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

// A balanced Feistel network over the type's bit patterns: a bijection keyed by the project
// key, so the output is always in range and distinct inputs stay distinct.
function hashInteger(key: Buffer, value: string, bits: 16 | 32 | 64): string {
  if (!/^\s*[-+]?\d+\s*$/.test(value)) throw new Error(`a value is not an integer of type ${bits === 16 ? 'smallint' : bits === 32 ? 'integer' : 'bigint'}`);
  const n = BigInt(value.trim());
  const width = BigInt(bits);
  if (n < -(1n << (width - 1n)) || n >= 1n << (width - 1n)) throw new Error(`a value is out of the range of a ${bits}-bit integer`);
  const halfBits = bits / 2;
  const halfMask = (1n << BigInt(halfBits)) - 1n;
  const unsigned = BigInt.asUintN(bits, n);
  let left = unsigned >> BigInt(halfBits);
  let right = unsigned & halfMask;
  for (let round = 0; round < 4; round++) {
    const d = keyedDigest(key, `hash-int${bits}:${round}`, right.toString());
    const f = BigInt(halfBits === 32 ? d.readUInt32BE(0) : halfBits === 16 ? d.readUInt16BE(0) : d.readUInt8(0));
    [left, right] = [right, (left ^ f) & halfMask];
  }
  return BigInt.asIntN(bits, (left << BigInt(halfBits)) | right).toString();
}

function isLeap(year: number, bc: boolean): boolean {
  const y = bc ? 1 - year : year; // astronomical numbering: 1 BC is year 0
  return (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;
}

const MONTH_DAYS = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

function dayOfYear(year: number, bc: boolean, month: number, day: number): number {
  let d = day - 1;
  for (let m = 1; m < month; m++) d += MONTH_DAYS[m - 1]! + (m === 2 && isLeap(year, bc) ? 1 : 0);
  return d;
}

function monthDay(year: number, bc: boolean, doy: number): [number, number] {
  let d = doy;
  for (let m = 1; m <= 12; m++) {
    const len = MONTH_DAYS[m - 1]! + (m === 2 && isLeap(year, bc) ? 1 : 0);
    if (d < len) return [m, d + 1];
    d -= len;
  }
  throw new Error('day of year out of range');
}

const pad = (n: number, w = 2) => String(n).padStart(w, '0');

/** Another day of the same year, chosen by the digest. */
function shiftDay(digest: Buffer, yearText: string, month: number, day: number, bc: boolean): string {
  const year = Number(yearText);
  const days = isLeap(year, bc) ? 366 : 365;
  const original = dayOfYear(year, bc, month, day);
  let doy = digest.readUInt32BE(0) % days;
  if (doy === original) doy = (doy + 1) % days;
  const [m, d] = monthDay(year, bc, doy);
  return `${yearText}-${pad(m)}-${pad(d)}`;
}

function validDate(year: number, month: number, day: number, bc: boolean): boolean {
  return month >= 1 && month <= 12 && day >= 1 && day <= MONTH_DAYS[month - 1]! + (month === 2 && isLeap(year, bc) ? 1 : 0);
}

const DATE = /^(\d{4,})-(\d{2})-(\d{2})( BC)?$/;
const TIMESTAMP = /^(\d{4,})-(\d{2})-(\d{2})([ T])(\d{2}):(\d{2}):(\d{2})(\.\d+)?([+-]\d{2}(?::?\d{2}){0,2})?( BC)?$/;

function hashDate(key: Buffer, value: string): string {
  if (value === 'infinity' || value === '-infinity') return value;
  const m = DATE.exec(value);
  if (!m || !validDate(Number(m[1]), Number(m[2]), Number(m[3]), m[4] !== undefined)) throw new Error('a value is not an ISO date (type date)');
  return shiftDay(keyedDigest(key, 'hash-date', value), m[1]!, Number(m[2]), Number(m[3]), m[4] !== undefined) + (m[4] ?? '');
}

function hashTimestamp(key: Buffer, value: string): string {
  if (value === 'infinity' || value === '-infinity') return value;
  const m = TIMESTAMP.exec(value);
  if (!m || !validDate(Number(m[1]), Number(m[2]), Number(m[3]), m[10] !== undefined)) throw new Error('a value is not an ISO timestamp (type timestamp)');
  const digest = keyedDigest(key, 'hash-timestamp', value);
  const date = shiftDay(digest, m[1]!, Number(m[2]), Number(m[3]), m[10] !== undefined);
  const second = digest.readUInt32BE(4) % 86400;
  const fraction = m[8] ? `.${String(digest.readUInt32BE(8)).padStart(10, '0').slice(-(m[8].length - 1))}` : '';
  const time = `${pad(Math.floor(second / 3600))}:${pad(Math.floor(second / 60) % 60)}:${pad(second % 60)}`;
  return `${date}${m[4]}${time}${fraction}${m[9] ?? ''}${m[10] ?? ''}`;
}
