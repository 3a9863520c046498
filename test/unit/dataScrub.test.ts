// The scrubber on the sample shop's real pg_dump: what a user checks before trusting a clone.
// No personal value survives, nothing else changes (row counts, keys, schema), the output is
// a function of input and key only, the planted badge crash still reproduces, both dump formats
// scrub alike, and a dump or a rule that cannot be honoured stops the clone with an error that
// names the problem but never a value.
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, test } from 'node:test';
import { decodeCopyField, decodeCopyText, encodeCopyField, encodeCopyText, formatCopyLine, parseCopyLine, splitCopyLine } from '../../extension/core/data/copyText';
import { ChunkWriter } from '../../extension/core/data/chunkWriter';
import { fakeValue } from '../../extension/core/data/fake';
import { hashValue, redactValue } from '../../extension/core/data/hash';
import { fingerprint, keyedDigest } from '../../extension/core/data/keyed';
import { mask, maskText } from '../../extension/core/data/mask';
import { compileScrubPlan, deriveKey, parseStrategy, scrubKeyFrom } from '../../extension/core/data/rules';
import { classifyType } from '../../extension/core/data/sqlTypes';
import { DumpFormatError, type TableProgress } from '../../extension/core/data/types';
import type { Manifest } from '../../extension/core/manifest/schema';
import { column, copyBlocks, dataValues, insertRows, KEY, OTHER_KEY, rejection, SAMPLE_DUMP, samplePlan, scrub, toInserts } from './dataHelpers';
import { tempDir } from './helpers';

const SAMPLE_TEXT = SAMPLE_DUMP.toString('utf8');
const ORIGINAL = copyBlocks(SAMPLE_TEXT);
const customers = ORIGINAL.get('public.customers')!;
const orders = ORIGINAL.get('public.orders')!;
const items = ORIGINAL.get('public.order_items')!;

/** The sample's ruled columns. */
const SCRUBBED: Record<string, string[]> = {
  'public.customers': ['email', 'display_name', 'phone', 'address', 'birth_date'],
  'public.orders': ['shipping_address'],
  'public.order_items': [],
};

const segmenter = new Intl.Segmenter('en', { granularity: 'grapheme' });
const graphemes = (s: string) => [...segmenter.segment(s)].length;
/** The planted bug's condition: a grapheme takes more than one UTF-16 code unit. */
const crashesBadge = (name: string) => name.length > graphemes(name);

let sampleRun: Promise<Awaited<ReturnType<typeof scrub>>> | undefined;
/** The sample dump scrubbed with the sample's rules (once: several tests read it). */
const scrubbedSample = () => (sampleRun ??= scrub(SAMPLE_DUMP, samplePlan()));

