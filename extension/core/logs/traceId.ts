// Trace ids in log lines, so a click filters the whole session's log by one request: W3C
// traceparent (`00-<32 hex>-<16 hex>-<2 hex>`), `trace_id=` / `traceId` / `trace-id` fields
// (logfmt, JSON, key: value), and bare 32-hex ids. Pure and cheap: runs on every line.

export interface TraceMatch {
  /** The id, lower-cased when hexadecimal, so every shape of the same id filters the same. */
  id: string;
  /** Where the id sits in the line (for a link), [start, end). */
  start: number;
  end: number;
}

const TRACEPARENT = /\b00-([0-9a-f]{32})-[0-9a-f]{16}-[0-9a-f]{2}\b/i;
const FIELD = /\btrace[_.-]?id["']?\s*[:=]\s*["']?([0-9A-Za-z][0-9A-Za-z_-]{7,63})/i;
const HEX32 = /\b[0-9a-f]{32}\b/i;

const ZERO = /^0+$/;

export function detectTraceId(text: string): TraceMatch | undefined {
  if (text.length < 16) return undefined;
  let m = text.includes('00-') ? TRACEPARENT.exec(text) : null;
  if (m && !ZERO.test(m[1]!)) {
    const start = m.index + 3;
    return { id: m[1]!.toLowerCase(), start, end: start + 32 };
  }
  m = /race/i.test(text) ? FIELD.exec(text) : null;
  if (m && !ZERO.test(m[1]!)) {
    const start = m.index + m[0].length - m[1]!.length;
    return { id: normalise(m[1]!), start, end: start + m[1]!.length };
  }
  m = HEX32.exec(text);
  if (m && !ZERO.test(m[0])) return { id: m[0].toLowerCase(), start: m.index, end: m.index + 32 };
  return undefined;
}

const normalise = (id: string): string => (/^[0-9a-f]+$/i.test(id) ? id.toLowerCase() : id);
