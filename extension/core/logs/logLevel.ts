// The severity of a log line, from the shapes common in a session's containers: JSON logs
// (`"level":"warn"`, pino's numeric levels), logfmt (`level=error`), bracketed (`[ERROR]`),
// a leading word (`WARN ...`), PostgreSQL (`ERROR:  `, `LOG:  `, `FATAL:  `) and Redis's role
// markers (`1:M 01 Jan 2024 10:00:00.000 # ...`) and the first line of an exception (`TypeError: `,
// `java.lang.NullPointerException: `, a Python traceback). Pure and cheap: runs on every line.
export type LogLevel = 'error' | 'warn' | 'info' | 'debug';

export const LOG_LEVELS: readonly LogLevel[] = ['debug', 'info', 'warn', 'error'];

const WORDS: Record<string, LogLevel> = {
  panic: 'error', fatal: 'error', crit: 'error', critical: 'error', alert: 'error', emerg: 'error', emergency: 'error', err: 'error', error: 'error', severe: 'error',
  warn: 'warn', warning: 'warn',
  info: 'info', notice: 'info', log: 'info', information: 'info', informational: 'info',
  debug: 'debug', trace: 'debug', verbose: 'debug', fine: 'debug', finer: 'debug', finest: 'debug',
};

/** pino / bunyan numeric levels. */
function numericLevel(n: number): LogLevel {
  if (n >= 50) return 'error';
  if (n >= 40) return 'warn';
  if (n >= 30) return 'info';
  return 'debug';
}

const JSON_LEVEL = /"(?:level|severity|lvl|loglevel|log\.level|levelname)"\s*:\s*(?:"([A-Za-z]+)\d?"|(\d{1,2})\b)/i;
const LOGFMT_LEVEL = /(?:^|\s)(?:level|lvl|severity)=("?)([A-Za-z]+)\1(?=\s|$)/i;
const BRACKETED = /\[(PANIC|FATAL|CRIT(?:ICAL)?|ERR(?:OR)?|SEVERE|WARN(?:ING)?|INFO|NOTICE|DEBUG|TRACE|VERBOSE)\]/i;
// PostgreSQL's "LEVEL:  message" (two spaces), anywhere after its log_line_prefix.
const POSTGRES = /(?:^|\s)(PANIC|FATAL|ERROR|WARNING|NOTICE|LOG|INFO|DEBUG[1-5]?):  /;
// Redis: "pid:role dd Mon yyyy hh:mm:ss.mmm <marker> text"; . debug, - verbose, * notice, # warning.
const REDIS = /^\d+:[XCSM] \d\d [A-Z][a-z]{2} \d{4} \d\d:\d\d:\d\d\.\d{3} ([.\-*#]) /;
const REDIS_LEVELS: Record<string, LogLevel> = { '.': 'debug', '-': 'debug', '*': 'info', '#': 'warn' };
// The first line of an exception as runtimes print it when it goes unhandled or is logged with
// its stack: "TypeError: ...", "Uncaught ReferenceError: ...", "java.lang.IllegalStateException:
// ...", "Exception in thread \"main\" ...", Python's "Traceback (most recent call last):" and
// its last "ValueError: ..." line. The frames under it carry no level.
const EXCEPTION = /^(?:Uncaught (?:\(in promise\) )?)?(?:[a-z_][\w$]*\.)*(?:[A-Z][\w$]*)?(?:Error|Exception)(?: \[[A-Z_0-9]+\])?: |^Traceback \(most recent call last\):|^Exception in thread /;
// A leading word, after an optional timestamp: "ERROR something", "2024-01-01 12:00:00 WARN x", "W1203 ..." is not matched.
const LEADING = /^(?:\S*\d\d:\d\d:\d\d\S*\s+)?(PANIC|FATAL|CRIT(?:ICAL)?|ERROR|ERR|SEVERE|WARN(?:ING)?|INFO|NOTICE|DEBUG|TRACE)\b[:\s]/i;

/** The line's level, or undefined when it does not say (stderr alone says nothing: many programs log there). */
export function detectLevel(text: string): LogLevel | undefined {
  let m: RegExpExecArray | null;
  if (text.charCodeAt(0) === 123 /* { */ && (m = JSON_LEVEL.exec(text))) {
    if (m[2] !== undefined) return numericLevel(Number(m[2]));
    return WORDS[m[1]!.toLowerCase()];
  }
  // Each shape is looked for only when the character it needs is in the line: most lines pay
  // for a few indexOf calls, not six regular expressions.
  const c0 = text.charCodeAt(0);
  if (c0 >= 48 && c0 <= 57 && (m = REDIS.exec(text))) return REDIS_LEVELS[m[1]!];
  if (text.includes(':  ') && (m = POSTGRES.exec(text))) return WORDS[m[1]!.replace(/\d$/, '').toLowerCase()];
  if (text.includes('=') && (m = LOGFMT_LEVEL.exec(text))) return WORDS[m[2]!.toLowerCase()];
  if (text.includes('[') && (m = BRACKETED.exec(text))) return WORDS[m[1]!.toLowerCase()];
  if ((m = LEADING.exec(text))) return WORDS[m[1]!.toLowerCase()];
  if ((text.includes('Error') || text.includes('Exception') || text.startsWith('Traceback')) && EXCEPTION.test(text)) return 'error';
  return undefined;
}

/** Whether a line of level `level` passes a minimum level (undefined minimum: everything). */
export function atLeast(level: LogLevel | undefined, minimum: LogLevel | undefined): boolean {
  if (!minimum || minimum === 'debug') return true;
  if (!level) return false;
  return LOG_LEVELS.indexOf(level) >= LOG_LEVELS.indexOf(minimum);
}
