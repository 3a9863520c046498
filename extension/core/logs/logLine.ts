// One line of a session's merged log, as the extension host keeps it and the viewer shows it.
// Plain data (it crosses to the webview as JSON). Pure: no Node or VS Code imports.
import { detectLevel, type LogLevel } from './logLevel';
import { detectTraceId } from './traceId';

export interface SessionLogLine {
  /** The service's name in repro.yaml (the container's dev.repro.service label). */
  service: string;
  stream: 'stdout' | 'stderr';
  /** Milliseconds since the epoch, the engine's timestamp. */
  time: number;
  text: string;
  level?: LogLevel;
  /** A trace id in the text and where it is, [id, start, end). */
  trace?: [string, number, number];
}

/** A service of the session as the viewer lists it. */
export interface ServiceLogState {
  service: string;
  role: string;
  /** Following: the container runs and its lines arrive; stopped: its log ended (it may start again). */
  state: 'following' | 'stopped';
}

/** Lines longer than this are cut (with a marker) so one runaway line cannot fill the buffer. */
export const MAX_LINE_CHARS = 4000;

export function toSessionLine(service: string, stream: 'stdout' | 'stderr', time: number, raw: string): SessionLogLine {
  const text = raw.length > MAX_LINE_CHARS ? `${raw.slice(0, MAX_LINE_CHARS)} … [${raw.length - MAX_LINE_CHARS} more characters]` : raw;
  const line: SessionLogLine = { service, stream, time, text };
  const level = detectLevel(text);
  if (level) line.level = level;
  const trace = detectTraceId(text);
  if (trace) line.trace = [trace.id, trace.start, trace.end];
  return line;
}

/** The line as text for copy and export: "2024-01-01T10:00:00.123Z web | text". */
export function formatLine(l: SessionLogLine, opts: { timestamps?: boolean } = {}): string {
  return `${opts.timestamps === false ? '' : `${new Date(l.time).toISOString()} `}${l.service} | ${l.text}`;
}
