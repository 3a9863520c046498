import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { detectAlertSource, parseAlertPayload } from '../../extension/core/incident/detect';
import { mapFrames } from '../../extension/core/incident/frames';
import { ID_PATTERN, type AlertParseResult, type Incident } from '../../extension/core/incident/model';
import { MAX_PAYLOAD_BYTES } from '../../extension/core/incident/payloadJson';
import { ROOT } from './helpers';

const ALERTS = path.join(ROOT, 'test/fixtures/alerts');
const read = (rel: string): string => fs.readFileSync(path.join(ALERTS, rel), 'utf8');

function incidentOf(r: AlertParseResult, what: string): Incident {
  assert.equal(r.error, undefined, `${what}: ${r.error}`);
  assert.ok(r.incident, `${what}: an incident`);
  return r.incident;
}
const parse = (rel: string): { incident: Incident; warnings: string[] } => {
  const r = parseAlertPayload(read(rel));
  return { incident: incidentOf(r, rel), warnings: r.warnings };
};
const json = (v: unknown): string => JSON.stringify(v);

function allFixtures(): string[] {
  return fs.readdirSync(ALERTS, { withFileTypes: true }).filter((d) => d.isDirectory())
    .flatMap((d) => fs.readdirSync(path.join(ALERTS, d.name)).filter((f) => f.endsWith('.json')).map((f) => `${d.name}/${f}`));
}

test('every alert fixture is recognised as its tool and gives a well-formed incident (or, for the change event, a clear error)', () => {
  const files = allFixtures();
  assert.ok(files.length >= 15, `${files.length} fixtures`);
  for (const f of files) {
    const r = parseAlertPayload(read(f));
    assert.equal(detectAlertSource(JSON.parse(read(f))), f.split('/')[0], `${f}: detected as its folder's tool`);
    if (f.includes('change_example')) { assert.match(r.error ?? '', /change event/); continue; }
    const i = incidentOf(r, f);
    assert.match(i.id, ID_PATTERN, `${f}: safe id`);
    assert.equal(i.source, f.split('/')[0]);
    assert.ok(i.title.length > 0 && i.title.length <= 256, `${f}: title`);
    assert.ok(Array.isArray(i.frames));
    if (i.time) assert.equal(new Date(i.time).toISOString(), i.time, `${f}: time is UTC ISO`);
    if (i.commit) assert.match(i.commit, /^[0-9a-f]{7,40}$/);
    for (const v of Object.values(i.labels)) assert.equal(typeof v, 'string');
  }
});

test('Alertmanager: the first firing alert of the group, its labels, time and link', () => {
  const { incident: z, warnings } = parse('alertmanager/zulip__zulip__alertmanager__alert.json');
  assert.equal(z.source, 'alertmanager');
  assert.equal(z.id, 'a1bc48475b20e73d');
  assert.equal(z.title, 'High CPU core temperature');
  assert.equal(z.time, '2020-02-06T00:17:58.432Z');
  assert.equal(z.labels.alertname, 'High CPU Temperature');
  assert.equal(z.labels.host, 'andromeda');
  assert.equal(z.labels.severity, 'critical');
  assert.match(z.url ?? '', /^http:\/\/cobalt:9090\/graph\?g0\.expr=/);
  assert.ok(warnings.some((w) => /groups 2 alerts/.test(w) && /a1bc48475b20e73d/.test(w)), json(warnings));

  const { incident: n } = parse('alertmanager/binwiederhier__ntfy__webhook_alertmanager_firing.json');
  assert.equal(n.title, 'High CPU usage detected');
  assert.equal(n.labels.instance, 'server01');
  assert.equal(n.time, '2025-07-17T07:00:00.000Z');
  assert.match(n.id, /^alertmanager-[0-9a-f]{16}$/, 'no fingerprint: a derived id');

  // The older shape: no status, a timezone offset, the job label as the service.
  const { incident: m } = parse('alertmanager/prometheus-msteams__prometheus-msteams__prom_post_request.json');
  assert.equal(m.title, 'Server High Memory usage');
  assert.equal(m.time, '2018-03-07T11:33:21.873Z');
  assert.equal(m.service, 'docker_nodes');
  assert.equal(m.url, 'http://docker.for.mac.host.internal:9093/');
});