describe('the sample dump scrubbed with the sample\'s rules', () => {
  test('no original value of a scrubbed column appears anywhere in the output', async () => {
    const { text } = await scrubbedSample();
    let checked = 0;
    for (const [table, cols] of Object.entries(SCRUBBED)) {
      const block = ORIGINAL.get(table)!;
      for (const col of cols.filter((c) => c !== 'birth_date')) {
        for (const v of new Set(column(block, col))) {
          if (v === null) continue;
          // As text, and as the dump writes it (an address's newlines are "\n" there).
          assert.ok(!text.includes(v), `${table}.${col}: an original value is still in the output`);
          assert.ok(!text.includes(encodeCopyText(v).toString('utf8')), `${table}.${col}: an original value is still in the output (escaped)`);
          checked++;
        }
      }
    }
    assert.ok(checked > 700, `checked ${checked} values`);
  });

  test('birth dates: every one changed, each still a valid date of the same year, never another column\'s value', async () => {
    const out = copyBlocks((await scrubbedSample()).text).get('public.customers')!;
    const before = column(customers, 'birth_date');
    const after = column(out, 'birth_date');
    const elsewhere = new Set([...ORIGINAL.values()].flatMap((b) => b.rows.flatMap((r) => r)).filter((v): v is string => v !== null && !before.includes(v)));
    before.forEach((b, i) => {
      const a = after[i]!;
      if (b === null) return assert.equal(a, null, 'NULL stays NULL');
      assert.notEqual(a, b, `customer ${customers.rows[i]![0]}: birth date unchanged`);
      assert.match(a!, /^\d{4}-\d{2}-\d{2}$/);
      const d = new Date(`${a}T00:00:00Z`);
      assert.equal(d.toISOString().slice(0, 10), a, `${a} is not a real date`);
      assert.equal(a!.slice(0, 4), b.slice(0, 4), 'same year');
      assert.ok(!elsewhere.has(a!));
    });
    // And the originals are nowhere but (by coincidence of day) as another customer's scrubbed date.
    const text = (await scrubbedSample()).text;
    const outside = text.replace(/^COPY public\.customers[\s\S]*?^\\\.$/m, '');
    for (const b of before) if (b !== null) assert.ok(!outside.includes(b));
    const sameRow = before.filter((b, i) => b !== null && after[i] === b);
    assert.deepEqual(sameRow, []);
  });

  test('row counts are production\'s, table by table, in the output and in the summary', async () => {
    const { text, summary } = await scrubbedSample();
    const out = copyBlocks(text);
    for (const [table, block] of ORIGINAL) {
      assert.equal(out.get(table)!.rows.length, block.rows.length, table);
      assert.deepEqual(summary.tables.get(table), { rowsIn: block.rows.length, rowsOut: block.rows.length });
    }
    assert.deepEqual([...summary.tables.keys()].sort(), ['public.customers', 'public.order_items', 'public.orders']);
    assert.equal(summary.bytesIn, SAMPLE_DUMP.length);
    assert.equal(summary.bytesOut, Buffer.byteLength(text));
    assert.deepEqual(summary.missingTables, []);
  });

  test('every column without a rule is byte-identical, so ids and foreign keys still join', async () => {
    const out = copyBlocks((await scrubbedSample()).text);
    for (const [table, block] of ORIGINAL) {
      const o = out.get(table)!;
      assert.deepEqual(o.columns, block.columns);
      for (const col of block.columns.filter((c) => !SCRUBBED[table]!.includes(c))) assert.deepEqual(column(o, col), column(block, col), `${table}.${col}`);
    }
    // The joins themselves: every order's customer and every item's order exist in the clone.
    const ids = new Set(column(out.get('public.customers')!, 'id'));
    for (const c of column(out.get('public.orders')!, 'customer_id')) assert.ok(ids.has(c));
    const orderIds = new Set(column(out.get('public.orders')!, 'id'));
    for (const o of column(out.get('public.order_items')!, 'order_id')) assert.ok(orderIds.has(o));
    assert.deepEqual(out.get('public.order_items')!.rows, items.rows);
  });

  test('every line outside the data is the input\'s own', async () => {
    const { text } = await scrubbedSample();
    const schema = (t: string) => t.split('\n').filter((_, i, all) => {
      const inBlock = all.slice(0, i).reverse().find((x) => x.startsWith('COPY ') || x === '\\.');
      return !inBlock?.startsWith('COPY ');
    });
    assert.deepEqual(schema(text), schema(SAMPLE_TEXT));
  });

  test('equal values scrub equally: a shipping address equal to the customer\'s address still is', async () => {
    const out = copyBlocks((await scrubbedSample()).text);
    const address = new Map(customers.rows.map((r, i) => [r[0], { before: r[4], after: column(out.get('public.customers')!, 'address')[i] }]));
    let same = 0;
    orders.rows.forEach((r, i) => {
      const c = address.get(r[1])!;
      const shipped = column(out.get('public.orders')!, 'shipping_address')[i];
      if (r[4] === c.before) {
        assert.equal(shipped, c.after);
        same++;
      } else assert.notEqual(shipped, c.after);
    });
    assert.ok(same > 100, `${same} orders ship to the customer's address`);
  });

  test('fake emails are on reserved example domains, unique like the originals (customers_email_key)', async () => {
    const emails = column(copyBlocks((await scrubbedSample()).text).get('public.customers')!, 'email');
    for (const e of emails) assert.match(e!, /^[a-z]+[._-][a-z]+[._-][0-9a-z]{8}(\+[a-z]+)?@example\.(com|org|net)$/);
    assert.equal(new Set(emails).size, emails.length);
  });

  test('the same input and key give byte-identical output; another key another output', async () => {
    const a = await scrubbedSample();
    const b = await scrub(SAMPLE_DUMP, samplePlan(), { chunk: 997 }); // any chunking
    assert.ok(a.out.equals(b.out));
    const c = await scrub(SAMPLE_DUMP, samplePlan(OTHER_KEY));
    assert.ok(!a.out.equals(c.out));
    const x = copyBlocks(a.text);
    const y = copyBlocks(c.text);
    for (const [table, cols] of Object.entries(SCRUBBED)) {
      for (const col of cols) {
        const ax = column(x.get(table)!, col);
        const cy = column(y.get(table)!, col);
        const differ = ax.filter((v, i) => v !== null && v !== cy[i]).length;
        assert.ok(differ >= ax.filter((v) => v !== null).length * 0.95, `${table}.${col}: ${differ} values differ between keys`);
      }
    }
  });

  test('chunk boundaries anywhere (inside lines, inside UTF-8 characters) change nothing', async () => {
    const whole = (await scrubbedSample()).out;
    for (const size of [1, 7, 4096]) assert.ok((await scrub(SAMPLE_DUMP, samplePlan(), { chunk: size })).out.equals(whole), `chunks of ${size}`);
  });

  test('the badge still crashes for exactly the customers it crashes for in production (58, 137, 171)', async () => {
    const out = copyBlocks((await scrubbedSample()).text).get('public.customers')!;
    const before = column(customers, 'display_name');
    const after = column(out, 'display_name');
    const crashing = customers.rows.filter((_, i) => crashesBadge(before[i]!)).map((r) => Number(r[0]));
    assert.deepEqual(crashing, [58, 137, 171], 'INCIDENT.md\'s customers');
    before.forEach((name, i) => {
      const masked = after[i]!;
      assert.equal(crashesBadge(masked), crashesBadge(name!), `customer ${customers.rows[i]![0]}`);
      assert.equal(masked.length, name!.length, 'UTF-16 code units');
      assert.equal(graphemes(masked), graphemes(name!), 'graphemes');
      assert.notEqual(masked, name);
    });
    const byId = (id: number) => after[customers.rows.findIndex((r) => r[0] === String(id))]!;
    assert.ok(byId(137).includes(' 🚀 '), 'the emoji is kept');
    assert.equal(byId(58).codePointAt(4), 0x301, 'the combining acute is kept after a bare letter');
    assert.ok(byId(171).includes('👩🏽‍💻'), 'the ZWJ sequence is kept');
  });

  test('mask keeps each character\'s class: case, digits, punctuation, spaces, emoji, marks; letters change', async () => {
    const out = copyBlocks((await scrubbedSample()).text);
    const pairs: [string, string][] = [];
    for (const [table, cols] of Object.entries({ 'public.customers': ['display_name', 'phone', 'address'], 'public.orders': ['shipping_address'] })) {
      for (const col of cols) {
        const b = column(ORIGINAL.get(table)!, col);
        const a = column(out.get(table)!, col);
        b.forEach((v, i) => v !== null && pairs.push([v, a[i]!]));
      }
    }
    const cls = (c: string) => (/\p{Lu}/u.test(c) ? 'Lu' : /\p{Ll}/u.test(c) ? 'Ll' : /\p{Lo}/u.test(c) ? 'Lo' : /\p{Nd}/u.test(c) ? 'Nd' : `=${c}`);
    let letters = 0;
    let changed = 0;
    for (const [before, after] of pairs) {
      const b = [...before];
      const a = [...after];
      assert.equal(after.length, before.length);
      assert.equal(a.length, b.length);
      assert.equal(Buffer.byteLength(after), Buffer.byteLength(before), 'UTF-8 length too');
      b.forEach((c, i) => {
        assert.equal(cls(a[i]!), cls(c), `${cls(c)} at ${i}`); // "=x": kept as it is
        assert.equal(a[i]!.normalize('NFD').length > 1, c.normalize('NFD').length > 1, 'precomposed stays precomposed');
        if (/[\p{L}\p{Nd}]/u.test(c) && !/\p{Lm}/u.test(c)) {
          letters++;
          if (a[i] !== c) changed++;
        }
      });
    }
    assert.equal(changed, letters, 'every letter and digit is replaced');
  });

  test('the summary fingerprints originals of scrubbed columns (never the values) and none is in the clone', async () => {
    const { text, summary } = await scrubbedSample();
    assert.deepEqual([...summary.fingerprints.keys()].sort(), ['public.customers.address', 'public.customers.birth_date', 'public.customers.display_name', 'public.customers.email', 'public.customers.phone', 'public.orders.shipping_address']);
    const emails = new Set(column(customers, 'email'));
    assert.equal(summary.fingerprints.get('public.customers.email')!.size, emails.size);
    for (const e of emails) assert.ok(summary.fingerprints.get('public.customers.email')!.has(fingerprint(KEY, e!)));
    const out = copyBlocks(text);
    for (const [col, set] of summary.fingerprints) {
      const [schema, table, name] = col.split('.');
      for (const v of column(out.get(`${schema}.${table}`)!, name!)) {
        if (v !== null && name !== 'birth_date') assert.ok(!set.has(fingerprint(KEY, v)), `${col}: a clone value is an original`);
      }
      for (const f of set) assert.match(f, /^[0-9a-f]{64}$/);
    }
    // Bounded: the first N non-null values of each column.
    const small = await scrub(SAMPLE_DUMP, samplePlan(), { fingerprintSample: 10 });
    for (const [col, set] of small.summary.fingerprints) {
      const [schema, table, name] = col.split('.');
      const first = column(ORIGINAL.get(`${schema}.${table}`)!, name!).filter((v) => v !== null).slice(0, 10);
      assert.deepEqual(set, new Set(first.map((v) => fingerprint(KEY, v!))), col);
    }
  });

  test('progress: each table reports done with its row count', async () => {
    const events: TableProgress[] = [];
    await scrub(SAMPLE_DUMP, samplePlan(), { onProgress: (p) => events.push(p), chunk: 8192 });
    const done = events.filter((e) => e.done);
    assert.deepEqual(done.map((e) => [e.table, e.rows]), [['public.customers', 200], ['public.order_items', 1325], ['public.orders', 542]]);
    assert.ok(events.some((e) => !e.done), 'progress before the end of a table');
  });
});

