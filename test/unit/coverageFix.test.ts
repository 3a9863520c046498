// The coverage gate's quick fixes edit repro.yaml as a person would: the rule lands where the
// manifest reference says, the rest of the file (comments, flow style, order) is untouched,
// and the result still loads as a valid manifest with the new rule in it.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { acknowledgeColumn, addColumnRule } from '../../extension/core/data/coverageFix';
import { loadManifestText } from '../../extension/core/manifest/loader';

const ROOT = path.resolve(__dirname, '../../..');
const SAMPLE = fs.readFileSync(path.join(ROOT, 'test/fixtures/sample-shop/repro.yaml'), 'utf8');

function load(text: string) {
  const r = loadManifestText(text, '/tmp/repro.yaml');
  assert.deepEqual(r.diagnostics.filter((d) => d.severity === 'error'), []);
  return r.manifest!;
}

test('a rule for a column of a table that has rules joins them, in the same style', () => {
  const out = addColumnRule(SAMPLE, 'db', 'public.customers', 'notes', 'fake:email');
  assert.match(out, /customers: \{ columns: \{ email: "fake:email", display_name: mask, phone: mask, address: mask, birth_date: hash, notes: "fake:email" \} \}/);
  assert.equal(load(out).services!.db!.data!.tables!.customers!.columns!.notes, 'fake:email');
  // Only that line changed.
  const before = SAMPLE.split('\n');
  const after = out.split('\n');
  assert.equal(after.length, before.length);
  assert.deepEqual(after.filter((l, i) => l !== before[i]).length, 1);
});

test('a rule for a table with no rules yet adds the table; schema-qualified names stay qualified', () => {
  const out = addColumnRule(SAMPLE, 'db', 'public.audit_log', 'ip', 'fake:ip');
  assert.equal(load(out).services!.db!.data!.tables!.audit_log!.columns!.ip, 'fake:ip');
  const q = addColumnRule(SAMPLE, 'db', 'billing.invoices', 'iban', 'mask');
  assert.equal(load(q).services!.db!.data!.tables!['billing.invoices']!.columns!.iban, 'mask');
});

test('a table written "public.x" in the manifest is found under that key', () => {
  const text = SAMPLE.replace('orders: { columns', 'public.orders: { columns');
  const out = addColumnRule(text, 'db', 'public.orders', 'notes', 'redact');
  const tables = load(out).services!.db!.data!.tables!;
  assert.equal(tables['public.orders']!.columns!.notes, 'redact');
  assert.equal(tables.orders, undefined);
});

test('acknowledging adds the column once, and comments survive', () => {
  const commented = SAMPLE.replace('services:', '# the shop\'s backing services\nservices:');
  const once = acknowledgeColumn(commented, 'db', 'public.orders', 'status');
  const twice = acknowledgeColumn(once, 'db', 'public.orders', 'status');
  assert.equal(once, twice);
  assert.deepEqual(load(once).services!.db!.data!.acknowledge, ['orders.status']);
  assert.match(once, /# the shop's backing services/);
  const more = acknowledgeColumn(once, 'db', 'public.customers', 'created_at');
  assert.deepEqual(load(more).services!.db!.data!.acknowledge, ['orders.status', 'customers.created_at']);
});

test('a missing service or a manifest that does not parse is a clear error, not a rewrite', () => {
  assert.throws(() => addColumnRule(SAMPLE, 'warehouse', 'public.x', 'y', 'mask'), /no service "warehouse"/);
  assert.throws(() => addColumnRule('services: [unclosed', 'db', 'public.x', 'y', 'mask'), /does not parse/);
});