test('Alertmanager: commit, release, service and environment from common label names; bad values warn and are not used', () => {
  const payload = {
    version: '4', groupKey: '{}:{}', status: 'firing', receiver: 'repro',
    commonLabels: { alertname: 'CheckoutErrors', git_commit: '4F2C9A1E8B7D6C5F4E3D2C1B0A9F8E7D6C5B4A39', version: 'v1.4.2', environment: 'production', app: 'checkout' },
    commonAnnotations: { summary: 'Checkout 5xx above 5%' },
    alerts: [{ status: 'firing', labels: { alertname: 'CheckoutErrors', sha: '$(rm -rf /)' }, annotations: {}, startsAt: '2024-05-01T12:30:00Z', fingerprint: 'f00dfeed12345678', generatorURL: 'https://prometheus.example.com/graph?g0.expr=x' }],
  };
  const r = parseAlertPayload(JSON.stringify(payload));
  const i = incidentOf(r, 'inline');
  assert.equal(i.commit, '4f2c9a1e8b7d6c5f4e3d2c1b0a9f8e7d6c5b4a39');
  assert.equal(i.release, 'v1.4.2');
  assert.equal(i.environment, 'production');
  assert.equal(i.service, 'checkout');
  assert.equal(i.title, 'Checkout 5xx above 5%');
  assert.equal(i.url, 'https://prometheus.example.com/graph?g0.expr=x');

  // A hostile value in a well-known label: warned about, never used.
  const bad = parseAlertPayload(JSON.stringify({ ...payload, commonLabels: { alertname: 'X', commit: '$(rm -rf /)', release: '../../etc', env: 'prod;reboot' } }));
  const b = incidentOf(bad, 'hostile labels');
  assert.equal(b.commit, undefined);
  assert.equal(b.release, undefined);
  assert.equal(b.environment, undefined);
  assert.ok(bad.warnings.some((w) => /commit="\$\(rm -rf \/\)" is not a git commit sha/.test(w)), json(bad.warnings));
  assert.ok(bad.warnings.some((w) => /release="\.\.\/\.\.\/etc"/.test(w)));
});

test('Grafana: unified alerting payloads (firing and resolved) and the legacy format', () => {
  const { incident: g, warnings: gw } = parse('grafana/zulip__zulip__grafana__alert_values_v11.json');
  assert.equal(g.source, 'grafana');
  assert.equal(g.id, 'e6349a25f5ef0e9e');
  assert.equal(g.title, 'High memory usage');
  assert.equal(g.time, '2024-03-01T02:09:00.000Z');
  assert.equal(g.url, 'https://play.grafana.org/d/ece9fb32-7f71-4be9-bd94-2f23608ae5b9?orgId=1&viewPanel=2', 'the panel link first');
  assert.equal(g.labels.grafana_folder, 'device');
  assert.deepEqual(gw, []);

  const { incident: r, warnings: rw } = parse('grafana/binwiederhier__ntfy__webhook_grafana_resolved.json');
  assert.equal(r.title, '15m load average too high');
  assert.equal(r.service, 'node-exporter');
  assert.equal(r.labels.status, 'resolved');
  assert.equal(r.url, undefined, 'localhost:3000/... has no scheme');
  assert.ok(rw.some((w) => /resolved/.test(w)));
  assert.ok(rw.some((w) => /generatorURL "localhost:3000\/alerting\/grafana\/NW9oDw-4z\/view" is not an http\(s\) URL/.test(w)), json(rw));

  const legacy = parseAlertPayload(JSON.stringify({
    dashboardId: 1, evalMatches: [{ value: 100, metric: 'High value', tags: null }], orgId: 1, panelId: 2, ruleId: 1,
    ruleName: 'Panel Title alert', ruleUrl: 'http://localhost:3000/d/hZ7BuVbWz/test-dashboard?fullscreen&edit&tab=alert&panelId=2&orgId=1',
    state: 'alerting', tags: { service: 'checkout', commit: '4f2c9a1' }, title: '[Alerting] Panel Title alert',
  }));
  const l = incidentOf(legacy, 'legacy grafana');
  assert.equal(l.source, 'grafana');
  assert.equal(l.title, '[Alerting] Panel Title alert');
  assert.equal(l.service, 'checkout');
  assert.equal(l.commit, '4f2c9a1');
  assert.match(l.url ?? '', /^http:\/\/localhost:3000\/d\/hZ7BuVbWz/);
});

