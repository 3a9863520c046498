import assert from 'node:assert/strict';
import { test } from 'node:test';
import { buildLinkTemplates, parseReproduceLink, type ReproduceLink } from '../../extension/core/incident/deepLink';
import { mapFrames } from '../../extension/core/incident/frames';
import type { Incident, StackFrame } from '../../extension/core/incident/model';
import { checkPayloadUrl, hostRules } from '../../extension/core/incident/trustedHosts';

const BASE = 'vscode://reprokit.repro/reproduce';
const TRUSTED = ['alerts.example.com', '*.hooks.example.net'];
const OPTS = { trustedHosts: TRUSTED };
const SHA = '4f2c9a1e8b7d6c5f4e3d2c1b0a9f8e7d6c5b4a39';
const HINT = '(it looks like a template variable the alert tool did not fill in)';
const json = (v: unknown): string => JSON.stringify(v);

/** A link as text, each value percent-encoded (as encodeURIComponent or Go's urlquery would). */
const link = (params: readonly (readonly [string, string])[], base = BASE): string =>
  `${base}?${params.map(([k, v]) => `${k}=${encodeURIComponent(v)}`).join('&')}`;
/** The query as VS Code's Uri gives it: already percent-decoded, nothing encoded. */
const decodedQuery = (params: readonly (readonly [string, string])[]): string => params.map(([k, v]) => `${k}=${v}`).join('&');

function incidentOf(r: ReproduceLink, what: string): { incident: Incident; warnings: string[] } {
  if (r.kind !== 'incident') assert.fail(`${what}: expected an incident, got ${json(r)}`);
  return { incident: r.incident, warnings: r.warnings };
}
function errorsOf(r: ReproduceLink, what: string): string[] {
  if (r.kind !== 'error') assert.fail(`${what}: expected an error, got ${json(r)}`);
  assert.ok(r.errors.length > 0, `${what}: at least one error`);
  return r.errors;
}
const parse = (params: readonly (readonly [string, string])[]): ReproduceLink => parseReproduceLink(link(params), OPTS);

// ---------------------------------------------------------------------------------------------
// A full, valid link.

const FRAMES_JSON = [
  { file: '/app/src/routes/orders.ts', line: 42, column: 7, function: 'createOrder', inApp: true },
  { file: 'src/services/pricing.ts', line: 118 },
];
const FULL: [string, string][] = [
  ['incident', 'INC-1234'],
  ['title', 'Checkout failed: 500 on /orders'],
  ['commit', SHA.toUpperCase()],
  ['release', 'v1.4.2'],
  ['env', 'production'],
  ['service', 'checkout'],
  ['time', '2024-05-01T14:30:00+02:00'],
  ['frames', json(FRAMES_JSON)],
  ['method', 'post'],
  ['path', '/orders/42?expand=items'],
  ['headers', json({ Accept: 'application/json', 'Content-Type': 'application/json' })],
  ['body', '{"sku":"A1","qty":2}'],
  ['url', 'https://grafana.example.com/alerting/grafana/dd2f0260/view'],
  ['repo', 'https://github.com/acme/shop.git'],
];
const FULL_INCIDENT: Incident = {
  id: 'INC-1234',
  source: 'link',
  title: 'Checkout failed: 500 on /orders',
  environment: 'production',
  service: 'checkout',
  time: '2024-05-01T12:30:00.000Z',
  commit: SHA,
  release: 'v1.4.2',
  frames: FRAMES_JSON,
  request: { method: 'POST', path: '/orders/42?expand=items', headers: { accept: 'application/json', 'content-type': 'application/json' }, body: '{"sku":"A1","qty":2}' },
  url: 'https://grafana.example.com/alerting/grafana/dd2f0260/view',
  repository: 'https://github.com/acme/shop.git',
  labels: {},
};

test('a full link as text gives the incident with every field (commit lower-cased, time in UTC, method upper-cased, header names lower-cased)', () => {
  const { incident, warnings } = incidentOf(parse(FULL), 'full link');
  assert.deepEqual(incident, FULL_INCIDENT);
  assert.deepEqual(warnings, []);
});

test('the same link as VS Code Uri parts (query already percent-decoded) gives the same incident; frames as "file:line:col;file:line"', () => {
  const params: [string, string][] = FULL.map(([k, v]): [string, string] => {
    if (k === 'title') return [k, 'Checkout+failed:+500+on+/orders']; // Go's urlquery writes spaces as '+'
    if (k === 'frames') return [k, '/app/src/routes/orders.ts:42:7;src/services/pricing.ts:118'];
    return [k, v];
  });
  const { incident, warnings } = incidentOf(parseReproduceLink({ path: '/reproduce', query: decodedQuery(params) }, OPTS), 'uri parts');
  assert.deepEqual(incident, {
    ...FULL_INCIDENT,
    frames: [{ file: '/app/src/routes/orders.ts', line: 42, column: 7 }, { file: 'src/services/pricing.ts', line: 118 }],
  });
  assert.deepEqual(warnings, []);
});

test('frames: the JSON and the "file:line:col;file:line" forms give the same frames, Windows drive letters included', () => {
  const text = 'C:\\build\\shop\\src\\Checkout.cs:31:9; webpack:///./src/index.ts:7 ;src/a.ts:1';
  const asJson = json([
    { file: 'C:\\build\\shop\\src\\Checkout.cs', line: 31, column: 9 },
    { file: 'webpack:///./src/index.ts', line: 7 },
    { file: 'src/a.ts', line: '1' },
  ]);
  const expected: StackFrame[] = [
    { file: 'C:\\build\\shop\\src\\Checkout.cs', line: 31, column: 9 },
    { file: 'webpack:///./src/index.ts', line: 7 },
    { file: 'src/a.ts', line: 1 },
  ];
  assert.deepEqual(incidentOf(parse([['incident', 'I-1'], ['frames', text]]), 'text frames').incident.frames, expected);
  assert.deepEqual(incidentOf(parse([['incident', 'I-1'], ['frames', asJson]]), 'json frames').incident.frames, expected);
  assert.deepEqual(incidentOf(parseReproduceLink({ path: '/reproduce', query: `incident=I-1&frames=${text}` }, OPTS), 'uri frames').incident.frames, expected);
});