describe('INSERT-format dumps (pg_dump --inserts, --column-inserts, --rows-per-insert)', () => {
  for (const style of ['values', 'columns', 'multi'] as const) {
    test(`${style}: scrubbed exactly as the COPY dump, value for value`, async () => {
      const dump = toInserts(SAMPLE_TEXT, style);
      assert.ok(dump.includes('\nINSERT INTO public.customers '));
      const { out, summary } = await scrub(dump, samplePlan(), { chunk: 1000 });
      const viaCopy = copyBlocks((await scrubbedSample()).text);
      const viaInsert = insertRows(out);
      for (const [table, block] of viaCopy) {
        assert.deepEqual(viaInsert.get(table)!.rows, block.rows, table);
        assert.deepEqual(summary.tables.get(table), { rowsIn: block.rows.length, rowsOut: block.rows.length });
      }
      // Statements of tables without rules are the input's own bytes.
      const kept = (t: string) => t.split('\n').filter((l) => l.startsWith('INSERT INTO public.order_items'));
      assert.deepEqual(kept(out.toString('utf8')), kept(dump));
    });
  }

  test('quotes, backslashes, real newlines and E\'\' strings in literals', async () => {
    const dump = [
      'SET standard_conforming_strings = on;',
      'CREATE TABLE public.notes (',
      '    id integer NOT NULL,',
      '    body text,',
      '    kept text',
      ');',
      "INSERT INTO public.notes VALUES (1, 'it''s a C:\\path', 'x;y'), (2, E'tab\\there\\nline', 'multi",
      "line ; with INSERT INTO public.notes VALUES (9, ''no'')');",
      'INSERT INTO public.notes (id, body, kept) VALUES (3, NULL, NULL);',
      '',
    ].join('\n');
    const plan = compileScrubPlan({ source: { dump: 'x' }, tables: { notes: { columns: { body: 'mask' } } } }, KEY);
    const { out, summary } = await scrub(dump, plan, { chunk: 5 });
    const rows = insertRows(out).get('public.notes')!.rows;
    assert.deepEqual(summary.tables.get('public.notes'), { rowsIn: 3, rowsOut: 3 });
    assert.deepEqual(rows.map((r) => r[0]), ['1', '2', '3']);
    assert.equal(rows[0]![1], maskText(KEY, 'it\'s a C:\\path'));
    assert.equal(rows[1]![1], maskText(KEY, 'tab\there\nline'));
    assert.deepEqual(rows.map((r) => r[2]), ['x;y', "multi\nline ; with INSERT INTO public.notes VALUES (9, 'no')", null]);
    assert.equal(rows[2]![1], null);
  });

  test('standard_conforming_strings off: backslashes escape, and the output reads back the same', async () => {
    const dump = "SET standard_conforming_strings = off;\nINSERT INTO public.notes (id, body) VALUES (1, 'a\\'b\\\\c');\n";
    const plan = compileScrubPlan({ source: { dump: 'x' }, tables: { notes: { columns: { body: 'mask' } } } }, KEY);
    const { out } = await scrub(dump, plan);
    assert.equal(insertRows(out).get('public.notes')!.rows[0]![1], maskText(KEY, "a'b\\c"));
  });
});

