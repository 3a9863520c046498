// PostgreSQL's COPY text format, as pg_dump writes it between "COPY ... FROM stdin;" and "\.":
// one row per line, fields separated by tabs, \N for NULL, backslash escapes for the rest.
// Decoding follows COPY FROM (CopyReadAttributesText), encoding follows COPY TO
// (CopyAttributeOutText), both on bytes: \NNN and \xHH produce bytes, which may be parts of a
// UTF-8 sequence, so text is decoded only after the escapes. decode(encode(v)) is v for every
// byte string and NULL. Arrays, json and bytea are just text here: their inner syntax is
// theirs, never looked into.

const TAB = 0x09;
const BACKSLASH = 0x5c;

/** The fields of a row (without its line end), as raw bytes. */
export function splitCopyLine(line: Buffer): Buffer[] {
  const fields: Buffer[] = [];
  let start = 0;
  for (;;) {
    const tab = line.indexOf(TAB, start);
    if (tab < 0) break;
    fields.push(line.subarray(start, tab));
    start = tab + 1;
  }
  fields.push(line.subarray(start));
  return fields;
}

export function joinCopyFields(fields: readonly Buffer[]): Buffer {
  const parts: Buffer[] = [];
  fields.forEach((f, i) => {
    if (i > 0) parts.push(TAB_BUF);
    parts.push(f);
  });
  return Buffer.concat(parts);
}

const TAB_BUF = Buffer.from('\t');

/** True when the raw field is the NULL marker \N (compared before de-escaping, as COPY does). */
export function isCopyNull(raw: Buffer): boolean {
  return raw.length === 2 && raw[0] === BACKSLASH && raw[1] === 0x4e;
}

const isOctal = (c: number | undefined) => c !== undefined && c >= 0x30 && c <= 0x37;
const hexValue = (c: number | undefined): number => {
  if (c === undefined) return -1;
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  if (c >= 0x61 && c <= 0x66) return c - 0x57;
  if (c >= 0x41 && c <= 0x46) return c - 0x37;
  return -1;
};

/** A raw field's value as bytes, or null for \N. */
export function decodeCopyField(raw: Buffer): Buffer | null {
  if (isCopyNull(raw)) return null;
  if (raw.indexOf(BACKSLASH) < 0) return raw;
  const out = Buffer.allocUnsafe(raw.length);
  let n = 0;
  for (let i = 0; i < raw.length; i++) {
    let c = raw[i]!;
    if (c === BACKSLASH) {
      if (i + 1 >= raw.length) break; // a lone backslash at the end of the line: COPY drops it
      c = raw[++i]!;
      if (isOctal(c)) {
        let v = c - 0x30;
        if (isOctal(raw[i + 1])) {
          v = v * 8 + (raw[++i]! - 0x30);
          if (isOctal(raw[i + 1])) v = v * 8 + (raw[++i]! - 0x30);
        }
        c = v & 0xff;
      } else if (c === 0x78 /* x */) {
        const h1 = hexValue(raw[i + 1]);
        if (h1 >= 0) {
          i++;
          let v = h1;
          const h2 = hexValue(raw[i + 1]);
          if (h2 >= 0) {
            i++;
            v = v * 16 + h2;
          }
          c = v;
        }
      } else if (c === 0x62) c = 0x08; // \b
      else if (c === 0x66) c = 0x0c; // \f
      else if (c === 0x6e) c = 0x0a; // \n
      else if (c === 0x72) c = 0x0d; // \r
      else if (c === 0x74) c = 0x09; // \t
      else if (c === 0x76) c = 0x0b; // \v
      // any other escaped byte stands for itself (\\, \., and N inside a longer field)
    }
    out[n++] = c;
  }
  return out.subarray(0, n);
}

const NULL_FIELD = Buffer.from('\\N');
const ESCAPES: Record<number, number> = { 0x08: 0x62, 0x0c: 0x66, 0x0a: 0x6e, 0x0d: 0x72, 0x09: 0x74, 0x0b: 0x76, 0x5c: 0x5c };

/** A value's raw field, escaped as COPY TO writes it. */
export function encodeCopyField(value: Buffer | null): Buffer {
  if (value === null) return NULL_FIELD;
  let needs = false;
  for (let i = 0; i < value.length && !needs; i++) needs = ESCAPES[value[i]!] !== undefined;
  if (!needs) return value;
  const out = Buffer.allocUnsafe(value.length * 2);
  let n = 0;
  for (let i = 0; i < value.length; i++) {
    const c = value[i]!;
    const e = ESCAPES[c];
    if (e !== undefined) {
      out[n++] = BACKSLASH;
      out[n++] = e;
    } else out[n++] = c;
  }
  return out.subarray(0, n);
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** A raw field as text (UTF-8), or null for \N. Throws on bytes that are not UTF-8. */
export function decodeCopyText(raw: Buffer): string | null {
  const bytes = decodeCopyField(raw);
  return bytes === null ? null : utf8.decode(bytes);
}

export function encodeCopyText(value: string | null): Buffer {
  return encodeCopyField(value === null ? null : Buffer.from(value, 'utf8'));
}

/** A whole row, for callers working in strings. */
export function parseCopyLine(line: string): (string | null)[] {
  return splitCopyLine(Buffer.from(line, 'utf8')).map(decodeCopyText);
}

export function formatCopyLine(values: readonly (string | null)[]): string {
  return joinCopyFields(values.map(encodeCopyText)).toString('utf8');
}
