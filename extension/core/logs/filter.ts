// The log viewer's filter: services shown, a text or regular-expression search, a minimum
// level and a trace id. The webview filters what it shows with it and the extension host
// exports with the same function, so what is saved is what was on screen. Pure.
import { atLeast, LOG_LEVELS, type LogLevel } from './logLevel';
import { formatLine, type SessionLogLine } from './logLine';
import type { RingBuffer } from './ringBuffer';

export interface LogFilterState {
  text: string;
  regex: boolean;
  caseSensitive: boolean;
  /** Services switched off in the viewer. */
  hidden: string[];
  minLevel?: LogLevel;
  traceId?: string;
}

export const EMPTY_FILTER: LogFilterState = { text: '', regex: false, caseSensitive: false, hidden: [] };

export type CompiledFilter =
  | { ok: true; match: (l: SessionLogLine) => boolean; /** finds the searched text in a line, for highlighting */ find?: RegExp }
  | { ok: false; error: string };

const MAX_PATTERN = 500;

const escapeRegExp = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

export function compileFilter(f: LogFilterState): CompiledFilter {
  if (f.text.length > MAX_PATTERN) return { ok: false, error: `The filter is ${f.text.length} characters long; at most ${MAX_PATTERN}.` };
  let find: RegExp | undefined;
  if (f.text) {
    try {
      find = new RegExp(f.regex ? f.text : escapeRegExp(f.text), f.caseSensitive ? 'g' : 'gi');
    } catch (e) {
      return { ok: false, error: `Not a valid regular expression: ${(e as Error).message.replace(/^Invalid regular expression: /, '')}` };
    }
    // A pattern that matches the empty string highlights nothing and filters nothing.
    if (f.regex && find.test('')) find = undefined;
  }
  const hidden = new Set(f.hidden);
  const minLevel = f.minLevel;
  const trace = f.traceId?.toLowerCase();
  const test = find ? new RegExp(find.source, find.flags.replace('g', '')) : undefined;
  const match = (l: SessionLogLine): boolean => {
    if (hidden.has(l.service)) return false;
    if (minLevel && !atLeast(l.level, minLevel)) return false;
    if (trace && l.trace?.[0] !== trace && !l.text.toLowerCase().includes(trace)) return false;
    return !test || test.test(l.text);
  };
  return find ? { ok: true, match, find } : { ok: true, match };
}

/** Checks a filter state that came from outside (a webview message, saved state). */
export function isLogFilterState(v: unknown): v is LogFilterState {
  if (typeof v !== 'object' || v === null) return false;
  const f = v as Record<string, unknown>;
  return typeof f.text === 'string' && f.text.length <= MAX_PATTERN
    && typeof f.regex === 'boolean' && typeof f.caseSensitive === 'boolean'
    && Array.isArray(f.hidden) && f.hidden.length <= 200 && f.hidden.every((s) => typeof s === 'string' && s.length <= 100)
    && (f.minLevel === undefined || (LOG_LEVELS as readonly unknown[]).includes(f.minLevel))
    && (f.traceId === undefined || (typeof f.traceId === 'string' && /^[0-9A-Za-z_-]{8,64}$/.test(f.traceId)));
}

/** What copy and export write: the lines of `buffer` the filter shows, one per line. */
export function filteredText(buffer: RingBuffer<SessionLogLine>, f: LogFilterState, opts: { timestamps: boolean }): { text: string; lines: number } | { error: string } {
  const compiled = compileFilter(f);
  if (!compiled.ok) return { error: compiled.error };
  const out: string[] = [];
  for (let i = buffer.start; i < buffer.end; i++) {
    const l = buffer.get(i)!;
    if (compiled.match(l)) out.push(formatLine(l, opts));
  }
  return { text: out.length ? `${out.join('\n')}\n` : '', lines: out.length };
}
