// The coverage gate on the sample shop's dump and on handmade ones: what a user sees when a
// personal column has no rule (which column, why, the repro.yaml line to add), that an
// acknowledgement silences it, that values give away personal data a column's name hides,
// and that a rule naming nothing real is reported rather than silently ignored.
import assert from 'node:assert/strict';
import { CoverageError } from '../../extension/core/data/clone';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, test } from 'node:test';
import { parse } from 'yaml';
import { gateWorkspace, scanWorkspaceCoverage } from '../../extension/core/data/coverageScan';
import { fileSha256 } from '../../extension/core/data/dumpSource';
import { compileScrubPlan } from '../../extension/core/data/rules';
import { coverageKey, formatCoverage, scanDump } from '../../extension/core/data/scan';
import type { DataSpec } from '../../extension/core/manifest/schema';
import { chunks, dataValues, dumpWorktree, KEY, SAMPLE_DUMP, samplePlan, toInserts } from './dataHelpers';

const scan = (dump: Buffer | string, plan = samplePlan(), sampleRows?: number) => scanDump(chunks(dump, 4096), plan, sampleRows ? { sampleRows } : {});
const planFor = (data: Omit<DataSpec, 'source'>) => compileScrubPlan({ source: { dump: 'x' }, ...data }, KEY);

/** A small dump: one table, its columns as "name type", its rows as tab-separated COPY text. */
function dump(table: string, columns: string[], rows: string[]): string {
  return [
    `CREATE TABLE public.${table} (`,
    columns.map((c) => `    ${c}`).join(',\n'),
    ');',
    `COPY public.${table} (${columns.map((c) => c.split(' ')[0]).join(', ')}) FROM stdin;`,
    ...rows,
    '\\.',
    '',
  ].join('\n');
}

