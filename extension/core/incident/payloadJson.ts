// Reading an alert payload's JSON: bounded in size before any parsing, and a syntax error says
// where it is (line, column) and what was expected, so a pasted payload can be fixed.
import { parse as parseJsonc, printParseErrorCode, type ParseError } from 'jsonc-parser';

/** Alert webhooks are kilobytes; Sentry events with many frames reach a few hundred. */
export const MAX_PAYLOAD_BYTES = 5 * 1024 * 1024;

export type JsonResult = { ok: true; value: unknown } | { ok: false; error: string };

export function parsePayloadJson(text: string): JsonResult {
  // Length in UTF-16 units never exceeds the UTF-8 byte count, so this check is exact enough
  // to refuse a huge text before counting its bytes.
  if (text.length > MAX_PAYLOAD_BYTES || Buffer.byteLength(text, 'utf8') > MAX_PAYLOAD_BYTES) {
    const mb = (Buffer.byteLength(text, 'utf8') / 1024 / 1024).toFixed(1);
    return { ok: false, error: `the alert payload is ${mb} MB; at most ${MAX_PAYLOAD_BYTES / 1024 / 1024} MB is read. Paste the alert's JSON only (without attachments or breadcrumbs), or link the incident with its fields.` };
  }
  const body = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  if (!body.trim()) return { ok: false, error: 'the alert payload is empty: expected the JSON an alert tool sends to its webhook' };
  try {
    return { ok: true, value: JSON.parse(body) as unknown };
  } catch (e) {
    return { ok: false, error: describeSyntaxError(body, e as Error) };
  }
}

function describeSyntaxError(text: string, e: Error): string {
  // JSON.parse's messages differ between Node versions and do not always give a position;
  // jsonc-parser (comments and trailing commas refused, as in JSON) reports an offset.
  let first: ParseError | undefined;
  try {
    const errors: ParseError[] = [];
    parseJsonc(text, errors, { disallowComments: true, allowTrailingComma: false, allowEmptyContent: false });
    first = errors[0];
  } catch {
    first = undefined;
  }
  let offset = first?.offset;
  if (offset === undefined) {
    const m = /position (\d+)/.exec(e.message);
    if (m) offset = Number(m[1]);
  }
  const what = first ? humanCode(printParseErrorCode(first.error)) : e.message;
  if (offset === undefined) return `the alert payload is not valid JSON: ${what}`;
  const { line, column } = lineColumn(text, offset);
  const lineStart = Math.min(offset, text.length) - (column - 1);
  const lineEnd = text.indexOf('\n', lineStart);
  const lineText = text.slice(lineStart, lineEnd < 0 ? text.length : lineEnd);
  const near = JSON.stringify(lineText.slice(Math.max(0, column - 31), column + 9));
  return `the alert payload is not valid JSON: ${what} at line ${line}, column ${column} (near ${near})`;
}

function humanCode(code: string): string {
  const words: Record<string, string> = {
    InvalidSymbol: 'unexpected character', InvalidNumberFormat: 'malformed number', PropertyNameExpected: 'expected a property name in double quotes',
    ValueExpected: 'expected a value', ColonExpected: 'expected ":"', CommaExpected: 'expected ","', CloseBraceExpected: 'expected "}"',
    CloseBracketExpected: 'expected "]"', EndOfFileExpected: 'expected the end of the text after the JSON value', InvalidCommentToken: 'comments are not JSON',
    UnexpectedEndOfComment: 'unterminated comment', UnexpectedEndOfString: 'unterminated string', UnexpectedEndOfNumber: 'unterminated number',
    InvalidUnicode: 'malformed \\u escape', InvalidEscapeCharacter: 'malformed escape', InvalidCharacter: 'control character inside a string',
  };
  return words[code] ?? code;
}

export function lineColumn(text: string, offset: number): { line: number; column: number } {
  let line = 1;
  let lineStart = 0;
  const end = Math.min(offset, text.length);
  for (let i = 0; i < end; i++) {
    if (text.charCodeAt(i) === 10) { line++; lineStart = i + 1; }
  }
  return { line, column: end - lineStart + 1 };
}