describe('COPY text format', () => {
  const hostile = ['', 'plain', 'tab\there', 'new\nline', 'cr\rlf\r\n', 'back\\slash', '\\N', '\\.', '\\', 'trailing\\', '\b\f\v', '\u0001\u007f', 'é 🚀 e\u0301', '\\x41\\101'];

  test('every value, NULL included, round-trips through encode and decode', () => {
    for (const v of [...hostile, null]) {
      assert.equal(decodeCopyText(encodeCopyText(v)), v, JSON.stringify(v));
      assert.ok(!encodeCopyText(v).includes(0x09) && !encodeCopyText(v).includes(0x0a) && !encodeCopyText(v).includes(0x0d));
    }
    assert.deepEqual(parseCopyLine(formatCopyLine([...hostile, null])), [...hostile, null]);
    const bytes = Buffer.from([0, 1, 0x5c, 0x09, 0xff, 0xc3]);
    assert.ok(decodeCopyField(encodeCopyField(bytes))!.equals(bytes), 'any bytes');
  });

  test('\\N is NULL, the two characters "\\N" are not', () => {
    assert.equal(decodeCopyText(Buffer.from('\\N')), null);
    assert.equal(encodeCopyText('\\N').toString(), '\\\\N');
    assert.equal(decodeCopyText(Buffer.from('\\\\N')), '\\N');
    assert.equal(decodeCopyText(Buffer.from('a\\N')), 'aN', 'inside a longer field \\N is N');
  });

  test('octal and hex escapes are bytes (a UTF-8 character may be spelled byte by byte)', () => {
    assert.equal(decodeCopyText(Buffer.from('\\101\\x42\\x4')), 'AB\u0004');
    assert.equal(decodeCopyText(Buffer.from('\\342\\202\\254 \\xe2\\x82\\xac')), '€ €');
    assert.equal(decodeCopyText(Buffer.from('\\b\\f\\n\\r\\t\\v\\q\\xg')), '\b\f\n\r\t\vqxg');
    assert.deepEqual(splitCopyLine(Buffer.from('a\t\tb\\tc')).map(String), ['a', '', 'b\\tc']);
  });

  test('a dump of hostile values: kept columns stay byte for byte, masked ones keep their shape', async () => {
    const rows = hostile.map((v, i) => `${i}\t${encodeCopyText(v)}\t${encodeCopyText(v)}\t\\x4142`);
    rows.push(`99\t\\N\t\\N\t\\N`);
    rows.push('100\t\\101\\x42\t\\101\\x42\t\\x');
    const dump = ['CREATE TABLE public.t (', '    id integer NOT NULL,', '    a text,', '    b text,', '    c bytea', ');', 'COPY public.t (id, a, b, c) FROM stdin;', ...rows, '\\.', ''].join('\r\n');
    const plan = compileScrubPlan({ source: { dump: 'x' }, tables: { t: { columns: { a: 'mask', c: 'keep' } } } }, KEY);
    const { text } = await scrub(dump, plan, { chunk: 3 });
    const inLines = dump.split('\r\n');
    const outLines = text.split('\r\n');
    assert.equal(outLines.length, inLines.length, 'CRLF line ends kept');
    const start = inLines.indexOf('COPY public.t (id, a, b, c) FROM stdin;') + 1;
    rows.forEach((_, k) => {
      const i = start + k;
      const before = inLines[i]!.split('\t');
      const after = outLines[i]!.split('\t');
      assert.equal(after[0], before[0]);
      assert.equal(after[2], before[2], 'b untouched, escapes as written');
      assert.equal(after[3], before[3], 'c untouched');
      const v = decodeCopyText(Buffer.from(before[1]!));
      const m = decodeCopyText(Buffer.from(after[1]!));
      assert.equal(m, mask(KEY, v));
      if (v !== null) assert.equal(m!.length, v.length);
    });
  });
});