test('PagerDuty Events API v2: the documented trigger example; change, acknowledge and resolve events are not incidents', () => {
  const { incident: p } = parse('pagerduty/PagerDuty__api-schema__events-v2__enqueue_example.json');
  assert.equal(p.source, 'pagerduty');
  assert.equal(p.title, 'DISK at 99% on machine prod-datapipe03.example.com');
  assert.equal(p.id, 'srv01-mysql', 'dedup_key made safe');
  assert.equal(p.time, '2015-07-17T08:42:58.315Z', '+0000 offset');
  assert.equal(p.service, 'mysql', 'component');
  assert.equal(p.labels.severity, 'critical');
  assert.equal(p.labels.group, 'prod-datapipe');
  assert.equal(p.labels['free space'], '1%');
  assert.equal(p.url, 'http://pagerduty.example.com/');

  const change = parseAlertPayload(read('pagerduty/PagerDuty__api-schema__events-v2__change_example.json'));
  assert.equal(change.incident, undefined);
  assert.match(change.error ?? '', /change event.*not an incident/);

  const resolve = parseAlertPayload(JSON.stringify({ routing_key: 'x'.repeat(32), event_action: 'resolve', dedup_key: 'srv01/mysql' }));
  assert.match(resolve.error ?? '', /event_action is "resolve"; only a "trigger" event/);

  const withDetails = parseAlertPayload(JSON.stringify({
    routing_key: 'r', event_action: 'trigger', dedup_key: 'checkout-5xx',
    payload: { summary: 'Checkout 5xx', severity: 'error', source: 'checkout-7c9d', component: 'api', custom_details: { service: 'checkout', env: 'staging', release: 'checkout@1.4.2+4f2c9a1', commit: 'nothex!' } },
  }));
  const d = incidentOf(withDetails, 'custom details');
  assert.equal(d.service, 'checkout');
  assert.equal(d.environment, 'staging');
  assert.equal(d.release, 'checkout@1.4.2+4f2c9a1');
  assert.equal(d.commit, '4f2c9a1', 'from the release, since the commit detail is not a sha');
  assert.ok(withDetails.warnings.some((w) => /commit="nothex!"/.test(w)));
});

test('PagerDuty webhooks v3: incident.triggered; other resources are refused', () => {
  const { incident: p } = parse('pagerduty/zulip__zulip__pagerduty__triggered_v3.json');
  assert.equal(p.id, 'PFQZPSY');
  assert.equal(p.title, 'Test Incident 3');
  assert.equal(p.service, 'pig208');
  assert.equal(p.time, '2021-06-04T13:35:29.781Z');
  assert.equal(p.url, 'https://pig208.pagerduty.com/incidents/PFQZPSY');
  assert.equal(p.labels.urgency, 'high');
  assert.equal(p.labels.event_type, 'incident.triggered');
  const other = parseAlertPayload(JSON.stringify({ event: { id: 'x', event_type: 'service.updated', resource_type: 'service', data: { id: 'P1', type: 'service' } } }));
  assert.match(other.error ?? '', /about "service.updated", not an incident/);
});

test('Sentry issue alert (event_alert): frames innermost first, release, commit from the release, request without secrets', () => {
  const { incident: s, warnings } = parse('sentry/written-from-docs__event_alert_node_release.json');
  assert.equal(s.source, 'sentry');
  assert.equal(s.id, '9e3f9a2c7b1d4e8f8a6b5c4d3e2f1a0b');
  assert.equal(s.title, 'TypeError: Cannot read properties of undefined (reading \'price\')');
  assert.equal(s.environment, 'production');
  assert.equal(s.service, 'checkout-api', 'the project slug from the event\'s API URL');
  assert.equal(s.release, 'checkout-api@2f8e7d6c5b4a3928f1e0d9c8b7a6f5e4d3c2b1a0');
  assert.equal(s.commit, '2f8e7d6c5b4a3928f1e0d9c8b7a6f5e4d3c2b1a0');
  assert.equal(s.time, '2024-05-01T12:30:07.412Z');
  assert.equal(s.url, 'https://example-shop.sentry.io/issues/4505123456/events/9e3f9a2c7b1d4e8f8a6b5c4d3e2f1a0b/');
  assert.deepEqual(s.frames.map((f) => [f.file, f.line, f.column, f.function, f.inApp]), [
    ['/usr/src/app/dist/services/pricing.js', 17, 31, 'computeTotal', true],
    ['/usr/src/app/dist/routes/orders.js', 41, 23, 'createOrder', true],
    ['/usr/src/app/node_modules/express/lib/router/layer.js', 95, 5, 'Layer.handle [as handle_request]', false],
    ['node:internal/process/task_queues', 95, 5, 'process.processTicksAndRejections', false],
  ]);
  assert.ok(s.request);
  assert.equal(s.request.method, 'POST');
  assert.equal(s.request.path, '/api/orders?coupon=SPRING24');
  assert.deepEqual(Object.keys(s.request.headers).sort(), ['accept', 'content-type', 'user-agent', 'x-request-id']);
  assert.ok(!/Filtered|tok_test/.test(json(s.request)), 'no credential reaches the incident');
  assert.match(s.request.body ?? '', /"payment_token":"\[removed by Repro\]"/);
  assert.ok(warnings.some((w) => /removed.*authorization, cookie/.test(w)), json(warnings));
  assert.ok(warnings.some((w) => /payment_token/.test(w)));
  assert.equal(s.labels.triggered_rule, 'Checkout errors to Repro');

  // The frames map onto the repository even without a source map.
  const mapped = mapFrames(s.frames, ['src/services/pricing.ts', 'src/routes/orders.ts', 'package.json']);
  assert.deepEqual(mapped.map((m) => m.file), ['src/services/pricing.ts', 'src/routes/orders.ts', undefined, undefined]);
});

