import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { parseReproduceLink } from '../../extension/core/incident/deepLink';
import {
  addEntry, entryKey, entryLink, HISTORY_FILE, HISTORY_LIMIT, incidentRows, parseHistory, readHistory, removeEntry, serializeHistory, writeHistory,
  type HistoryEntry,
} from '../../extension/core/incident/history';
import { parseAlertPayload } from '../../extension/core/incident/detect';
import { makeIncident, type Incident } from '../../extension/core/incident/model';
import type { Receipt } from '../../extension/core/session/receipt';
import { tempDir } from './helpers';

const SHA = '4f2c9a1e8b7d6c5f4e3d2c1b0a9f8e7d6c5b4a39';
const incident = (id: string, over: Partial<Incident> = {}): Incident => makeIncident({ id, source: 'alertmanager', title: `Alert ${id}`, commit: SHA, frames: [], labels: {}, ...over });
const entry = (id: string, at: string, over: Partial<Incident> = {}): HistoryEntry => ({ incident: incident(id, over), via: 'payload', receivedAt: at });
const at = (n: number): string => new Date(Date.UTC(2026, 0, 1, 0, n)).toISOString();

test('the history is newest first and bounded: the oldest go when more than the limit arrive', () => {
  let list: HistoryEntry[] = [];
  for (let n = 0; n < HISTORY_LIMIT + 7; n++) list = addEntry(list, entry(`INC-${n}`, at(n)));
  assert.equal(list.length, HISTORY_LIMIT);
  assert.equal(list[0]!.incident.id, `INC-${HISTORY_LIMIT + 6}`);
  assert.equal(list.at(-1)!.incident.id, 'INC-7');
  // and it stays bounded through a write and a read
  assert.equal(parseHistory(serializeHistory([...list, ...list.map((e) => entry(`X-${e.incident.id}`, e.receivedAt))])).length, HISTORY_LIMIT);
});

test('the same incident at the same commit is kept once, moved to the top; at another commit it is another row', () => {
  let list = addEntry([], entry('INC-1', at(1)));
  list = addEntry(list, entry('INC-2', at(2)));
  list = addEntry(list, entry('INC-1', at(3), { title: 'Alert INC-1 fired again' }));
  assert.deepEqual(list.map((e) => [e.incident.id, e.incident.title]), [['INC-1', 'Alert INC-1 fired again'], ['INC-2', 'Alert INC-2']]);
  list = addEntry(list, entry('INC-1', at(4), { commit: 'abcdef1' }));
  assert.deepEqual(list.map((e) => entryKey(e.incident)), ['INC-1@abcdef1', 'INC-1@' + SHA, 'INC-2@' + SHA]);
  assert.deepEqual(removeEntry(list, 'INC-1@' + SHA).map((e) => entryKey(e.incident)), ['INC-1@abcdef1', 'INC-2@' + SHA]);
});

test('an incident survives the file with every field a link carries, and its source', () => {
  const full = incident('INC-137', {
    title: 'Badge 500 for customer 137 & "friends"', release: 'v1.4.0+build.7', environment: 'production', service: 'web', time: '2026-01-01T10:00:00.000Z',
    frames: [{ file: '/app/src/badge.js', line: 40, column: 21, function: 'render' }, { file: '/app/server.js', line: 57 }],
    request: { method: 'POST', path: '/customers/137/badge?x=1', headers: { accept: 'application/json' }, body: '{"size": 2}' },
    url: 'https://grafana.example.com/alerting/1', repository: 'https://github.com/reprokit/sample-shop.git',
  });
  const [back] = parseHistory(serializeHistory([{ incident: full, via: 'link', receivedAt: at(1) }]));
  assert.deepEqual(back?.incident, full);
  assert.equal(back?.via, 'link');
});