test('"+" survives where it means "+": release build metadata and a time zone offset, in a text link and in Uri parts', () => {
  // Written without encoding in a text link, '+' is a space by form decoding; Repro restores it.
  const raw = parseReproduceLink(`${BASE}?incident=I-1&release=1.4.2+build.7&time=2024-05-01T14:30:00+02:00`, OPTS);
  const { incident: a } = incidentOf(raw, 'raw +');
  assert.equal(a.release, '1.4.2+build.7');
  assert.equal(a.time, '2024-05-01T12:30:00.000Z');
  const { incident: b } = incidentOf(parseReproduceLink({ path: '/reproduce', query: 'incident=I-1&release=1.4.2+build.7&time=2024-05-01T14:30:00+02:00' }, OPTS), 'uri +');
  assert.equal(b.release, '1.4.2+build.7');
  assert.equal(b.time, '2024-05-01T12:30:00.000Z');
});

test('a release naming a commit fills the commit, with a warning; a link without an id gets a stable id from its content', () => {
  const { incident, warnings } = incidentOf(parse([['release', `shop@${SHA}`]]), 'release with sha');
  assert.equal(incident.commit, SHA);
  assert.equal(incident.release, `shop@${SHA}`);
  assert.deepEqual(warnings, [`commit ${SHA} taken from release "shop@${SHA}"`]);
  assert.match(incident.id, /^link-[0-9a-f]{16}$/);
  assert.equal(incident.title, `Incident ${incident.id}`);
  const again = incidentOf(parse([['release', `shop@${SHA}`]]), 'same link').incident;
  assert.equal(again.id, incident.id, 'the same link is the same incident');
  assert.notEqual(incidentOf(parse([['release', 'v2.0.0']]), 'other link').incident.id, incident.id);
});

test('the address: any scheme, a trailing slash and the authority in any case are accepted; a #fragment is dropped with a warning', () => {
  for (const base of ['cursor://reprokit.repro/reproduce', 'vscode-insiders://ReproKit.Repro/reproduce/', 'vscode://reprokit.repro/reproduce//']) {
    assert.equal(incidentOf(parseReproduceLink(`${base}?incident=INC-9`, OPTS), base).incident.id, 'INC-9');
  }
  const { incident, warnings } = incidentOf(parseReproduceLink(`${BASE}?incident=INC-9&commit=abc1234#details`, OPTS), 'fragment');
  assert.equal(incident.commit, 'abc1234');
  assert.deepEqual(warnings, ['the link\'s #fragment is ignored']);
  // In Uri parts the fragment is apart already: a '#' in the query is a decoded %23 of a value.
  const { incident: u } = incidentOf(parseReproduceLink({ path: '/reproduce', query: 'incident=INC-9&method=POST&path=/notes&body=see #42' }, OPTS), 'uri #');
  assert.equal(u.request?.body, 'see #42');
});

