// Turning untrusted scalar values into the checked fields of an Incident: text without control
// characters, times in UTC ISO form, ids that are safe everywhere, http(s) links, bounded labels.
// Every function returns undefined for a value it cannot use; the caller decides whether that
// deserves a warning.
import { createHash } from 'node:crypto';
import { ID_PATTERN, LIMITS } from './model';

export type Obj = Record<string, unknown>;

export const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
export const asObj = (v: unknown): Obj => (isObj(v) ? v : {});
export const asArray = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);

/** A non-empty string, or a finite number as a string (alert tools mix the two for ids). */
export function str(v: unknown): string | undefined {
  if (typeof v === 'string') return v.trim() === '' ? undefined : v;
  if (typeof v === 'number' && Number.isFinite(v)) return String(v);
  return undefined;
}

// C0 and C1 control characters, DEL, and the Unicode line/paragraph separators.
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/;
// eslint-disable-next-line no-control-regex
const CONTROL_ALL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]+/g;

export const hasControlChars = (v: string): boolean => CONTROL.test(v);

/** One line of display text: control characters become spaces, runs of space collapse, long text ends in '…'. */
export function cleanText(v: unknown, max: number = LIMITS.titleChars): string | undefined {
  const s = str(v);
  if (s === undefined) return undefined;
  const t = s.replace(CONTROL_ALL, ' ').replace(/\s+/g, ' ').trim();
  if (!t) return undefined;
  return t.length > max ? `${t.slice(0, max - 1)}…` : t;
}

/** A URL for a message, its user name and password (if any) replaced by "***". */
export const hideCredentials = (v: string): string => v.replace(/^([A-Za-z][A-Za-z0-9+.-]*:\/\/)[^/?#]*@/, '$1***@');

/** The value quoted for a message: JSON escapes make NUL, newlines and other controls visible; long values are cut. */
export function quote(v: string, max = 60): string {
  return JSON.stringify(v.length > max ? `${v.slice(0, max)}…` : v);
}

const ISO_TIME = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?(Z|[+-]\d{2}:?\d{2})?$/i;

/**
 * An instant as UTC ISO-8601, from ISO text (with Z or an offset, "+0000" included, as
 * PagerDuty writes it), epoch seconds or milliseconds (numbers, or 10/13-digit strings as
 * Datadog's $DATE gives them). Instants outside 1970..2200 are taken as "not set"
 * (Alertmanager's endsAt is 0001-01-01 while an alert fires).
 */
export function normaliseTime(v: unknown): string | undefined {
  let ms: number | undefined;
  if (typeof v === 'number' && Number.isFinite(v)) {
    ms = v > 1e11 ? v : v * 1000;
  } else if (typeof v === 'string') {
    const s = v.trim();
    if (/^\d{10}(\.\d+)?$/.test(s)) ms = Number(s) * 1000;
    else if (/^\d{13}$/.test(s)) ms = Number(s);
    else {
      const m = ISO_TIME.exec(s);
      if (!m) return undefined;
      // Date.parse understands only milliseconds and "+hh:mm"; rebuild the text in that form.
      const frac = (m[7] ?? '').padEnd(3, '0').slice(0, 3);
      let zone = (m[8] ?? 'Z').toUpperCase();
      if (/^[+-]\d{4}$/.test(zone)) zone = `${zone.slice(0, 3)}:${zone.slice(3)}`;
      ms = Date.parse(`${m[1]}-${m[2]}-${m[3]}T${m[4]}:${m[5]}:${m[6] ?? '00'}.${frac}${zone}`);
    }
  }
  if (ms === undefined || !Number.isFinite(ms)) return undefined;
  if (ms < 0 || ms > Date.UTC(2200, 0, 1)) return undefined;
  return new Date(ms).toISOString();
}

/** An http(s) URL without credentials, as href; anything else undefined. */
export function httpUrl(v: unknown): string | undefined {
  const s = str(v);
  if (s === undefined || s.length > LIMITS.urlChars || hasControlChars(s)) return undefined;
  try {
    const u = new URL(s);
    if (u.protocol !== 'https:' && u.protocol !== 'http:') return undefined;
    if (u.username || u.password) return undefined;
    return u.href;
  } catch {
    return undefined;
  }
}

/** A short stable id from the parts that identify an alert, for tools that give none. */
export function derivedId(prefix: string, ...parts: unknown[]): string {
  const h = createHash('sha256').update(JSON.stringify(parts)).digest('hex').slice(0, 16);
  return `${prefix}-${h}`;
}

/** The tool's id made safe (ID_PATTERN): other characters become '-'; undefined when nothing is left. */
export function safeId(v: unknown): string | undefined {
  const s = str(v);
  if (s === undefined) return undefined;
  if (ID_PATTERN.test(s)) return s;
  const t = s.replace(/[^A-Za-z0-9._:-]+/g, '-').replace(/-{2,}/g, '-').replace(/^[-.]+|[-.]+$/g, '').slice(0, 128);
  return t && ID_PATTERN.test(t) ? t : undefined;
}

/**
 * Labels for display and matching: scalar values only, keys and values bounded, control
 * characters removed. Later records win, so pass the general ones (common labels) first.
 */
export function cleanLabels(...records: unknown[]): Record<string, string> {
  const out: Record<string, string> = {};
  let n = 0;
  for (const rec of records) {
    if (!isObj(rec)) continue;
    for (const [k, v] of Object.entries(rec)) {
      const key = cleanText(k, LIMITS.labelKeyChars);
      const value = typeof v === 'boolean' ? String(v) : cleanText(v, LIMITS.labelValueChars) ?? (v === '' ? '' : undefined);
      if (key === undefined || value === undefined) continue;
      if (!(key in out)) {
        if (n >= LIMITS.labels) continue;
        n++;
      }
      out[key] = value;
    }
  }
  return out;
}