describe('mask, fake, hash and redact, value by value', () => {
  test('mask: deterministic per key, shape kept, NULL stays NULL', () => {
    assert.equal(mask(KEY, null), null);
    const v = 'Zoë 🚀 Kovač, +1 (628) 555-9681; Jose\u0301 Álvarez — Йордан Νίκος 박민준 欧阳子涵 نور נועה 佐藤 さくら';
    const m = maskText(KEY, v);
    assert.equal(maskText(KEY, v), m);
    assert.notEqual(maskText(OTHER_KEY, v), m);
    assert.equal(m.length, v.length);
    assert.equal([...m].length, [...v].length);
    assert.equal(graphemes(m), graphemes(v));
    assert.match(m, /^\p{Lu}\p{Ll}\p{Ll} 🚀 \p{Lu}\p{Ll}{4}, \+\d \(\d{3}\) \d{3}-\d{4}; \p{Lu}\p{Ll}{3}\u0301 /u);
    assert.equal(m.indexOf('\u0301'), v.indexOf('\u0301'));
    const scripts = ['Latin', 'Cyrillic', 'Greek', 'Hangul', 'Han', 'Arabic', 'Hebrew', 'Hiragana'];
    [...v].forEach((c, i) => {
      for (const s of scripts) if (new RegExp(`\\p{Script=${s}}`, 'u').test(c)) assert.match([...m][i]!, new RegExp(`\\p{Script=${s}}`, 'u'), `${s} stays ${s}`);
    });
    assert.equal(maskText(KEY, ''), '');
    assert.equal(maskText(KEY, '—, ! 🚀'), '—, ! 🚀');
  });

  test('mask: letters that join graphemes stay letters that join them the same way', () => {
    // Conjoining Hangul jamo (L V T), Thai SARA AM (a letter that is a spacing mark), Devanagari
    // conjuncts, Kirat Rai vowel signs (letters with the Hangul V break class since Unicode 16),
    // each with a plain letter of its block beside it: the pools of a first use are segmented in
    // one batch, and that batch must break every letter exactly as it breaks alone.
    const segments = (s: string) => [...segmenter.segment(s)].map((g) => g.segment.length);
    for (const v of ['\u1100\u1161\u11a8 \u1112\u1175 각', 'กำลัง ข้าว', 'क्षत्रिय स्त्री', '\u{16D43}\u{16D63}\u{16D45}\u{16D67} \u{16D50}']) {
      const m = maskText(KEY, v);
      assert.notEqual(m, v);
      assert.deepEqual(segments(m), segments(v), `${JSON.stringify(v)} -> ${JSON.stringify(m)}`);
    }
  });

  test('mask: a value of any length, astral letters and a lone surrogate keep their shape', () => {
    // Longer than the masker's shared buffer and than one String.fromCharCode slice.
    const unit = 'Ab1 𝐀𝐛 é, ';
    const v = `${unit.repeat(2000)}\ud800 end`;
    const m = maskText(KEY, v);
    assert.equal(m.length, v.length);
    assert.equal([...m].length, [...v].length);
    assert.equal(Buffer.byteLength(m), Buffer.byteLength(v));
    assert.notEqual(m, v);
    [...v].forEach((c, i) => {
      const d = [...m][i]!;
      if (/[\p{L}\p{Nd}]/u.test(c)) assert.match(d, /\p{Lu}/u.test(c) ? /\p{Lu}/u : /\p{Ll}/u.test(c) ? /\p{Ll}/u : /\p{Nd}/u, `${c} at ${i}`);
      else assert.equal(d, c, `${JSON.stringify(c)} at ${i} is kept`);
    });
    assert.equal(m.slice(-5), '\ud800 end'.replace('end', m.slice(-3)), 'the lone surrogate is kept as it is');
    assert.equal(maskText(KEY, v), m, 'deterministic');
  });

  test('the keyed digest every strategy draws on is HMAC-SHA256 to the bit, for any key and value', () => {
    const keys = [KEY, Buffer.alloc(64, 7), Buffer.from('a key longer than the 64-byte block of sha256, so it is hashed first', 'utf8')];
    const values = ['', 'ada@example.com', 'Zoë Ångström', '👩‍👩‍👧 家族', 'e\u0301', '\ud800 lone', 'x'.repeat(5000), 'é'.repeat(70_000),
      // Every length of padding: messages ending on each side of the block and length-field boundaries.
      ...Array.from({ length: 200 }, (_, i) => 'a'.repeat(i)), ...Array.from({ length: 20 }, (_, i) => '€'.repeat(330 + i))];
    for (const k of keys) {
      for (const v of values) {
        const want = createHmac('sha256', k).update('mask\0').update(v).digest();
        assert.deepEqual(keyedDigest(k, 'mask', v), want, `key of ${k.length} bytes, value of ${v.length} units`);
      }
    }
    // A long value goes through createHmac; a short one after it must not see its tail.
    assert.deepEqual(keyedDigest(KEY, 'mask', 'ab'), createHmac('sha256', KEY).update('mask\0').update('ab').digest());
    // The domain's bytes are kept between calls: alternating domains of other lengths.
    for (const domain of ['fake:email', 'mask', 'hash-int64:3', 'fake:email', 'é', 'mask']) {
      assert.deepEqual(keyedDigest(KEY, domain, 'ab'), createHmac('sha256', KEY).update(`${domain}\0`).update('ab').digest(), domain);
    }
  });

  test('fake: each kind plausible, deterministic, and never a real domain or routable address', () => {
    const f = (k: Parameters<typeof fakeValue>[0], v: string, cidr = false) => fakeValue(k, KEY, v, { cidr });
    assert.equal(f('email', 'ruby.taylor@outlook.com'), f('email', 'ruby.taylor@outlook.com'));
    assert.match(f('email', 'tomas.babic+shop@seznam.cz'), /^[a-z]+\.[a-z]+\.[0-9a-z]{8}\+[a-z]+@example\.(com|org|net)$/);
    assert.match(f('phone', '+44 7700 040774'), /^\+44 \d{4} \d{6}$/);
    assert.notEqual(f('phone', '+44 7700 040774'), '+44 7700 040774');
    assert.match(f('phone', '+1 (628) 555-9681'), /^\+1 \(\d{3}\) \d{3}-\d{4}$/);
    assert.match(f('ip', '81.2.69.160'), /^(192\.0\.2|198\.51\.100|203\.0\.113)\.\d{1,3}$/);
    assert.match(f('ip', '2a00:1450:4007:80c::200e'), /^2001:db8:/);
    assert.match(f('ip', '10.1.2.0/24', true), /^(192\.0\.2|198\.51\.100|203\.0\.113)\.0\/24$/);
    assert.match(f('uuid', '0b7a5f1c-8d3e-4c2a-9f1b-2e3d4c5b6a79'), /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    assert.equal(f('text', 'some twenty-one chars').length, 21);
    assert.equal(f('address', '715 Oak Avenue\nPortland, OR 97205\nUSA').split('\n').length, 3);
    for (const v of ['1950-10-16', '16/10/1950', '1950/10/16', '19501016', '2021-01-07 09:13:07.103718+00']) {
      const d = f('date', v);
      assert.equal(d.replace(/\d/g, '9'), v.replace(/\d/g, '9'), `${v} keeps its format`);
      const [y, m, day] = /^\d{4}-/.test(d) ? d.slice(0, 10).split('-').map(Number) : /^\d{8}$/.test(d) ? [+d.slice(0, 4), +d.slice(4, 6), +d.slice(6)] : d.includes('/') && d.indexOf('/') === 4 ? d.split('/').map(Number) : d.split('/').reverse().map(Number);
      const date = new Date(Date.UTC(y!, m! - 1, day));
      assert.ok(date.getUTCMonth() === m! - 1 && date.getUTCDate() === day, `${d} is a real date`);
    }
    for (const k of ['name', 'first_name', 'last_name', 'city', 'company'] as const) assert.match(f(k, 'x'), /^[\p{L} ]+$/u);
  });

  test('hash is type-aware: dates stay valid dates of the same year, integers stay in range and distinct', () => {
    const date = classifyType('date');
    for (const v of column(customers, 'birth_date')) {
      if (v === null) continue;
      const h = hashValue(KEY, v, date);
      assert.equal(new Date(`${h}T00:00:00Z`).toISOString().slice(0, 10), h);
      assert.equal(h.slice(0, 4), v.slice(0, 4));
      assert.notEqual(h, v);
    }
    assert.equal(hashValue(KEY, '2000-02-29', date).slice(0, 4), '2000');
    assert.equal(hashValue(KEY, 'infinity', date), 'infinity');
    const ts = hashValue(KEY, '2021-01-07 09:13:07.103718+00', classifyType('timestamp with time zone'));
    assert.match(ts, /^2021-\d{2}-\d{2} \d{2}:\d{2}:\d{2}\.\d{6}\+00$/);
    assert.ok(!Number.isNaN(Date.parse(ts.replace(' ', 'T').replace(/\+00$/, 'Z'))));
    const int = classifyType('integer');
    const seen = new Set<string>();
    for (let i = -500; i < 500; i++) {
      const h = hashValue(KEY, String(i), int);
      assert.ok(Number(h) >= -(2 ** 31) && Number(h) < 2 ** 31);
      seen.add(h);
    }
    assert.equal(seen.size, 1000, 'a permutation: no collisions');
    const big = hashValue(KEY, '9223372036854775807', classifyType('bigint'));
    assert.ok(BigInt(big) >= -(2n ** 63n) && BigInt(big) < 2n ** 63n);
    assert.ok(Math.abs(Number(hashValue(KEY, '7', classifyType('smallint')))) < 2 ** 15);
    assert.match(hashValue(KEY, 'x', classifyType('character varying(12)')), /^[0-9a-f]{12}$/);
    assert.match(hashValue(KEY, 'x', classifyType('uuid')), /^[0-9a-f]{8}-[0-9a-f]{4}-4/);
    assert.throws(() => hashValue(KEY, 'x', classifyType('point')), /hash does not know type point/);
  });

  test('redact: a neutral value of the type, NULL where the type has none', () => {
    assert.equal(redactValue(classifyType('text')), 'REDACTED');
    assert.equal(redactValue(classifyType('character varying(5)')), 'REDAC');
    assert.equal(redactValue(classifyType('bytea')), '\\x');
    assert.equal(redactValue(classifyType('jsonb')), '{}');
    assert.equal(redactValue(classifyType('text[]')), '{}');
    assert.equal(redactValue(classifyType('date')), null);
  });

  test('a hashed date column in a dump: valid dates, and redact on a NOT NULL date is refused up front', async () => {
    const { text } = await scrubbedSample();
    for (const v of column(copyBlocks(text).get('public.customers')!, 'birth_date')) if (v !== null) assert.ok(!Number.isNaN(Date.parse(v)));
    const e = await rejection(scrub(SAMPLE_DUMP, samplePlan(KEY, (d) => {
      d.tables!.customers!.columns!.created_at = 'redact';
    })));
    assert.ok(e instanceof DumpFormatError);
    assert.match(e.message, /public\.customers\.created_at \(redact, type timestamp with time zone\): .*NOT NULL.*use hash or fake:date/);
  });
});

describe('what stops the scrubber', () => {
  const lines = SAMPLE_TEXT.split('\n');
  const copyLine = lines.findIndex((l) => l.startsWith('COPY public.customers')) + 1;

  test('a dump cut off inside a COPY block: DumpFormatError naming the table and the line', async () => {
    for (const cut of [lines.slice(0, copyLine + 50).join('\n') + '\n', lines.slice(0, copyLine + 50).join('\n').slice(0, -20)]) {
      const e = await rejection(scrub(cut, samplePlan()));
      assert.ok(e instanceof DumpFormatError, String(e));
      assert.match(e.message, /ends inside the data of public\.customers \(COPY at line 155\) without its "\\\." terminator: it was cut off \(dump line 20\d\)/);
    }
  });

  test('a table without rules cut off is caught too, and so is a dump cut after its data', async () => {
    const at = lines.findIndex((l) => l.startsWith('COPY public.order_items')) + 10;
    const e = await rejection(scrub(lines.slice(0, at).join('\n') + '\n', samplePlan()));
    assert.match(e.message, /public\.order_items .*cut off/);
    const trailer = lines.findIndex((l) => l.includes('customers_pkey'));
    const e2 = await rejection(scrub(lines.slice(0, trailer).join('\n') + '\n', samplePlan()));
    assert.ok(e2 instanceof DumpFormatError);
    assert.match(e2.message, /"dump complete" trailer: it was cut off/);
  });

  test('an unterminated INSERT, and an unterminated string', async () => {
    const dump = toInserts(SAMPLE_TEXT, 'multi');
    const cut = dump.slice(0, dump.indexOf('INSERT INTO public.orders') + 3000);
    const e = await rejection(scrub(cut, samplePlan()));
    assert.ok(e instanceof DumpFormatError);
    assert.match(e.message, /ends inside the INSERT statement for public\.orders that starts at line \d+: it was cut off/);
    const e2 = await rejection(scrub("CREATE FUNCTION f() RETURNS int AS $$ select 1; \n", samplePlan()));
    assert.match(e2.message, /ends inside a dollar-quoted string opened at line 1/);
  });

  test('a rule naming a column the table does not have: at its CREATE TABLE, naming it and listing the columns', async () => {
    const e = await rejection(scrub(SAMPLE_DUMP, samplePlan(KEY, (d) => {
      d.tables!.customers!.columns!.emial = 'fake:email';
    })));
    assert.ok(e instanceof DumpFormatError);
    assert.equal(e.message, 'repro.yaml has a rule for public.customers.emial, but the dump\'s table public.customers has no column "emial" (its columns: id, email, display_name, phone, address, birth_date, created_at) (dump line 27)');
    assert.equal((e as DumpFormatError).line, lines.indexOf('CREATE TABLE public.customers (') + 1);
    // With no CREATE TABLE (a data-only dump), the COPY header is where it is caught.
    const dataOnly = lines.slice(copyLine - 1).join('\n');
    const e2 = await rejection(scrub(dataOnly, samplePlan(KEY, (d) => {
      d.tables!.customers!.columns!.emial = 'fake:email';
      delete d.tables!.customers!.columns!.birth_date; // hash needs the type, which a data-only dump lacks
    })));
    assert.match(e2.message, /no column "emial" \(its columns: id, email, .*\) \(dump line 1\)$/);
  });

  test('strategies the column type cannot hold are refused before any row, with what can', async () => {
    const dump = ['CREATE TABLE public.t (', '    id integer NOT NULL,', '    doc jsonb,', '    pic bytea,', '    tags text[],', '    n integer,', '    nn text NOT NULL,', '    flag boolean,', '    must boolean NOT NULL', ');', 'COPY public.t (id, doc, pic, tags, n, nn, flag, must) FROM stdin;', '1\t{}\t\\\\x00\t{a}\t1\tx\tt\tf', '\\.', ''].join('\n');
    const cases: [Record<string, string>, RegExp][] = [
      [{ doc: 'mask' }, /public\.t\.doc \(mask, type jsonb\): mask cannot apply to type jsonb .*use null, redact or keep/],
      [{ pic: 'fake:text' }, /public\.t\.pic .*use null, redact or keep/],
      [{ tags: 'hash' }, /public\.t\.tags .*use null, redact or keep/],
      [{ n: 'mask' }, /public\.t\.n .*use hash/],
      [{ nn: 'null' }, /public\.t\.nn \(null, type text\): null cannot apply: the column is NOT NULL/],
      [{ n: 'fake:email' }, /fake:email makes text, not integer: use hash/],
      // A hash of a boolean could only keep or swap it: refused rather than silently kept.
      [{ flag: 'hash' }, /public\.t\.flag \(hash, type boolean\): hash cannot hide a boolean .*use null or keep/],
      [{ must: 'hash' }, /public\.t\.must \(hash, type boolean\): hash cannot hide a boolean .*: use keep \(dump line 1\)$/],
      [{ must: 'redact' }, /public\.t\.must \(redact, type boolean\): redact has no neutral value of type boolean for a NOT NULL column: use keep/],
    ];
    for (const [columns, message] of cases) {
      const e = await rejection(scrub(dump, compileScrubPlan({ source: { dump: 'x' }, tables: { t: { columns } } }, KEY)));
      assert.ok(e instanceof DumpFormatError);
      assert.match(e.message, message);
      assert.match(e.message, /\(dump line 1\)$/, 'at the CREATE TABLE');
    }
    const ok = await scrub(dump, compileScrubPlan({ source: { dump: 'x' }, tables: { t: { columns: { doc: 'redact', pic: 'redact', tags: 'null', n: 'hash', nn: 'redact' } } } }, KEY));
    assert.deepEqual(copyBlocks(ok.text).get('public.t')!.rows, [['1', '{}', '\\x', null, hashValue(KEY, '1', classifyType('integer')), 'REDACTED', 't', 'f']]);
  });

  test('a row with the wrong number of fields, a line over the cap', async () => {
    const dump = SAMPLE_TEXT.replace('\n1\truby.taylor@outlook.com\t', '\n1\truby.taylor@outlook.com\textra\t');
    const e = await rejection(scrub(dump, samplePlan()));
    assert.equal(e.message, 'a row of public.customers has 8 fields where its COPY header names 7 columns (dump line 156)');
    const e2 = await rejection(scrub(SAMPLE_DUMP, samplePlan(), { maxLineBytes: 200, chunk: 64 }));
    assert.ok(e2 instanceof DumpFormatError);
    assert.match(e2.message, /line \d+ is longer than 200 bytes/);
  });

  test('error messages never contain a data value', async () => {
    const values = dataValues(SAMPLE_TEXT);
    assert.ok(values.length > 1000);
    const bad = SAMPLE_TEXT.replace(/\t1950-10-16\t/, '\tnot a date!\t');
    const failing = [
      scrub(SAMPLE_TEXT.slice(0, 30000), samplePlan()),
      scrub(SAMPLE_TEXT.replace('\n1\truby.taylor@outlook.com\t', '\n1\truby.taylor@outlook.com\tx\t'), samplePlan()),
      scrub(bad, samplePlan()),
      scrub(SAMPLE_TEXT.replace('Ruby Taylor', 'Ruby \\377Taylor'), samplePlan()),
      scrub(SAMPLE_DUMP, samplePlan(KEY, (d) => void (d.tables!.customers!.columns!.email = 'null'))),
      scrub(SAMPLE_DUMP, samplePlan(KEY, (d) => void (d.tables!.orders!.columns!.nope = 'mask'))),
      scrub(toInserts(SAMPLE_TEXT, 'values').slice(0, 40000), samplePlan()),
    ];
    const messages: string[] = [];
    for (const p of failing) {
      const e = await rejection(p);
      assert.ok(e instanceof DumpFormatError, String(e));
      messages.push(e.message);
    }
    assert.match(messages[2]!, /public\.customers\.birth_date: a value is not an ISO date \(type date\) \(dump line 156\)/);
    assert.match(messages[3]!, /public\.customers\.display_name: a value is not valid UTF-8/);
    for (const m of messages) for (const v of [...values, 'not a date!', 'Taylor']) assert.ok(!m.includes(v), `"${m}" holds a data value`);
  });
});

describe('what the scrubber leaves alone', () => {
  test('COPY and INSERT text inside strings, function bodies and comments is not data', async () => {
    const body = [
      '--',
      '-- PostgreSQL database dump',
      '--',
      'CREATE TABLE public.customers (',
      '    id integer NOT NULL,',
      '    email text NOT NULL',
      ');',
      'CREATE FUNCTION public.f() RETURNS void LANGUAGE sql AS $_$',
      'COPY public.customers (id, email) FROM stdin;',
      "INSERT INTO public.customers VALUES (1, 'x@y.z');",
      '$_$;',
      "COMMENT ON TABLE public.customers IS 'has rows like",
      'COPY public.customers (id, email) FROM stdin;',
      "and '' too, ends here';",
      '/* COPY public.customers (id, email) FROM stdin;',
      ' */',
      'COPY public.customers (id, email) FROM stdin;',
      '1\treal@example.org',
      '\\.',
      '--',
      '-- PostgreSQL database dump complete',
      '--',
      '',
    ].join('\n');
    const { text, summary } = await scrub(body, compileScrubPlan({ source: { dump: 'x' }, tables: { customers: { columns: { email: 'mask' } } } }, KEY));
    assert.deepEqual(summary.tables.get('public.customers'), { rowsIn: 1, rowsOut: 1 });
    assert.equal(text.replace(/^1\t.*$/m, '1\tMASKED'), body.replace('1\treal@example.org', '1\tMASKED'));
    assert.ok(!text.includes('real@example.org'));
  });

  test('a rule on a partitioned or parent table reaches the rows pg_dump writes under its partitions and children', async () => {
    const dump = [
      'CREATE TABLE public.events (',
      '    id integer NOT NULL,',
      '    email text',
      ')',
      'PARTITION BY RANGE (id);',
      'CREATE TABLE public.events_2024 PARTITION OF public.events FOR VALUES FROM (0) TO (100);',
      'CREATE TABLE public.people (',
      '    id integer NOT NULL,',
      '    email text',
      ');',
      'CREATE TABLE public.staff (',
      '    badge text',
      ')',
      'INHERITS (public.people);',
      'COPY public.events_2024 (id, email) FROM stdin;',
      '1\tana@mail.example',
      '\\.',
      'COPY public.staff (id, email, badge) FROM stdin;',
      '2\tbo@mail.example\tB-7',
      '\\.',
      '',
    ].join('\n');
    const plan = compileScrubPlan({ source: { dump: 'x' }, tables: { events: { columns: { email: 'fake:email' } }, people: { columns: { email: 'mask' } } } }, KEY);
    const { text } = await scrub(dump, plan);
    const out = copyBlocks(text);
    assert.match(column(out.get('public.events_2024')!, 'email')[0]!, /@example\.(com|org|net)$/);
    assert.equal(column(out.get('public.staff')!, 'email')[0], maskText(KEY, 'bo@mail.example'));
    assert.equal(column(out.get('public.staff')!, 'badge')[0], 'B-7');
    const e = await rejection(scrub(dump, compileScrubPlan({ source: { dump: 'x' }, tables: { people: { columns: { mail: 'mask' } } } }, KEY)));
    assert.match(e.message, /^repro\.yaml has a rule for public\.people\.mail, but the dump's table public\.people has no column "mail"/);
  });

  test('truncate drops the rows and keeps the block; tables the dump lacks are listed', async () => {
    const { text, summary } = await scrub(SAMPLE_DUMP, samplePlan(KEY, (d) => {
      d.tables!.order_items = { truncate: true };
      d.tables!.audit_log = { truncate: true };
    }));
    const out = copyBlocks(text);
    assert.deepEqual(out.get('public.order_items')!.rows, []);
    assert.deepEqual(summary.tables.get('public.order_items'), { rowsIn: 1325, rowsOut: 0 });
    assert.deepEqual(summary.missingTables, ['public.audit_log']);
    const ins = await scrub(toInserts(SAMPLE_TEXT, 'values'), samplePlan(KEY, (d) => void (d.tables!.order_items = { truncate: true })));
    assert.ok(!ins.text.includes('INSERT INTO public.order_items'));
    assert.deepEqual(ins.summary.tables.get('public.order_items'), { rowsIn: 1325, rowsOut: 0 });
  });

  test('keep, null and an unruled pass-through table cost nothing: the output is the input', async () => {
    const plan = compileScrubPlan({ source: { dump: 'x' }, tables: { customers: { columns: { email: 'keep' } } } }, KEY);
    const { out } = await scrub(SAMPLE_DUMP, plan);
    assert.ok(out.equals(SAMPLE_DUMP));
    const nulled = await scrub(SAMPLE_DUMP, compileScrubPlan({ source: { dump: 'x' }, tables: { customers: { columns: { phone: 'null' } } } }, KEY));
    assert.ok(column(copyBlocks(nulled.text).get('public.customers')!, 'phone').every((v) => v === null));
  });
});

describe('rules and key', () => {
  test('the plan qualifies and lower-cases names; its identity follows rules and key, never shows the key', () => {
    const plan = compileScrubPlan({ source: { dump: 'x' }, tables: { Customers: { columns: { Email: 'FAKE:email', phone: 'mask' }, where: 'id < 10' }, 'sales.Orders': { truncate: true } }, acknowledge: ['customers.notes', 'Sales.Orders.Memo'] }, KEY);
    assert.deepEqual([...plan.tables.keys()], ['public.customers', 'sales.orders']);
    assert.deepEqual(plan.tables.get('public.customers')!.columns.get('email'), { kind: 'fake', fake: 'email' });
    assert.equal(plan.tables.get('public.customers')!.where, 'id < 10');
    assert.equal(plan.tables.get('sales.orders')!.truncate, true);
    assert.deepEqual([...plan.acknowledged], ['public.customers.notes', 'sales.orders.memo']);
    assert.match(plan.identity, /^[0-9a-f]{64}$/);
    const again = compileScrubPlan({ source: { dump: 'y' }, tables: { 'sales.orders': { truncate: true }, customers: { where: 'id < 10', columns: { phone: 'mask', email: 'fake:email' } } }, acknowledge: ['sales.orders.memo', 'public.customers.notes'] }, KEY);
    assert.equal(again.identity, plan.identity, 'the order of rules does not matter, the source does not count');
    assert.notEqual(samplePlan(OTHER_KEY).identity, samplePlan(KEY).identity);
    assert.notEqual(samplePlan(KEY, (d) => void (d.tables!.orders!.columns!.shipping_address = 'null')).identity, samplePlan(KEY).identity);
    assert.ok(!plan.identity.includes(KEY.toString('hex')));
    assert.throws(() => parseStrategy('fake:ssn', 'x.y'), /x\.y: unknown fake kind "ssn"/);
    assert.throws(() => parseStrategy('scramble'), /unknown strategy "scramble"/);
  });

  test('the key: HKDF of the env variable repro.yaml names, an error naming a missing one, else a 0600 key file', () => {
    const manifest = { version: 1, project: { name: 'shop' }, scrub: { key: { env: 'SHOP_SCRUB_KEY' } } } as Manifest;
    const k = scrubKeyFrom({ SHOP_SCRUB_KEY: 's3cret' }, manifest);
    assert.deepEqual(k, { key: deriveKey('s3cret'), source: 'env:SHOP_SCRUB_KEY' });
    assert.equal(k.key.length, 32);
    assert.notDeepEqual(deriveKey('s3cret'), deriveKey('s3cret '));
    assert.throws(() => scrubKeyFrom({}, manifest), /the scrubbing key variable SHOP_SCRUB_KEY is not set/);
    const file = path.join(tempDir(), 'keys', 'shop.key');
    const bare = { version: 1, project: { name: 'shop' } } as Manifest;
    const first = scrubKeyFrom({}, bare, file);
    assert.equal(first.source, `file:${file}`);
    assert.equal(fs.statSync(file).mode & 0o777, 0o600);
    assert.deepEqual(scrubKeyFrom({}, bare, file).key, first.key, 'the same key next time');
    assert.throws(() => scrubKeyFrom({}, bare), /no scrubbing key/);
  });
});

describe('the scrubber\'s output writer', () => {
  test('ranges and buffers come out in order, byte for byte, across slab boundaries; long runs uncopied', () => {
    const src = Buffer.from(Array.from({ length: 600_000 }, (_, i) => (i * 7919) % 251));
    const w = new ChunkWriter();
    const want: Buffer[] = [];
    const got: Buffer[] = [];
    const lengths = [0, 1, 2, 47, 48, 49, 50, 255, 4095, 4096, 4097, 200_000, 300_000];
    let at = 0;
    for (let i = 0; i < 2_000; i++) {
      const n = lengths[(i * 31) % lengths.length]!;
      const start = (at += 13) % (src.length - n);
      if (i % 5 === 4) {
        const fresh = Buffer.from(`field ${i}\t`);
        w.bytes(fresh);
        want.push(fresh);
      } else {
        w.range(src, start, start + n);
        want.push(src.subarray(start, start + n));
      }
      if (i % 97 === 0) got.push(...(w.take() as Buffer[]));
    }
    got.push(...(w.take() as Buffer[]));
    assert.deepEqual(Buffer.concat(got), Buffer.concat(want));
    assert.equal(w.take().length, 0, 'nothing is taken twice');
    assert.ok(got.some((b) => b.buffer === src.buffer), 'a long run is a view of the input, not a copy');
  });
});