test('Sentry real payloads: the Python event alert, the legacy plugin (JavaScript) and the issue webhook', () => {
  const { incident: py } = parse('sentry/zulip__zulip__sentry__event_for_exception_python.json');
  assert.equal(py.id, '599349254a1447a99774b5310711c1a8');
  assert.equal(py.title, 'Exception: Custom exception!');
  assert.equal(py.service, 'zulip-integration-testing');
  assert.equal(py.release, undefined, 'release: null');
  assert.equal(py.time, '2020-04-28T13:56:05.903Z');
  assert.deepEqual(py.frames, [{ file: '/home/hemanth/Desktop/sentry/trigger-exception.py', line: 7, function: '<module>', inApp: false }]);
  assert.equal(py.labels.server_name, 'hp-pavilion');
  assert.match(py.url ?? '', /^https:\/\/sentry\.io\/organizations\/hypro999-personal-organization\/issues\/1635244907\/events\//);

  const { incident: js } = parse('sentry/zulip__zulip__sentry__webhook_event_for_exception_javascript.json');
  assert.equal(js.id, 'f3bf5fc4e354451db9e885a69b2a2b51');
  assert.equal(js.title, 'TypeError: can\'t access property "bar", x.foo is undefined');
  assert.equal(js.service, 'live');
  assert.equal(js.url, 'https://sentry.io/organizations/foo-bar-org/issues/1982047746/?referrer=webhooks_plugin');
  assert.equal(js.time, '2020-10-26T16:39:54.648Z', 'from "received"');
  assert.deepEqual(js.frames, [{ file: 'debugger eval code', line: 3, inApp: false }]);
  assert.equal(js.request, undefined, 'a browser page, not a request to replay');
  assert.equal(js.labels['sentry:user'], undefined, 'the user tag (an IP address) is not kept');
  assert.equal(js.labels.browser, 'Firefox 83.0');

  const { incident: issue, warnings } = parse('sentry/zulip__zulip__sentry__issue_created_for_exception.json');
  assert.equal(issue.id, '1635244907');
  assert.equal(issue.title, 'Exception: Custom exception!');
  assert.equal(issue.service, 'zulip-integration-testing');
  assert.equal(issue.labels.short_id, 'ZULIP-INTEGRATION-TESTING-2');
  assert.deepEqual(issue.frames, []);
  assert.ok(warnings.some((w) => /no stack trace/.test(w)));
});

test('Sentry: commit from tags, chained exceptions use the raised one, frames without line numbers are left out', () => {
  const event = {
    event_id: 'abcdefabcdefabcdefabcdefabcdef12', platform: 'python', release: '2024.05.01', environment: 'staging',
    tags: [{ key: 'git_commit', value: 'deadbeefcafe' }, { key: 'service', value: 'billing' }, { key: 'user.email', value: 'a@example.com' }],
    exception: { values: [
      { type: 'KeyError', stacktrace: { frames: [{ filename: 'billing/cause.py', lineno: 3, in_app: true }] } },
      { type: 'RuntimeError', stacktrace: { frames: [
        { filename: 'billing/app.py', abs_path: '/srv/billing/app.py', lineno: 10, function: 'main', in_app: true },
        { filename: 'billing/tax.py', abs_path: '/srv/billing/tax.py', lineno: null, function: 'rate', in_app: true },
        { filename: 'billing/tax.py', abs_path: '/srv/billing/tax.py', lineno: 42, colno: 0, function: 'compute', in_app: true },
      ] } },
    ] },
    request: { method: 'GET', url: 'https://billing.example.com/invoices/7', headers: { 'X-Auth-Token': 'secret', Accept: '*/*', 'X-Session-Id': 's', 'Bad Header': 'x', 'X-Injected': 'a\r\nSet-Cookie: x=1' } },
  };
  const r = parseAlertPayload(JSON.stringify(event));
  const i = incidentOf(r, 'bare event');
  assert.equal(i.commit, 'deadbeefcafe');
  assert.equal(i.release, '2024.05.01');
  assert.equal(i.environment, 'staging');
  assert.equal(i.service, 'billing');
  assert.equal(i.labels['user.email'], undefined);
  assert.deepEqual(i.frames.map((f) => `${f.file}:${f.line}`), ['/srv/billing/tax.py:42', '/srv/billing/app.py:10']);
  assert.equal(i.frames[0]!.column, undefined, 'colno 0 is no column');
  assert.ok(r.warnings.some((w) => /1 of 3 stack frames/.test(w)), json(r.warnings));
  assert.deepEqual(i.request, { method: 'GET', path: '/invoices/7', headers: { accept: '*/*' } });
  assert.ok(r.warnings.some((w) => /x-auth-token, x-session-id/.test(w)));
  assert.ok(r.warnings.some((w) => /dropped as unusable.*"Bad Header".*x-injected/.test(w)), json(r.warnings));
});

test('Datadog: the default payload and a custom payload with $TAGS (env, service, version, git.commit.sha)', () => {
  const { incident: d } = parse('datadog/written-from-docs__default_payload.json');
  assert.equal(d.source, 'datadog');
  assert.equal(d.id, '7254683490116934371');
  assert.equal(d.title, '[Triggered] High CPU on checkout');
  assert.equal(d.time, '2024-05-01T12:30:00.000Z', '$DATE in epoch milliseconds');
  assert.equal(d.labels.event_type, 'metric_alert_monitor');
  assert.equal(d.labels.org, 'Example Shop');

  const { incident: c, warnings } = parse('datadog/written-from-docs__custom_payload.json');
  assert.equal(c.id, '7254683490116934372');
  assert.equal(c.environment, 'production');
  assert.equal(c.service, 'checkout');
  assert.equal(c.release, '1.4.2');
  assert.equal(c.commit, '4f2c9a1e8b7d6c5f4e3d2c1b0a9f8e7d6c5b4a39');
  assert.equal(c.url, 'https://app.datadoghq.com/event/jump_to?event_id=7254683490116934372');
  assert.equal(c.labels.alert_transition, 'Triggered');
  assert.equal(c.labels.team, 'payments');
  assert.equal(c.labels.monitor, '');
  assert.deepEqual(warnings, []);

  // Variables Datadog left unfilled are not values.
  const r = parseAlertPayload(JSON.stringify({ id: '$ID', title: 'Recovered: disk', alert_transition: 'Recovered', link: '$LINK', date: '1714566600', tags: '$TAGS' }));
  const u = incidentOf(r, 'unfilled');
  assert.equal(u.url, undefined);
  assert.match(u.id, /^datadog-[0-9a-f]{16}$/);
  assert.equal(u.time, '2024-05-01T12:30:00.000Z', 'epoch seconds');
  assert.ok(r.warnings.some((w) => /left \$TAGS, \$LINK, \$ID unfilled/.test(w)), json(r.warnings));
  assert.ok(r.warnings.some((w) => /recovered/.test(w)));
});

test('Opsgenie: the Create action, with details and key:value tags', () => {
  const { incident: o } = parse('opsgenie/zulip__zulip__opsgenie__create.json');
  assert.equal(o.source, 'opsgenie');
  assert.equal(o.id, 'ec03dad6-62c8-4c94-b38b-d88f398e900f');
  assert.equal(o.title, 'another alert');
  assert.equal(o.time, '2017-08-14T11:25:56.288Z');
  assert.equal(o.service, 'Server', 'the entity');
  assert.equal(o.labels.alias, 'alert-alias');
  assert.equal(o.labels.priority, 'P3');
  assert.equal(o.labels.vip, '');

  const payload = JSON.parse(read('opsgenie/zulip__zulip__opsgenie__create.json')) as { action: string; alert: Record<string, unknown> };
  payload.action = 'Close';
  payload.alert.tags = ['env:production', 'service:checkout'];
  payload.alert.details = { commit: '4f2c9a1e8b7d', release: 'v1.4.2' };
  const r = parseAlertPayload(JSON.stringify(payload));
  const o2 = incidentOf(r, 'details');
  assert.equal(o2.environment, 'production');
  assert.equal(o2.service, 'checkout');
  assert.equal(o2.commit, '4f2c9a1e8b7d');
  assert.equal(o2.release, 'v1.4.2');
  assert.ok(r.warnings.some((w) => /closed/.test(w)));
});

test('invalid JSON is an error with its line and column; other non-payloads say what was expected', () => {
  const r = parseAlertPayload('{\n  "receiver": "x",\n  "alerts": [}\n}');
  assert.equal(r.incident, undefined);
  assert.match(r.error ?? '', /not valid JSON: expected a value at line 3, column 14 \(near "  \\"alerts\\": \[}"\)/);
  assert.match(parseAlertPayload('{"a": 1,}').error ?? '', /line 1, column 9/);
  assert.match(parseAlertPayload('').error ?? '', /empty/);
  assert.match(parseAlertPayload('[1, 2]').error ?? '', /is an array: expected a JSON object/);
  assert.match(parseAlertPayload('null').error ?? '', /is null/);
  assert.match(parseAlertPayload('"text"').error ?? '', /is a string/);
  const unknown = parseAlertPayload('{"hello": "world", "n": 1}');
  assert.match(unknown.error ?? '', /not one Repro knows \(its top-level keys: "hello", "n"\).*Alertmanager, Grafana, Sentry, PagerDuty/);
  assert.match(parseAlertPayload('\ufeff' + read('opsgenie/zulip__zulip__opsgenie__create.json')).incident?.id ?? '', /^ec03dad6/, 'a BOM is fine');
});

test('a payload over 5 MB is refused before it is parsed, with a clear error', () => {
  // Not even JSON (its closing brace is missing): parsed first, it would fail as a syntax error.
  const big = `{"alerts": [], "x": "${'a'.repeat(MAX_PAYLOAD_BYTES)}"`;
  const r = parseAlertPayload(big);
  assert.match(r.error ?? '', /payload is 5\.0 MB; at most 5 MB is read/);
  // Multi-byte characters count as bytes.
  assert.match(parseAlertPayload(`"${'é'.repeat(MAX_PAYLOAD_BYTES / 2 + 10)}"`).error ?? '', /at most 5 MB/);
});

test('never throws: every fixture with each value replaced by null, numbers, strings, arrays or objects, and every truncation of one', () => {
  const replacements: unknown[] = [null, 0, -1, 1e308, '', 'x', [], {}, [null], { a: { b: [] } }, true, '$(rm -rf /)', '\u0000'];
  let runs = 0;
  for (const f of allFixtures()) {
    const original = JSON.parse(read(f)) as unknown;
    const paths: (string | number)[][] = [];
    const walk = (v: unknown, p: (string | number)[]): void => {
      if (p.length) paths.push(p);
      if (Array.isArray(v)) v.forEach((x, i) => walk(x, [...p, i]));
      else if (v && typeof v === 'object') for (const [k, x] of Object.entries(v)) walk(x, [...p, k]);
    };
    walk(original, []);
    for (const p of paths) {
      for (const rep of replacements) {
        const copy = JSON.parse(JSON.stringify(original)) as Record<string | number, unknown>;
        let at: Record<string | number, unknown> = copy;
        for (const k of p.slice(0, -1)) at = at[k] as Record<string | number, unknown>;
        at[p[p.length - 1]!] = rep;
        const r = parseAlertPayload(JSON.stringify(copy));
        runs++;
        assert.ok(Array.isArray(r.warnings), `${f} ${p.join('.')}`);
        assert.ok(!r.error || !/internal error/.test(r.error), `${f} ${p.join('.')} = ${JSON.stringify(rep)}: ${r.error}`);
        assert.ok(r.error !== undefined || r.incident !== undefined);
        if (r.incident) assert.match(r.incident.id, ID_PATTERN);
      }
    }
  }
  const text = read('sentry/written-from-docs__event_alert_node_release.json');
  for (let n = 0; n < text.length; n += 7) {
    const r = parseAlertPayload(text.slice(0, n));
    runs++;
    assert.ok(r.error, `truncated at ${n}`);
  }
  assert.ok(runs > 5000, `${runs} runs`);
});