test('a link for another authority, path or shape is refused, saying what Repro handles', () => {
  const cases: [string, RegExp][] = [
    ['vscode://evil.publisher/reproduce?incident=INC-1', /^the link is for "evil\.publisher", not for Repro \(reprokit\.repro\)$/],
    ['vscode://reprokit.repro.evil.com/reproduce?incident=INC-1', /^the link is for "reprokit\.repro\.evil\.com", not for Repro/],
    ['vscode://user@reprokit.repro/reproduce?incident=INC-1', /^the link is for "user@reprokit\.repro", not for Repro/],
    ['https://example.com/reproduce?incident=INC-1', /^the link is for "example\.com", not for Repro/],
    ['vscode://reprokit.repro/run?incident=INC-1', /^the link's path is "\/run"; Repro handles \/reproduce \(e\.g\. vscode:\/\/reprokit\.repro\/reproduce\?incident=INC-1234&commit=4f2c9a1\)$/],
    ['vscode://reprokit.repro/reproduce/../run?incident=INC-1', /^the link's path is "\/reproduce\/\.\.\/run"/],
    ['vscode://reprokit.repro?incident=INC-1', /^the link's path is ""/],
    ['reprokit.repro/reproduce?incident=INC-1', /^the link "reprokit\.repro\/reproduce" is not a reproduce link; expected <scheme>:\/\/reprokit\.repro\/reproduce\?incident=\.\.\.$/],
    ['vscode://reprokit.repro/reproduce', /^the link has no incident in it: expected \/reproduce\?incident=<id>&commit=<sha>\.\.\. or \/reproduce\?payload=https:\/\/<trusted host>\/\.\.\.$/],
    ['vscode://reprokit.repro/reproduce?incident=&commit=', /^the link has no incident in it/],
  ];
  for (const [text, want] of cases) {
    const errors = errorsOf(parseReproduceLink(text, OPTS), text);
    assert.equal(errors.length, 1, `${text}: ${json(errors)}`);
    assert.match(errors[0]!, want, text);
  }
  const uri = errorsOf(parseReproduceLink({ path: '/open', query: 'incident=INC-1' }, OPTS), 'uri path');
  assert.match(uri[0]!, /^the link's path is "\/open"; Repro handles \/reproduce/);
  assert.deepEqual(errorsOf(parseReproduceLink({ path: 1, query: '' } as unknown as { path: string; query: string }, OPTS), 'bad uri'), ['the link has no path or query']);
});

// ---------------------------------------------------------------------------------------------
// Hostile input.

const HOSTILE = {
  semicolon: 'x;id',
  substitution: '$(id)',
  backticks: '`id`',
  pipe: 'x|id',
  and: 'x && id',
  dotdot: '../../etc/passwd',
  parent: '..',
  option: '--upload-pack=x',
  dash: '-x',
  nul: 'x\u0000y',
  newline: 'x\ny',
} as const;
type Hostile = keyof typeof HOSTILE;
const ALL_HOSTILE = Object.keys(HOSTILE) as Hostile[];

/** Other parameters a link needs for `p` to be checked on its own. */
const CONTEXT: Record<string, [string, string][]> = {
  incident: [],
  payload: [],
  method: [['incident', 'INC-1'], ['path', '/orders']],
  path: [['incident', 'INC-1'], ['method', 'GET']],
  body: [['incident', 'INC-1'], ['method', 'POST'], ['path', '/orders']],
  headers: [['incident', 'INC-1'], ['method', 'POST'], ['path', '/orders']],
};
const contextOf = (p: string): [string, string][] => CONTEXT[p] ?? [['incident', 'INC-1']];

/** The link refuses the value with one error naming the parameter, the value shown escaped. */
function assertRefused(p: string, value: string, label: string, prefix = `${p}:`): string {
  const errors = errorsOf(parse([...contextOf(p), [p, value]]), `${p}=${label}`);
  assert.equal(errors.length, 1, `${p}=${label}: ${json(errors)}`);
  assert.ok(errors[0]!.startsWith(prefix), `${p}=${label}: the error names the parameter: ${errors[0]}`);
  // eslint-disable-next-line no-control-regex
  assert.doesNotMatch(errors[0]!, /[\u0000\n]/, `${p}=${label}: no raw NUL or line break in the message`);
  return errors[0]!;
}

test('hostile values in the strict parameters (ids, commit, release, names, time, method, url, repo, payload) are all refused, naming the parameter', () => {
  for (const p of ['incident', 'commit', 'release', 'env', 'service', 'time', 'method', 'url', 'repo', 'payload']) {
    for (const h of ALL_HOSTILE) assertRefused(p, HOSTILE[h], h);
  }
});

test('hostile values: the specific reasons a user sees', () => {
  assert.match(assertRefused('release', '--upload-pack=x', 'option'), /^release: "--upload-pack=x" is not a release \(it must start with a letter or digit\); expected a tag or version/);
  assert.match(assertRefused('release', 'v1.4.2/../../main', 'dotdot'), /^release: "v1\.4\.2\/\.\.\/\.\.\/main" is not a release \("\.\." is not allowed: a release may name a git ref\)/);
  assert.match(assertRefused('release', 'v1..v2', 'range'), /"\.\." is not allowed/);
  assert.match(assertRefused('commit', '$(id)', 'substitution'), /^commit: "\$\(id\)" is not a git commit sha; expected a git commit sha: 7 to 40 hexadecimal digits/);
  assert.match(assertRefused('commit', 'x\u0000y', 'nul'), /^commit: "x\\u0000y" is not a git commit sha/, 'the NUL is shown escaped');
  assert.match(assertRefused('incident', '-x', 'dash'), /^incident: "-x" is not an incident id; expected the alert's id: .*starting with a letter or digit/);
  assert.match(assertRefused('incident', '..', 'parent'), /^incident: "\.\." is not an incident id/);
  assert.match(assertRefused('env', 'x;id', 'semicolon'), /^env: "x;id" is not an environment name/);
  assert.match(assertRefused('service', '`id`', 'backticks'), /^service: "`id`" is not a service name/);
  assert.match(assertRefused('method', 'GET;id', 'semicolon'), /^method: "GET;id" is not an HTTP method Repro replays; expected one of GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS$/);
  assert.match(assertRefused('url', 'javascript:alert(1)', 'javascript'), /^url: "javascript:alert\(1\)" is not an http\(s\) address/);
  assert.match(assertRefused('url', 'file:///etc/passwd', 'file'), /^url: "file:\/\/\/etc\/passwd" is not an http\(s\) address/);
  assert.match(assertRefused('repo', '--upload-pack=x', 'option'), /^repo: "--upload-pack=x" starts with "-"/);
  assert.match(assertRefused('repo', 'x && id', 'and'), /^repo: "x && id" has spaces or control characters/);
  assert.match(assertRefused('payload', '$(id)', 'substitution'), /^payload: "\$\(id\)" is not an address/);
});

test('hostile values in the title are kept as inert text; a NUL or a line break in it is refused', () => {
  for (const h of ALL_HOSTILE) {
    if (h === 'nul' || h === 'newline') {
      assert.match(assertRefused('title', HOSTILE[h], h), /^title: "x\\u0000y|^title: "x\\ny/);
      continue;
    }
    assert.equal(incidentOf(parse([['incident', 'INC-1'], ['title', HOSTILE[h]]]), `title ${h}`).incident.title, HOSTILE[h]);
  }
  assert.match(assertRefused('title', '   ', 'blank'), /^title: is blank/);
});

test('hostile values in the request body are kept as inert text (line breaks included); a NUL is refused', () => {
  for (const h of ALL_HOSTILE) {
    if (h === 'nul') {
      assert.equal(assertRefused('body', HOSTILE[h], h), 'body: has a NUL character; expected text (binary bodies cannot be replayed from a link)');
      continue;
    }
    const { incident } = incidentOf(parse([...contextOf('body'), ['body', HOSTILE[h]]]), `body ${h}`);
    assert.deepEqual(incident.request, { method: 'POST', path: '/orders', headers: {}, body: HOSTILE[h] });
  }
});

test('hostile header values are kept as inert text, except a line break or NUL (header injection), refused; header names must be tokens', () => {
  for (const h of ALL_HOSTILE) {
    const headers = json({ 'X-Note': HOSTILE[h] });
    if (h === 'nul' || h === 'newline') {
      assert.equal(assertRefused('headers', headers, h), 'headers: the value of X-Note has a line break or another control character');
      continue;
    }
    const { incident } = incidentOf(parse([...contextOf('headers'), ['headers', headers]]), `headers ${h}`);
    assert.deepEqual(incident.request?.headers, { 'x-note': HOSTILE[h] });
  }
  assert.match(assertRefused('headers', json({ 'x;id': '1' }), 'name ;'), /^headers: "x;id" is not a header name/);
  assert.match(assertRefused('headers', json({ 'X-A\r\nX-B': '1' }), 'name CRLF'), /^headers: "X-A\\r\\nX-B" is not a header name/);
  assert.match(assertRefused('headers', json({ 'x-a': 1 }), 'number'), /^headers: the value of x-a is a number; expected a string$/);
  assert.match(assertRefused('headers', json({ Accept: 'a', accept: 'b' }), 'twice'), /^headers: accept is given twice/);
  assert.match(assertRefused('headers', json(['accept', 'x']), 'array'), /^headers: is an array; expected a JSON object/);
  assert.match(assertRefused('headers', '-x', 'dash'), /^headers: is not valid JSON/);
});

test('hostile request paths: characters a URL path cannot have, ".." segments (also percent-encoded) and a leading "-" are refused; sub-delimiters stay', () => {
  const refused: [string, RegExp][] = [
    ['/x|id', /has characters a URL path cannot have/],
    ['/`id`', /has characters a URL path cannot have/],
    ['/x && id', /has characters a URL path cannot have/],
    ['/x\u0000y', /has characters a URL path cannot have/],
    ['/x\ny', /has characters a URL path cannot have/],
    ['/../../etc/passwd', /has a "\.\." segment/],
    ['/orders/..', /has a "\.\." segment/],
    ['/a/%2e%2e/etc/passwd', /has a "\.\." segment/],
    ['/a/%2E%2e/etc/passwd', /has a "\.\." segment/],
    ['/a/.%2e/etc/passwd', /has a "\.\." segment/],
    ['/a/%2e./etc/passwd', /has a "\.\." segment/],
    ['-x', /does not start with "\/"/],
    ['--upload-pack=x', /does not start with "\/"/],
    ['x;id', /does not start with "\/"/],
    ['../../etc/passwd', /does not start with "\/"/],
  ];
  for (const [v, why] of refused) assert.match(assertRefused('path', v, json(v)), why, json(v));
  // RFC 3986 allows ; $ ( ) & in a path; it is replayed over HTTP, never given to a shell.
  for (const v of ['/orders;id', '/orders/$(id)', '/search?q=a&&b', '/files/...', '/a?next=../..']) {
    assert.equal(incidentOf(parse([...contextOf('path'), ['path', v]]), v).incident.request?.path, v);
  }
});

test('hostile frames: relative ".." paths, NUL and line breaks are refused; other file names stay inert text and map onto no file outside the repository', () => {
  const frame = (v: string): string => `${v}:12`;
  const refused: Partial<Record<Hostile, RegExp>> = {
    semicolon: /^frames\[0\]: "x" is not file:line or file:line:column/, // ';' separates frames
    dotdot: /^frames\[0\]: file "\.\.\/\.\.\/etc\/passwd" is a relative path with a "\.\." segment/,
    parent: /^frames\[0\]: file "\.\." is a relative path with a "\.\." segment/,
    nul: /^frames\[0\]: file "x\\u0000y" has a NUL or another control character/,
    newline: /^frames\[0\]: "x\\ny:12" is not file:line or file:line:column/,
  };
  const repo = ['src/app.ts', 'etc/passwd'];
  for (const h of ALL_HOSTILE) {
    const want = refused[h];
    if (want) { assert.match(assertRefused('frames', frame(HOSTILE[h]), h, 'frames[0]:'), want, h); continue; }
    const { incident } = incidentOf(parse([['incident', 'INC-1'], ['frames', frame(HOSTILE[h])]]), `frames ${h}`);
    assert.deepEqual(incident.frames, [{ file: HOSTILE[h], line: 12 }], h);
    assert.deepEqual(mapFrames(incident.frames, repo).map((m) => m.file), [undefined], `${h}: maps onto no repository file`);
  }
  assert.match(assertRefused('frames', json([{ file: 'src\\..\\..\\x.ts', line: 1 }]), 'backslash ..', 'frames[0]:'), /is a relative path with a "\.\." segment/);
  assert.match(assertRefused('frames', json([{ file: 'src/a.ts', line: '1; rm -rf /' }]), 'line', 'frames[0]:'), /^frames\[0\]: line "1; rm -rf \/" is not a line number/);
  assert.match(assertRefused('frames', json([{ file: 'src/a.ts', line: 0 }]), 'line 0', 'frames[0]:'), /line "0" is not a line number/);
  assert.match(assertRefused('frames', json({ file: 'src/a.ts', line: 1 }), 'object', 'frames[0]:'), /^frames\[0\]: "\{\\"file\\":\\"src\/a\.ts\\",\\"line\\":1\}" is not file:line or file:line:column/);
  assert.match(assertRefused('frames', '[]', 'empty'), /^frames: is empty/);
  assert.match(assertRefused('frames', '[{"file":', 'bad json'), /^frames: is not valid JSON/);
  // Absolute build paths come from the build machine and are matched by their ending only.
  const { incident } = incidentOf(parse([['incident', 'INC-1'], ['frames', '/app/../../etc/passwd:3']]), 'absolute ..');
  assert.deepEqual(incident.frames, [{ file: '/app/../../etc/passwd', line: 3 }]);
  assert.deepEqual(mapFrames(incident.frames, ['src/app.ts']).map((m) => m.file), [undefined]);
  // A function name is display text.
  const fn = incidentOf(parse([['incident', 'INC-1'], ['frames', json([{ file: 'src/a.ts', line: 1, function: '$(id)\n`x`' }])]]), 'function');
  assert.deepEqual(fn.incident.frames, [{ file: 'src/a.ts', line: 1, function: '$(id) `x`' }]);
});

test('malformed percent-encoding is refused, naming the parameter', () => {
  assert.deepEqual(errorsOf(parseReproduceLink(`${BASE}?incident=INC-1&commit=%zz`, OPTS), '%zz'), [
    'commit: malformed percent-encoding (a "%" not followed by two hex digits, or bytes that are not UTF-8); encode the value with encodeURIComponent or urlquery',
  ]);
  assert.match(errorsOf(parseReproduceLink(`${BASE}?incident=INC-1&title=%C3%28`, OPTS), 'bad utf-8')[0]!, /^title: malformed percent-encoding/);
  assert.match(errorsOf(parseReproduceLink(`${BASE}?incident=INC-1&%zz=1`, OPTS), 'bad name')[0]!, /^parameter "%zz": malformed percent-encoding in its name/);
});

test('a 10 MB parameter is refused with a clear error, as text and as Uri parts; over-long single values name the parameter and its limit', () => {
  const big = 'a'.repeat(10 * 1024 * 1024);
  const query = `incident=INC-1&title=${big}`;
  const expected = `the link's query is ${query.length} characters long; Repro reads at most 262144 (256 KB). Put large data (long stacks, request bodies) in the alert's payload and link it with payload=https://...`;
  assert.deepEqual(errorsOf(parseReproduceLink(`${BASE}?${query}`, OPTS), '10 MB text'), [expected]);
  assert.deepEqual(errorsOf(parseReproduceLink({ path: '/reproduce', query }, OPTS), '10 MB uri'), [expected]);
  assert.deepEqual(errorsOf(parseReproduceLink(`vscode://reprokit.repro/${big}`, OPTS), '10 MB address'), [
    `the link's address part is ${big.length + 'vscode://reprokit.repro/'.length} characters long; expected reprokit.repro/reproduce`,
  ]);

  assert.equal(assertRefused('title', 'a'.repeat(2000), 'long title'), 'title: is 2000 characters long; at most 1024 are accepted; expected one line of text, at most 1024 characters');
  assert.match(assertRefused('commit', 'a'.repeat(41), 'long commit'), /^commit: is 41 characters long; at most 40 are accepted/);
  assert.match(assertRefused('incident', 'a'.repeat(129), 'long id'), /^incident: is 129 characters long; at most 128 are accepted/);
  assert.match(assertRefused('body', 'b'.repeat(64 * 1024 + 1), 'long body'), /^body: is 65537 characters long; at most 65536 are accepted/);
  // A long title within the bound is shortened for display, not refused.
  const title = incidentOf(parse([['incident', 'INC-1'], ['title', 't'.repeat(1000)]]), 'title 1000').incident.title;
  assert.equal(title, `${'t'.repeat(255)}…`);
});

test('a repeated parameter is refused, even when one of the values is empty', () => {
  assert.deepEqual(errorsOf(parseReproduceLink(`${BASE}?incident=INC-1&commit=abc1234&commit=def5678`, OPTS), 'twice'), ['commit: given 2 times; give each parameter once']);
  assert.deepEqual(errorsOf(parseReproduceLink(`${BASE}?incident=INC-1&commit=abc1234&commit=`, OPTS), 'twice, one empty'), ['commit: given 2 times; give each parameter once']);
  assert.deepEqual(errorsOf(parseReproduceLink(`${BASE}?payload=a&incident=A&payload=b&incident=B&incident=C`, OPTS), 'several'), [
    'payload: given 2 times; give each parameter once',
    'incident: given 3 times; give each parameter once',
  ]);
  assert.deepEqual(errorsOf(parseReproduceLink({ path: '/reproduce', query: 'incident=INC-1&release=v1&release=v2' }, OPTS), 'uri twice'), ['release: given 2 times; give each parameter once']);
});

test('unknown parameters are ignored with one warning naming them (each once); an empty known parameter is ignored silently', () => {
  const { incident, warnings } = incidentOf(
    parseReproduceLink(`${BASE}?utm_source=slack&incident=INC-1&foo=bar&utm_source=email&commit=abc1234&env=`, OPTS),
    'unknown',
  );
  assert.equal(incident.id, 'INC-1');
  assert.equal(incident.commit, 'abc1234');
  assert.equal(incident.environment, undefined);
  assert.deepEqual(warnings, [
    'unknown link parameters ignored: "utm_source", "foo" (Repro reads incident, title, commit, release, env, service, time, frames, method, path, headers, body, url, repo, payload)',
  ]);
  const many = Array.from({ length: 12 }, (_, i) => `x${i}=1`).join('&');
  const r = incidentOf(parseReproduceLink(`${BASE}?incident=INC-1&${many}`, OPTS), 'many unknown');
  assert.match(r.warnings[0]!, /^unknown link parameters ignored: "x0", "x1", .*"x9" and 2 more \(Repro reads/);
});

test('secret request headers are removed with a warning naming them, never their values', () => {
  const headers = {
    Authorization: 'Bearer s3cr3t-token',
    Cookie: 'sid=abc123',
    'X-Api-Key': 'k-999',
    'Proxy-Authorization': 'Basic cHJveHk=',
    'X-Auth-Token': 'tok-777',
    'X-Session-Id': 'sess-555',
    Accept: 'application/json',
    'X-Request-Id': 'req-42',
  };
  const r = parse([['incident', 'INC-1'], ['method', 'GET'], ['path', '/orders/42'], ['headers', json(headers)]]);
  const { incident, warnings } = incidentOf(r, 'secret headers');
  assert.deepEqual(incident.request, { method: 'GET', path: '/orders/42', headers: { accept: 'application/json', 'x-request-id': 'req-42' } });
  assert.deepEqual(warnings, ['headers: removed because they may hold credentials (Repro never replays them): authorization, cookie, x-api-key, proxy-authorization, x-auth-token, x-session-id']);
  for (const secret of ['s3cr3t', 'abc123', 'k-999', 'cHJveHk', 'tok-777', 'sess-555']) assert.ok(!json(r).includes(secret), `${secret} is nowhere in the result`);
});

test('a request needs both a method and a path', () => {
  const need = (given: string): string => `method, path: a request needs both (given: ${given}); expected e.g. method=POST&path=/orders`;
  assert.deepEqual(errorsOf(parse([['incident', 'INC-1'], ['path', '/orders']]), 'path only'), [need('path')]);
  assert.deepEqual(errorsOf(parse([['incident', 'INC-1'], ['method', 'POST']]), 'method only'), [need('method')]);
  assert.deepEqual(errorsOf(parse([['incident', 'INC-1'], ['body', '{}'], ['headers', '{}']]), 'body and headers'), [need('headers, body')]);
  assert.deepEqual(errorsOf(parse([['incident', 'INC-1'], ['method', 'POST'], ['path', '/orders'], ['commit', 'nope']]), 'with another error'), [
    'commit: "nope" is not a git commit sha; expected a git commit sha: 7 to 40 hexadecimal digits, e.g. commit=4f2c9a1',
  ]);
  const { incident } = incidentOf(parse([['incident', 'INC-1'], ['method', 'delete'], ['path', '/orders/42']]), 'both');
  assert.deepEqual(incident.request, { method: 'DELETE', path: '/orders/42', headers: {} });
});

// ---------------------------------------------------------------------------------------------
// payload= and the trusted hosts.

test('payload=: an https URL on a trusted host (exact, or *.suffix) is returned to fetch; nothing else is', () => {
  const ok = (url: string, expected = url): void => {
    assert.deepEqual(parse([['payload', url]]), { kind: 'payload-url', url: expected, warnings: [] }, url);
  };
  ok('https://alerts.example.com/incidents/INC-1234.json');
  ok('https://ALERTS.Example.com/incidents/INC-1234.json', 'https://alerts.example.com/incidents/INC-1234.json');
  ok('https://alerts.example.com:8443/x.json?sig=abc');
  ok('https://eu.hooks.example.net/sentry/1.json');
  ok('https://a.b.hooks.example.net/1.json');

  const refused: [string, RegExp][] = [
    ['https://evil.example.org/x.json', /^payload: the host evil\.example\.org is not trusted\. Repro fetches payloads only from hosts in the "repro\.trustedAlertHosts" setting \(it lists alerts\.example\.com, \*\.hooks\.example\.net\); if you expect alerts from evil\.example\.org, add "evil\.example\.org" \(or "\*\.example\.org"\) to that setting$/],
    ['https://hooks.example.net/x.json', /^payload: the host hooks\.example\.net is not trusted/], // *.suffix is not the suffix itself
    ['https://other.example.com/x.json', /^payload: the host other\.example\.com is not trusted/],
    ['https://evilalerts.example.com/x.json', /^payload: the host evilalerts\.example\.com is not trusted/],
    ['https://alerts.example.com.evil.net/x.json', /^payload: the host alerts\.example\.com\.evil\.net is not trusted/],
    ['https://evil.nethooks.example.net.evil.org/x', /is not trusted/],
    ['https://evil.net#@alerts.example.com', /^payload: the host evil\.net is not trusted.*add "evil\.net" to that setting$/],
    ['http://alerts.example.com/x.json', /^payload: "http:\/\/alerts\.example\.com\/x\.json" is http, not https: Repro fetches alert payloads only over https/],
    ['ftp://alerts.example.com/x.json', /is ftp, not https/],
    ['file:///etc/passwd', /is file, not https/],
    ['https://user:hunter2@alerts.example.com/x.json', /^payload: the address has a user name or password in it; credentials do not belong in links/],
    ['https://alerts.example.com@evil.net/x.json', /^payload: the address has a user name or password in it/],
    ['alerts.example.com/x.json', /^payload: "alerts\.example\.com\/x\.json" is not an address; expected an https:\/\/ address/],
  ];
  for (const [url, want] of refused) {
    const errors = errorsOf(parse([['payload', url]]), url);
    assert.equal(errors.length, 1, url);
    assert.match(errors[0]!, want, url);
    assert.ok(!errors[0]!.includes('hunter2'), 'a password is never echoed');
  }
  assert.match(errorsOf(parseReproduceLink(link([['payload', 'https://alerts.example.com/x.json']]), { trustedHosts: [] }), 'no setting')[0]!, /setting \(it is empty\)/);
  assert.ok(!errorsOf(parse([['payload', 'http://u:hunter2@alerts.example.com/x']]), 'http with password')[0]!.includes('hunter2'));
});

test('payload= cannot be combined with other parameters', () => {
  assert.deepEqual(errorsOf(parse([['payload', 'https://alerts.example.com/x.json'], ['incident', 'INC-1'], ['commit', 'abc1234']]), 'combined'), [
    'payload: cannot be combined with incident, commit; a link either points at the alert\'s payload or carries the incident\'s fields',
  ]);
  // An empty companion is what a template renders for a missing label: not a conflict.
  assert.equal(parse([['payload', 'https://alerts.example.com/x.json'], ['commit', '']]).kind, 'payload-url');
  // Unknown companions only warn.
  const r = parse([['payload', 'https://alerts.example.com/x.json'], ['utm_source', 'slack']]);
  assert.equal(r.kind, 'payload-url');
  assert.match(r.kind === 'payload-url' ? r.warnings[0]! : '', /^unknown link parameters ignored: "utm_source"/);
});

test('hostRules: exact hosts and *.suffix patterns from the setting; pasted addresses reduce to their host; too broad or malformed entries are ignored with a warning', () => {
  const warnings: string[] = [];
  const rules = hostRules(['alerts.example.com', '*.Hooks.Example.net', 'https://user@Alerts2.Example.org:8443/path', '  ALERTS3.example.com  ', '*.com', '*', 'a b', 'exa*mple.com', 'user@host.example.com', 42, '', null], warnings);
  assert.deepEqual(rules, [
    { exact: 'alerts.example.com', text: 'alerts.example.com' },
    { suffix: '.hooks.example.net', text: '*.Hooks.Example.net' },
    { exact: 'alerts2.example.org', text: 'https://user@Alerts2.Example.org:8443/path' },
    { exact: 'alerts3.example.com', text: '  ALERTS3.example.com  ' },
  ]);
  assert.deepEqual(warnings, [
    'repro.trustedAlertHosts: "*.com" is too broad or not a host pattern; it is ignored (use *.example.com)',
    'repro.trustedAlertHosts: "*" is not a host name; it is ignored (use alerts.example.com or *.example.com)',
    'repro.trustedAlertHosts: "a b" is not a host name; it is ignored (use alerts.example.com or *.example.com)',
    'repro.trustedAlertHosts: "exa*mple.com" is not a host name; it is ignored (use alerts.example.com or *.example.com)',
    'repro.trustedAlertHosts: "user@host.example.com" is not a host name; it is ignored (use alerts.example.com or *.example.com)',
  ]);
});

test('checkPayloadUrl: ignored setting entries are named in the error and reported as warnings on success; the hint never suggests a pattern the setting would ignore', () => {
  assert.deepEqual(checkPayloadUrl('https://alerts.example.com/a.json', ['alerts.example.com', '*.com']), {
    ok: true,
    value: 'https://alerts.example.com/a.json',
    warnings: ['repro.trustedAlertHosts: "*.com" is too broad or not a host pattern; it is ignored (use *.example.com)'],
  });
  const onlyBroad = checkPayloadUrl('https://x.example.com/a.json', ['*.com']);
  assert.equal(onlyBroad.ok, false);
  assert.match(!onlyBroad.ok ? onlyBroad.error : '', /setting \(none of its entries is usable; repro\.trustedAlertHosts: "\*\.com" is too broad or not a host pattern; it is ignored \(use \*\.example\.com\)\); if you expect alerts from x\.example\.com, add "x\.example\.com" \(or "\*\.example\.com"\) to that setting$/);
  const twoLabels = checkPayloadUrl('https://evil.net/a.json', []);
  assert.match(!twoLabels.ok ? twoLabels.error : '', /add "evil\.net" to that setting$/, 'no "*.net" suggestion');
  const ip = checkPayloadUrl('https://10.0.0.1/a.json', []);
  assert.match(!ip.ok ? ip.error : '', /add "10\.0\.0\.1" to that setting$/, 'no wildcard for an IP address');
  const ctl = checkPayloadUrl('https://alerts.example.com/a.json\n', ['alerts.example.com']);
  assert.match(!ctl.ok ? ctl.error : '', /^payload: "https:\/\/alerts\.example\.com\/a\.json\\n" has a control character/);
  const long = checkPayloadUrl(`https://alerts.example.com/${'a'.repeat(3000)}`, ['alerts.example.com']);
  assert.match(!long.ok ? long.error : '', /^payload: the address is 3027 characters long; at most 2048$/);
  assert.equal(checkPayloadUrl('https://alerts.example.com/a.json', 'alerts.example.com' as unknown as string[]).ok, false, 'a setting that is not a list trusts nothing');
});

// ---------------------------------------------------------------------------------------------
// repo= and unfilled templates.

test('repo=: clone URLs are kept; a password, a file path, a leading "-" or something that is not a git URL is refused (the password never shown)', () => {
  for (const repo of ['https://github.com/acme/shop.git', 'git@github.com:acme/shop.git', 'ssh://git@github.com:22/acme/shop', 'https://org@dev.azure.com/org/project/_git/shop']) {
    assert.equal(incidentOf(parse([['incident', 'INC-1'], ['repo', repo]]), repo).incident.repository, repo);
  }
  const refused: [string, RegExp][] = [
    ['https://deploy:hunter2@github.com/acme/shop.git', /^repo: "https:\/\/\*\*\*@github\.com\/acme\/shop\.git" carries a password; expected the git repository/],
    ['https://a@b:hunter2@github.com/acme/shop.git', /^repo: "https:\/\/\*\*\*@github\.com\/acme\/shop\.git" carries a password/],
    ['/home/me/shop', /^repo: "\/home\/me\/shop" is not a remote repository URL/],
    ['./shop', /is not a remote repository URL/],
    ['C:\\src\\shop', /is not a remote repository URL/],
    ['file:///home/me/shop.git', /is not a remote repository URL/],
    ['shop', /is not a remote repository URL/],
    ['-x', /^repo: "-x" starts with "-"/],
    ['--upload-pack=touch /tmp/pwned', /has spaces or control characters/],
    ['https://github.com/acme/shop.git\n', /has spaces or control characters/],
  ];
  for (const [repo, want] of refused) {
    const error = assertRefused('repo', repo, json(repo));
    assert.match(error, want, repo);
    assert.ok(!error.includes('hunter2'), `${repo}: the password is not echoed`);
  }
});

test('values the alert tool left unrendered ({{ .CommonLabels.commit }}, $COMMIT, ${ENV}) get the "template variable" hint; other bad values do not', () => {
  const cases: [string, string][] = [
    ['commit', '{{ .CommonLabels.commit }}'],
    ['commit', '$COMMIT'],
    ['release', '{{ .CommonLabels.version | urlquery }}'],
    ['env', '${ENV}'],
    ['service', '{{entity}}'],
    ['incident', '$ID'],
    ['time', '$DATE'],
  ];
  for (const [p, v] of cases) {
    const error = assertRefused(p, v, v);
    assert.ok(error.includes(`${json(v)} is not `) && error.includes(` ${HINT}; expected `), `${p}=${v}: ${error}`);
  }
  for (const [p, v] of [['commit', 'xyz'], ['commit', '$commit'], ['env', 'prod env'], ['release', '-rc1']] as const) {
    assert.ok(!assertRefused(p, v, v).includes(HINT), `${p}=${v}: no hint`);
  }
  assert.equal(
    assertRefused('commit', '{{ .CommonLabels.commit }}', 'go template'),
    `commit: "{{ .CommonLabels.commit }}" is not a git commit sha ${HINT}; expected a git commit sha: 7 to 40 hexadecimal digits, e.g. commit=4f2c9a1`,
  );
  // As VS Code delivers it, too.
  const uri = errorsOf(parseReproduceLink({ path: '/reproduce', query: 'incident=INC-1&commit=$COMMIT' }, OPTS), 'uri template');
  assert.deepEqual(uri, [`commit: "$COMMIT" is not a git commit sha ${HINT}; expected a git commit sha: 7 to 40 hexadecimal digits, e.g. commit=4f2c9a1`]);
});

// ---------------------------------------------------------------------------------------------
// The templates shown to users, parsed back.

type Expected = { kind: 'incident'; fields: Partial<Incident> } | { kind: 'payload-url'; url: string };
const GO_SAMPLE: Partial<Incident> = {
  id: 'a1bc48475b20e73d', title: 'High error rate on checkout', commit: SHA, release: 'v1.4.2', environment: 'production', service: 'checkout',
  time: '2024-05-01T12:30:00.000Z', url: 'https://grafana.example.com/alerting/grafana/dd2f0260/view',
};
const SAMPLES: Record<string, Expected> = {
  alertmanager: { kind: 'incident', fields: GO_SAMPLE },
  grafana: { kind: 'incident', fields: GO_SAMPLE },
  pagerduty: { kind: 'incident', fields: { id: 'INC-1234', title: 'Incident INC-1234', commit: SHA, release: 'v1.4.2', environment: 'production', service: 'checkout' } },
  sentry: { kind: 'payload-url', url: 'https://alerts.example.com/sentry/599349254a1447a99774b5310711c1a8.json' },
  datadog: {
    kind: 'incident',
    fields: { id: '7254683490116934371', title: 'Incident 7254683490116934371', time: '2024-05-01T12:30:00.000Z', url: 'https://app.datadoghq.com/event/jump_to?event_id=7254683490116934371' },
  },
  opsgenie: { kind: 'incident', fields: { id: 'checkout-error-rate', title: 'Incident checkout-error-rate', service: 'checkout' } },
};
const SENTRY_OPTS = { trustedHosts: ['alerts.example.com'] };

/** The example as VS Code's URI handler would hand it over: path, and the query percent-decoded. */
function asUriParts(example: string): { path: string; query: string } {
  const q = example.indexOf('?');
  const head = example.slice(0, q);
  return { path: head.slice(head.indexOf('/', head.indexOf('//') + 2)), query: decodeURIComponent(example.slice(q + 1)) };
}

for (const repository of [undefined, 'https://github.com/acme/shop.git', 'git@github.com:acme/shop.git']) {
  test(`buildLinkTemplates('vscode'${repository ? `, ${json(repository)}` : ''}): every example parses back (as text and as Uri parts) into the sample values`, () => {
    const list = buildLinkTemplates('vscode', repository);
    assert.deepEqual(list.map((t) => t.tool), ['alertmanager', 'grafana', 'pagerduty', 'sentry', 'datadog', 'opsgenie']);
    for (const t of list) {
      assert.ok(t.example.startsWith(`${BASE}?`), `${t.tool}: ${t.example}`);
      assert.ok(t.name && t.where && t.notes, `${t.tool}: described`);
      const want = SAMPLES[t.tool]!;
      for (const [form, r] of [['text', parseReproduceLink(t.example, SENTRY_OPTS)], ['uri', parseReproduceLink(asUriParts(t.example), SENTRY_OPTS)]] as const) {
        const what = `${t.tool} (${form}): ${t.example}`;
        if (want.kind === 'payload-url') {
          assert.deepEqual(r, { kind: 'payload-url', url: want.url, warnings: [] }, what);
          continue;
        }
        const { incident, warnings } = incidentOf(r, what);
        assert.deepEqual(incident, { ...want.fields, source: 'link', frames: [], labels: {}, ...(repository ? { repository } : {}) }, what);
        assert.deepEqual(warnings, [], what);
      }
      if (repository && t.tool !== 'sentry') {
        assert.ok(t.template.includes(`&repo=${encodeURIComponent(repository)}&`), `${t.tool}: the repository is written in the template, encoded`);
      }
    }
    // Datadog does not encode $LINK, so it must stay the last parameter.
    assert.ok(list.find((t) => t.tool === 'datadog')!.template.endsWith('&url=$LINK'));
  });
}

test('buildLinkTemplates: the Sentry example needs its host trusted; the unrendered templates are refused with the template-variable hint', () => {
  const sentry = buildLinkTemplates('vscode').find((t) => t.tool === 'sentry')!;
  assert.match(errorsOf(parseReproduceLink(sentry.example, { trustedHosts: [] }), 'sentry untrusted')[0]!, /^payload: the host alerts\.example\.com is not trusted/);
  for (const t of buildLinkTemplates('vscode')) {
    if (t.tool === 'sentry') continue;
    const errors = errorsOf(parseReproduceLink(t.template, OPTS), `${t.tool} template`);
    assert.ok(errors.some((e) => e.includes(HINT)), `${t.tool}: ${json(errors)}`);
  }
  // The Go templates' time expression is longer than any time: refused for its length, with the hint.
  const am = buildLinkTemplates('vscode').find((t) => t.tool === 'alertmanager')!;
  assert.deepEqual(errorsOf(parseReproduceLink(am.template, OPTS), 'alertmanager template'), [
    `time: is 78 characters long; at most 40 are accepted ${HINT}; expected an ISO-8601 time with a zone, e.g. time=2024-05-01T12:30:00Z, or epoch seconds or milliseconds`,
  ]);
});

test('buildLinkTemplates: other editors\' schemes; a string that is not a URI scheme throws RangeError', () => {
  for (const scheme of ['cursor', 'vscode-insiders', 'vscodium']) {
    const list = buildLinkTemplates(scheme);
    assert.equal(list.length, 6);
    for (const t of list) {
      assert.ok(t.example.startsWith(`${scheme}://reprokit.repro/reproduce?`), t.example);
      assert.ok(t.template.startsWith(`${scheme}://reprokit.repro/reproduce?`), t.template);
      assert.notEqual(parseReproduceLink(t.example, SENTRY_OPTS).kind, 'error', `${scheme} ${t.tool}`);
    }
  }
  assert.equal(buildLinkTemplates()[0]!.example.split('://')[0], 'vscode', 'vscode by default');
  for (const bad of ['', 'VSCode', 'vs code', '1abc', 'vscode:', 'vscode://x', 'javascript:alert(1)//', 'a'.repeat(33)]) {
    assert.throws(() => buildLinkTemplates(bad), (e: unknown) => e instanceof RangeError && e.message === `not a URI scheme: ${json(bad)}`, json(bad));
  }
});

test('a link\'s JSON body keeps its shape but not credential-like values, and says which it removed', () => {
  const body = JSON.stringify({ customer: 137, password: 'hunter2', card: { token: 'tok_live_9' }, note: 'keep' });
  const { incident, warnings } = incidentOf(parse([['incident', 'INC-1'], ['method', 'POST'], ['path', '/login'], ['body', body]]), 'json body');
  const sent = JSON.parse(incident.request?.body ?? '{}') as Record<string, unknown>;
  assert.equal(sent['customer'], 137);
  assert.equal(sent['note'], 'keep');
  assert.notEqual(sent['password'], 'hunter2');
  assert.doesNotMatch(incident.request?.body ?? '', /hunter2|tok_live_9/);
  assert.ok(warnings.some((w) => /password/.test(w)), warnings.join('\n'));
  // a body that is not JSON is replayed as it was written
  const { incident: plain } = incidentOf(parse([['incident', 'INC-2'], ['method', 'POST'], ['path', '/notes'], ['body', 'see #42']]), 'text body');
  assert.equal(plain.request?.body, 'see #42');
});
