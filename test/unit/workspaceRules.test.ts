// Whose scrub rules a reproduction uses: with "workspace", each data service's tables and
// acknowledgements come from the checkout's repro.yaml and nothing else does (its source, the
// key, the versions stay the commit's); a service the checkout does not give data keeps the
// commit's rules. A gate failure offers the checkout's rules only where they differ.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { otherRulesInWorkspace, withWorkspaceRules, workspaceRulesHint } from '../../extension/core/data/workspaceRules';
import { loadManifestText } from '../../extension/core/manifest/loader';
import type { Manifest } from '../../extension/core/manifest/schema';

const ROOT = path.resolve(__dirname, '../../..');
const SAMPLE = fs.readFileSync(path.join(ROOT, 'test/fixtures/sample-shop/repro.yaml'), 'utf8');

function load(text: string): Manifest {
  const r = loadManifestText(text, '/tmp/repro.yaml');
  assert.deepEqual(r.diagnostics.filter((d) => d.severity === 'error'), []);
  return r.manifest!;
}

// The incident's commit: no email rule, an older dump path and PostgreSQL version.
const COMMIT = load(SAMPLE.replace('email: "fake:email", ', '').replace('data/production.sql', 'data/old.sql').replace('postgresql:15', 'postgresql:14'));
// The checkout: the email rule, an acknowledged column, a subset.
const WORKSPACE = load(SAMPLE.replace('orders: { columns: { shipping_address: mask } }', 'orders: { columns: { shipping_address: mask }, where: "id > 10" }\n      acknowledge: [customers.nickname]'));

test('the checkout\'s tables and acknowledgements replace the commit\'s; the source and the versions stay the commit\'s', () => {
  const r = withWorkspaceRules(COMMIT, WORKSPACE);
  assert.deepEqual(r.used, ['db']);
  assert.deepEqual(r.missing, []);
  const db = r.manifest.services!.db!;
  assert.equal(db.data!.tables!.customers!.columns!.email, 'fake:email');
  assert.equal(db.data!.tables!.orders!.where, 'id > 10');
  assert.deepEqual(db.data!.acknowledge, ['customers.nickname']);
  assert.deepEqual(db.data!.source, { dump: 'data/old.sql' });
  assert.equal(db.type, 'postgresql:14');
  assert.equal(r.manifest.services!.cache, COMMIT.services!.cache);
  // The commit's manifest itself is untouched.
  assert.equal(COMMIT.services!.db!.data!.tables!.customers!.columns!.email, undefined);
  assert.equal(COMMIT.services!.db!.data!.acknowledge, undefined);
});

test('a service the checkout gives no data keeps the commit\'s rules, and is named', () => {
  const noData = load(SAMPLE.replace(/\n {4}data:\n(?: {6}.*\n)+/, '\n'));
  assert.equal(noData.services!.db!.data, undefined);
  const r = withWorkspaceRules(COMMIT, noData);
  assert.deepEqual(r.used, []);
  assert.deepEqual(r.missing, ['db']);
  assert.deepEqual(r.manifest.services!.db!.data, COMMIT.services!.db!.data);
  assert.deepEqual(withWorkspaceRules(COMMIT, undefined).missing, ['db']);
});

test('the hint is offered only for services whose rules differ in the checkout', () => {
  assert.deepEqual(otherRulesInWorkspace(COMMIT, WORKSPACE, ['db']), ['db']);
  assert.deepEqual(otherRulesInWorkspace(COMMIT, COMMIT, ['db']), []);
  assert.deepEqual(otherRulesInWorkspace(COMMIT, undefined, ['db']), []);
  assert.match(workspaceRulesHint(['db']), /other rules for db: .*"repro\.data\.rulesFrom" to "workspace".*--rules-from workspace/);
});