test('nothing secret is kept: credential headers and JSON secrets in a body are dropped, a payload is kept as its URL only', () => {
  const payload = JSON.stringify({
    receiver: 'repro', status: 'firing', alerts: [{ status: 'firing', labels: { alertname: 'Badge500', commit: SHA }, annotations: { summary: 'Badge 500' }, startsAt: '2026-01-01T10:00:00Z', fingerprint: 'abc123' }],
    commonLabels: { alertname: 'Badge500' }, commonAnnotations: {}, externalURL: 'https://am.example.com', version: '4', groupKey: 'k', truncatedAlerts: 0,
  });
  const parsed = parseAlertPayload(payload);
  assert.ok(parsed.incident, parsed.error);
  // a request as an untrusted writer of the file could put it: a token header and a password in the body
  const sneaky = { ...parsed.incident, request: { method: 'POST' as const, path: '/login', headers: { authorization: 'Bearer s3cr3t-token', 'x-api-key': 'k3y-value', accept: 'text/html' }, body: '{"user":"ann","password":"hunter2"}' } };
  const text = serializeHistory([{ incident: sneaky, via: 'payload-url', payloadUrl: 'https://alerts.example.com/INC-1.json', receivedAt: at(1) }]);
  for (const secret of ['s3cr3t-token', 'k3y-value', 'hunter2', 'authorization', 'x-api-key', '"receiver"', 'externalURL', 'fingerprint']) {
    assert.ok(!text.includes(secret), `the file holds ${secret}:\n${text}`);
  }
  const [back] = parseHistory(text);
  assert.deepEqual(back?.incident.request?.headers, { accept: 'text/html' });
  assert.equal(back?.payloadUrl, 'https://alerts.example.com/INC-1.json');
  assert.equal(back?.incident.source, 'alertmanager');
  // the link to share is the payload's, not the fetched fields
  assert.equal(entryLink(back!, 'code-oss'), 'code-oss://reprokit.repro/reproduce?payload=https%3A%2F%2Falerts.example.com%2FINC-1.json');
});

test('an edited file is read like a link: entries that would not pass as one are dropped, a bad file reads as empty', () => {
  const good = JSON.parse(serializeHistory([entry('INC-1', at(1)), entry('INC-2', at(2))])) as { incidents: Record<string, unknown>[] };
  good.incidents[0]!.query = 'incident=--upload-pack%3Devil&commit=zz';
  good.incidents.push({ query: 'incident=INC-3', via: 'payload-url', payloadUrl: 'https://user:pw@alerts.example.com/x', source: 'grafana', receivedAt: at(3) });
  good.incidents.push({ query: 'incident=INC-4', via: 'sideways', source: 'grafana', receivedAt: at(4) });
  const list = parseHistory(JSON.stringify(good));
  assert.deepEqual(list.map((e) => [e.incident.id, e.via, e.payloadUrl]), [['INC-2', 'payload', undefined], ['INC-3', 'payload', undefined]]);
  assert.deepEqual(parseHistory('{not json'), []);
  assert.deepEqual(parseHistory('{"version":2,"incidents":[]}'), []);
});

test('the link of a kept incident opens the same incident again', () => {
  const e = entry('INC-9', at(1), { frames: [{ file: 'src/a.ts', line: 3 }], environment: 'staging' });
  const r = parseReproduceLink(entryLink(e), { trustedHosts: [] });
  assert.equal(r.kind, 'incident');
  if (r.kind === 'incident') assert.deepEqual({ ...r.incident, source: 'alertmanager' }, e.incident);
});

test('receipts join the list: one of a kept incident is attached to it, one from the CLI is a row of its own', () => {
  const receipt = (id: string, commit: string, startedAt: string): Receipt => ({
    version: 1, session: `shop-${id.toLowerCase()}`, project: 'shop', incident: { id, source: 'sentry', title: `Receipt ${id}` }, clone: '/src/shop', commit,
    worktree: '/w', manifest: { file: 'repro.yaml', sha256: 'x' }, images: [], published: [], steps: [], startedAt, finishedAt: startedAt, totalMs: 1,
  });
  const rows = incidentRows([entry('INC-1', at(5)), entry('INC-2', at(1))], [receipt('INC-1', SHA, at(6)), receipt('INC-7', SHA, at(3)), receipt('bad id!', SHA, at(9))]);
  assert.deepEqual(rows.map((r) => [r.incident.id, r.incident.source, Boolean(r.entry), r.receipt?.session]), [
    ['INC-1', 'alertmanager', true, 'shop-inc-1'],
    ['INC-7', 'sentry', false, 'shop-inc-7'],
    ['INC-2', 'alertmanager', true, undefined],
  ]);
});

test('the file is written owner-only and read back; a missing file is an empty history', () => {
  const home = tempDir();
  assert.deepEqual(readHistory(home), []);
  writeHistory(home, [entry('INC-1', at(1))]);
  assert.equal(fs.statSync(path.join(home, HISTORY_FILE)).mode & 0o777, 0o600);
  assert.deepEqual(readHistory(home).map((e) => e.incident.id), ['INC-1']);
  assert.deepEqual(fs.readdirSync(home), [HISTORY_FILE]);
  fs.rmSync(home, { recursive: true });
});