describe('the sample dump', () => {
  test('with the sample\'s rules: nothing uncovered, no rule names anything missing', async () => {
    const report = await scan(SAMPLE_DUMP);
    assert.deepEqual(report.uncovered, []);
    assert.deepEqual(report.unknownRules, []);
    assert.deepEqual(report.tables.map((t) => [t.name, t.columns.length]), [['public.customers', 7], ['public.order_items', 6], ['public.orders', 6]]);
    assert.deepEqual(report.tables[0]!.columns.slice(0, 2), [{ name: 'id', type: 'integer' }, { name: 'email', type: 'text' }]);
    assert.match(formatCoverage(report), /^Every column that looks personal has a rule or an acknowledgement \(3 tables, 19 columns scanned\)\.$/);
  });

  test('without the email rule: email is reported, with fake:email and the repro.yaml line to add', async () => {
    const report = await scan(SAMPLE_DUMP, samplePlan(KEY, (d) => void delete d.tables!.customers!.columns!.email));
    assert.deepEqual(report.uncovered, [{ table: 'public.customers', column: 'email', type: 'text', reason: 'name: looks like an email address', suggestion: 'fake:email' }]);
    const text = formatCoverage(report, 'db');
    assert.match(text, /^1 column looks personal and has no rule in repro\.yaml/);
    assert.match(text, /public\.customers\.email \(text\): name: looks like an email address; suggested: fake:email/);
    assert.match(text, /Add under services\.db\.data\.tables in repro\.yaml/);
    const line = text.split('\n').find((l) => l.trim().startsWith('customers:'))!;
    assert.equal(line.trim(), 'customers: { columns: { email: "fake:email" } }');
    // The line is YAML that, merged in, closes the gap.
    const added = parse(line.trim()) as { customers: { columns: Record<string, string> } };
    const fixed = await scan(SAMPLE_DUMP, samplePlan(KEY, (d) => {
      Object.assign(d.tables!.customers!.columns!, added.customers.columns);
    }));
    assert.deepEqual(fixed.uncovered, []);
  });

  test('with no rules at all: every personal column, each with a suggestion its type accepts', async () => {
    const report = await scan(SAMPLE_DUMP, samplePlan(KEY, (d) => void delete d.tables));
    assert.deepEqual(report.uncovered.map((f) => [`${f.table}.${f.column}`, f.suggestion]), [
      ['public.customers.email', 'fake:email'],
      ['public.customers.display_name', 'mask'],
      ['public.customers.phone', 'fake:phone'],
      ['public.customers.address', 'mask'],
      ['public.customers.birth_date', 'hash'],
      ['public.orders.shipping_address', 'mask'],
    ]);
    const text = formatCoverage(report, 'db');
    assert.match(text, /^ {2}customers: \{ columns: \{ email: "fake:email", display_name: mask, phone: "fake:phone", address: mask, birth_date: hash \} \}$/m);
    assert.match(text, /^ {2}orders: \{ columns: \{ shipping_address: mask \} \}$/m);
    assert.match(text, /acknowledge: \["customers\.email", /);
    for (const v of dataValues(SAMPLE_DUMP.toString('utf8'))) assert.ok(!text.includes(v), 'the report holds no data value');
  });

  test('an acknowledged column is not reported; a truncated table is not either', async () => {
    const report = await scan(SAMPLE_DUMP, samplePlan(KEY, (d) => {
      delete d.tables!.customers!.columns!.email;
      delete d.tables!.orders;
      d.acknowledge = ['customers.email'];
    }));
    assert.deepEqual(report.uncovered.map((f) => f.column), ['shipping_address']);
    const truncated = await scan(SAMPLE_DUMP, samplePlan(KEY, (d) => void (d.tables!.orders = { truncate: true })));
    assert.deepEqual(truncated.uncovered, []);
  });

  test('rules and acknowledgements naming what the dump does not have are unknownRules', async () => {
    const report = await scan(SAMPLE_DUMP, samplePlan(KEY, (d) => {
      d.tables!.customers!.columns!.emial = 'fake:email';
      d.tables!.custmers = { columns: { email: 'mask' } };
      d.acknowledge = ['orders.notes'];
    }));
    assert.deepEqual(report.unknownRules, [
      'public.customers.emial: the table has no such column (its columns: id, email, display_name, phone, address, birth_date, created_at)',
      'public.custmers: the dump has no such table',
      'acknowledge public.orders.notes: the dump has no such column',
    ]);
    assert.match(formatCoverage(report), /Rules in repro\.yaml that match nothing in the dump[^\n]*\n {2}public\.customers\.emial: /);
  });

  test('a partition is covered by its partitioned table\'s rules', async () => {
    const d = ['CREATE TABLE public.events (', '    id integer NOT NULL,', '    email text', ')', 'PARTITION BY RANGE (id);', 'CREATE TABLE public.events_1 PARTITION OF public.events FOR VALUES FROM (0) TO (9);', 'COPY public.events_1 (id, email) FROM stdin;', '1\tana@mail.example', '\\.', ''].join('\n');
    assert.deepEqual((await scan(d, planFor({ tables: { events: { columns: { email: 'mask' } } } }))).uncovered, []);
    assert.deepEqual((await scan(d, planFor({}))).uncovered.map((f) => `${f.table}.${f.column}`), ['public.events.email', 'public.events_1.email']);
  });

  test('an INSERT-format dump is scanned alike', async () => {
    const plan = samplePlan(KEY, (d) => void delete d.tables!.customers!.columns!.phone);
    const fromCopy = await scan(SAMPLE_DUMP, plan);
    const fromInserts = await scan(toInserts(SAMPLE_DUMP.toString('utf8'), 'columns'), plan);
    assert.deepEqual(fromInserts.uncovered, fromCopy.uncovered);
    assert.deepEqual(fromCopy.uncovered.map((f) => f.column), ['phone']);
  });
});

describe('personal data found by sampled values', () => {
  test('a column named "notes" holding emails in its text', async () => {
    const rows = ['1\tcall back tomorrow', '2\tcustomer asked to write to jane.doe@mail.example instead', '3\t\\N', '4\tok'];
    const report = await scan(dump('tickets', ['id integer NOT NULL', 'notes text'], rows), planFor({}));
    assert.deepEqual(report.uncovered, [{ table: 'public.tickets', column: 'notes', type: 'text', reason: 'values: 1 of 3 sampled values hold email addresses', suggestion: 'mask' }]);
    assert.ok(!formatCoverage(report).includes('jane.doe'));
  });

  test('emails, cards, IBANs, tokens, phones and IP addresses under names that do not tell', async () => {
    const columns = ['id integer NOT NULL', 'contact text', 'ref text', 'acct text', 'blob text', 'reach text', 'origin character varying(64)', 'label text', 'stamp text', 'n integer'];
    const rows = [
      '1\tana@mail.example\tpaid with 4111 1111 1111 1111\tDE89 3704 0044 0532 0130 00\teyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U\t+44 7700 900123\t203.0.113.9\tHoodie, heather grey, M\t2021-01-07 09:13:07+00\t1234567890123',
      '2\tbo@mail.example\torder 1234 5678 9012 3456\tnone\tnone\t(555) 010-4477\t2001:db8::7\tT-shirt black, M\t2021-01-08\t42',
    ];
    const report = await scan(dump('things', columns, rows), planFor({}));
    assert.deepEqual(report.uncovered.map((f) => [f.column, f.reason, f.suggestion]), [
      ['contact', 'values: 2 of 2 sampled values hold email addresses', 'fake:email'],
      ['ref', 'values: 1 of 2 sampled values hold payment card numbers (Luhn-valid)', 'null'],
      ['acct', 'values: 1 of 2 sampled values hold IBANs (valid checksum)', 'mask'],
      ['blob', 'values: 1 of 2 sampled values hold JSON web tokens', 'null'],
      ['reach', 'values: 2 of 2 sampled values hold phone numbers', 'fake:phone'],
      ['origin', 'values: 2 of 2 sampled values hold IP addresses', 'fake:ip'],
    ]);
  });

  test('names that merely contain a personal word are not flagged; flags and counters neither', async () => {
    const columns = ['id integer NOT NULL', 'product_name text', 'company_name text', 'sku text', 'status text', 'email_verified boolean', 'email_sent_at timestamp with time zone', 'ip_count integer', 'zipper_size text', 'shipment text', 'created_at timestamp with time zone'];
    const report = await scan(dump('catalog', columns, ['1\tHoodie\tAcme\tHOOD-GRY-M\tpaid\tt\t2021-01-07 09:13:07+00\t3\tL\tparcel\t2021-01-07 09:13:07+00']), planFor({}));
    assert.deepEqual(report.uncovered, []);
  });

  test('names that do tell, with a suggestion the column type accepts', async () => {
    const columns = ['id integer NOT NULL', 'first_name text', 'lastname text', 'username character varying(40)', 'mobile_phone text', 'zip_code text', 'last_login_ip inet', 'password_hash text NOT NULL', 'api_key text', 'iban text', 'tax_id text', 'date_of_birth date', 'phone_number bigint', 'customer_email_address text', 'city text', 'latitude double precision'];
    const report = await scan(dump('people', columns, []), planFor({}));
    assert.deepEqual(Object.fromEntries(report.uncovered.map((f) => [f.column, f.suggestion])), {
      first_name: 'fake:first_name', lastname: 'fake:last_name', username: 'mask', mobile_phone: 'fake:phone', zip_code: 'mask',
      last_login_ip: 'fake:ip', password_hash: 'redact', api_key: 'null', iban: 'mask', tax_id: 'mask', date_of_birth: 'hash',
      phone_number: 'hash', customer_email_address: 'fake:email', city: 'fake:city', latitude: 'null',
    });
  });

  test('sampling is bounded: only the first rows of a table are looked at', async () => {
    const rows = Array.from({ length: 50 }, (_, i) => `${i}\t${i < 40 ? 'nothing here' : 'x@mail.example'}`);
    assert.deepEqual((await scan(dump('t', ['id integer', 'memo text'], rows), planFor({}), 40)).uncovered, []);
    assert.equal((await scan(dump('t', ['id integer', 'memo text'], rows), planFor({}), 50)).uncovered.length, 1);
  });

  test('a cut-off dump fails the scan as it fails the scrub', async () => {
    const text = SAMPLE_DUMP.toString('utf8');
    await assert.rejects(scan(text.slice(0, text.indexOf('COPY public.orders') + 500)), { name: 'DumpFormatError', message: /public\.orders .*cut off/ });
  });
});

describe('the gate of a reproduction, on its worktree', () => {
  const worktree = dumpWorktree;
  test('rules that cover the dump: what it proved is these rules on these bytes, read once for both', async () => {
    for (const gzip of [false, true]) {
      const { root, manifest } = worktree(undefined, gzip);
      const file = path.join(root, gzip ? 'data/prod.sql.gz' : 'data/prod.sql');
      const progress: string[] = [];
      const covered = await gateWorkspace(root, manifest, undefined, (m) => progress.push(m));
      const sha = createHash('sha256').update(fs.readFileSync(file)).digest('hex');
      assert.deepEqual([...covered], [coverageKey(manifest.services!.db!.data!, `dump:${sha}`)]);
      assert.match(progress.join('\n'), /^db: the rules cover the dump data\/prod\.sql(\.gz)? \(3 tables scanned in \d+\.\d\d s\)$/);
      // The scan's identity is the clone's (fileSha256), whatever the format.
      const [scanned] = await scanWorkspaceCoverage(root, manifest);
      assert.equal(scanned?.status === 'scanned' && scanned.identity, `dump:${await fileSha256(file)}`);
      fs.rmSync(root, { recursive: true, force: true });
    }
  });

  test('what it proved names the rules and the bytes: other rules or another dump do not match it', async () => {
    const a = worktree();
    const b = worktree((d) => { d.tables!.orders!.columns!.shipping_address = 'redact'; });
    const [ka] = await gateWorkspace(a.root, a.manifest);
    const [kb] = await gateWorkspace(b.root, b.manifest);
    assert.ok(ka && kb && ka !== kb, 'a changed rule proved the same thing');
    fs.appendFileSync(path.join(a.root, 'data/prod.sql'), '-- one more line\n');
    const [again] = await gateWorkspace(a.root, a.manifest);
    assert.ok(again && again !== ka, 'another dump proved the same thing');
    // The key does not enter it: the scan holds no secret, and the clone's key is not needed.
    assert.equal(coverageKey(a.manifest.services!.db!.data!, 'dump:x'), coverageKey(structuredClone(a.manifest.services!.db!.data!), 'dump:x'));
    for (const w of [a, b]) fs.rmSync(w.root, { recursive: true, force: true });
  });

  test('a rule its column\'s type cannot take (mask on a date, null on NOT NULL) stops it before any data is written', async () => {
    // The scrubber would stop on these mid-clone, after the dump was read half-way.
    const { root, manifest } = worktree((d) => {
      d.tables!.customers!.columns!.birth_date = 'mask';
      d.tables!.customers!.columns!.email = 'null';
    });
    await assert.rejects(gateWorkspace(root, manifest), (e: Error) => {
      assert.ok(e instanceof CoverageError);
      assert.match(e.message, /public\.customers\.birth_date \(mask, type date\): mask would make invalid date values: use hash or fake:date/);
      assert.match(e.message, /public\.customers\.email \(null, type text\): null cannot apply: the column is NOT NULL/);
      assert.deepEqual(e.findings.unfitRules, ['public.customers.email', 'public.customers.birth_date']);
      assert.match(e.summary(), /2 scrub rules cannot apply to the column's type \(public\.customers\.email, public\.customers\.birth_date\)/);
      return true;
    });
    fs.rmSync(root, { recursive: true, force: true });
  });

  test('an uncovered personal column stops it with the column and the repro.yaml line to add', async () => {
    const { root, manifest } = worktree((d) => { delete d.tables!.customers!.columns!.email; });
    await assert.rejects(gateWorkspace(root, manifest), (e: Error) => {
      // A coverage failure, naming the service: what the reproduction offers other rules for.
      assert.ok(e instanceof CoverageError);
      assert.deepEqual(e.services, ['db']);
      assert.match(e.message, /public\.customers\.email \(text\): name: looks like an email address; suggested: fake:email/);
      assert.match(e.message, /customers: \{ columns: \{ email: "fake:email" \} \}/);
      // What a notification shows: the column, in one sentence.
      assert.deepEqual(e.findings, { uncovered: ['public.customers.email'], unknownRules: [], unfitRules: [] });
      assert.equal(e.summary(), '1 column looks personal and has no scrub rule in repro.yaml (public.customers.email).');
      return true;
    });
    fs.rmSync(root, { recursive: true, force: true });
  });

  test('a rule naming a missing column, and a dump that is not there, stop it too, saying which', async () => {
    const typo = worktree((d) => { d.tables!.customers!.columns!.emial = 'fake:email'; });
    await assert.rejects(gateWorkspace(typo.root, typo.manifest), (e: Error) => {
      assert.ok(e instanceof CoverageError);
      assert.match(e.message, /public\.customers\.emial: the table has no such column/);
      // The summary names the typo by what it names (the real column has its own rule here).
      assert.equal(e.summary(), 'a scrub rule names what the data does not have (public.customers.emial).');
      return true;
    });
    const missing = worktree((d) => { d.source = { dump: 'data/gone.sql' }; });
    // A dump that cannot be read is not a coverage failure: other rules would not help.
    await assert.rejects(gateWorkspace(missing.root, missing.manifest), { name: 'CloneError', message: /^Cloning the data of db from the dump data\/gone\.sql failed: The dump file "data\/gone\.sql" does not exist/ });
    for (const w of [typo, missing]) fs.rmSync(w.root, { recursive: true, force: true });
  });

  test('a source it cannot read here (a live database) is left to the clone\'s own gate', async () => {
    const { root, manifest } = worktree((d) => { d.source = { live: { env: 'PROD_DB_URL' } }; });
    assert.deepEqual([...await gateWorkspace(root, manifest)], []);
    fs.rmSync(root, { recursive: true, force: true });
  });
});
