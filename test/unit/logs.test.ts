// The log viewer's pure parts: the ring buffer, batching, the feed's flow control, level and
// trace-id detection on real shapes of log lines, the filter, and the message protocol's guards.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { Batcher } from '../../extension/core/logs/batcher';
import { compileFilter, EMPTY_FILTER, filteredText, isLogFilterState, type LogFilterState } from '../../extension/core/logs/filter';
import { LogFeed, type LogFeedBatch } from '../../extension/core/logs/logFeed';
import { atLeast, detectLevel } from '../../extension/core/logs/logLevel';
import { MAX_LINE_CHARS, toSessionLine, type SessionLogLine } from '../../extension/core/logs/logLine';
import { RingBuffer } from '../../extension/core/logs/ringBuffer';
import { detectTraceId } from '../../extension/core/logs/traceId';
import { isLogHostMessage, isLogViewerMessage } from '../../webview/logProtocol';
import { ROOT } from './helpers';

const line = (service: string, text: string, time = 0): SessionLogLine => toSessionLine(service, 'stdout', time, text);

test('the ring buffer keeps the newest items, addressed by global index, and says how many it dropped', () => {
  const b = new RingBuffer<number>(3);
  for (let i = 0; i < 5; i++) b.push(i * 10);
  assert.equal(b.size, 3);
  assert.equal(b.start, 2, 'two items evicted');
  assert.equal(b.end, 5);
  assert.equal(b.get(1), undefined);
  assert.equal(b.get(2), 20);
  assert.deepEqual(b.slice(0), [20, 30, 40]);
  assert.deepEqual(b.slice(3, 4), [30]);
  assert.throws(() => new RingBuffer(0), /positive integer/);
});

test('the batcher flushes once per interval, and at once when enough items wait', async () => {
  let flushes = 0;
  const b = new Batcher({ intervalMs: 30, maxPending: 100, flush: () => flushes++ });
  for (let i = 0; i < 50; i++) b.add();
  assert.equal(flushes, 0, 'not before the interval');
  await new Promise((r) => setTimeout(r, 60));
  assert.equal(flushes, 1, '50 signals, one flush');
  b.add(100);
  assert.equal(flushes, 2, 'a full batch goes at once');
  b.add();
  b.dispose();
  await new Promise((r) => setTimeout(r, 60));
  assert.equal(flushes, 2, 'nothing after dispose');
});

test('the feed keeps at most `window` batches in flight and counts what the buffer dropped before the viewer caught up', () => {
  const buffer = new RingBuffer<SessionLogLine>(10);
  const sent: LogFeedBatch[] = [];
  const feed = new LogFeed({ buffer, post: (b) => sent.push(b), maxBatchLines: 4, window: 2 });
  for (let i = 0; i < 10; i++) buffer.push(line('web', `l${i}`));
  feed.pump();
  assert.deepEqual(sent.map((b) => b.lines.map((l) => l.text)), [['l0', 'l1', 'l2', 'l3'], ['l4', 'l5', 'l6', 'l7']]);
  // The viewer is slow: 10 more lines arrive, the buffer keeps the last 10 (l10..l19).
  for (let i = 10; i < 20; i++) buffer.push(line('web', `l${i}`));
  feed.pump();
  assert.equal(sent.length, 2, 'nothing more until an ack');
  feed.ack(sent[0]!.id);
  assert.equal(sent.length, 3);
  assert.deepEqual(sent[2]!.lines.map((l) => l.text), ['l10', 'l11', 'l12', 'l13']);
  assert.equal(sent[2]!.dropped, 2, 'l8 and l9 were evicted before they were sent');
  feed.ack(999); // unknown id: ignored
  assert.equal(sent.length, 3);
  // A reloaded viewer gets the whole buffer again; the 10 lines older than the buffer are counted.
  feed.restart();
  assert.deepEqual(sent[3]!.lines.map((l) => l.text), ['l10', 'l11', 'l12', 'l13']);
  assert.equal(sent[3]!.dropped, 10);
});

test('levels from the shapes a session\'s containers write', () => {
  const cases: [string, string | undefined][] = [
    ['{"level":"warn","msg":"slow query"}', 'warn'],
    ['{"level":50,"time":1,"msg":"boom"}', 'error'],
    ['{"severity":"DEBUG","message":"x"}', 'debug'],
    ['time=2024-01-01T00:00:00Z level=error msg="db down"', 'error'],
    ['ts=1 level=info msg=ok', 'info'],
    ['[ERROR] cannot connect', 'error'],
    ['12:00:01 [WARN] retrying', 'warn'],
    ['2024-01-01 10:00:00.123 UTC [1] LOG:  database system is ready to accept connections', 'info'],
    ['2024-01-01 10:00:00.123 UTC [57] ERROR:  relation "badges" does not exist at character 15', 'error'],
    ['2024-01-01 10:00:00.123 UTC [57] FATAL:  password authentication failed for user "app"', 'error'],
    ['2024-01-01 10:00:00.123 UTC [57] WARNING:  there is no transaction in progress', 'warn'],
    ['1:M 01 Jan 2024 10:00:00.000 * Ready to accept connections tcp', 'info'],
    ['1:M 01 Jan 2024 10:00:00.000 # WARNING Memory overcommit must be enabled!', 'warn'],
    ['1:C 01 Jan 2024 10:00:00.000 . debug line', 'debug'],
    ['ERROR: something broke', 'error'],
    ['WARN low disk', 'warn'],
    ["TypeError: Cannot set properties of undefined (setting 'width')", 'error'],
    ['Uncaught (in promise) Error: connect ECONNREFUSED 10.0.0.2:5432', 'error'],
    ['Error [ERR_HTTP_HEADERS_SENT]: Cannot set headers after they are sent to the client', 'error'],
    ['java.lang.IllegalStateException: pool exhausted', 'error'],
    ['Exception in thread "main" java.lang.NullPointerException', 'error'],
    ['Traceback (most recent call last):', 'error'],
    ['ValueError: invalid literal for int() with base 10: \'x\'', 'error'],
    ['    at measure (/app/src/badge.js:40:21)', undefined],
    ['No Error: all good', undefined],
    ['Errors: 0, Warnings: 0', undefined],
    ['GET /health 200 1.2ms', undefined],
    ['an error happened somewhere in the middle', undefined],
    ['the terror of logs', undefined],
  ];
  for (const [text, want] of cases) assert.equal(detectLevel(text), want, text);
  assert.ok(atLeast('error', 'warn'));
  assert.ok(!atLeast('info', 'warn'));
  assert.ok(!atLeast(undefined, 'info'), 'a line without a level is not "at least info"');
  assert.ok(atLeast(undefined, undefined));
});

test('trace ids: W3C traceparent, trace_id/traceId fields, bare 32-hex ids; their place in the line', () => {
  const tp = 'GET /pay traceparent=00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01 500';
  const m = detectTraceId(tp)!;
  assert.equal(m.id, '4bf92f3577b34da6a3ce929d0e0e4736');
  assert.equal(tp.slice(m.start, m.end), '4BF92F3577B34DA6A3CE929D0E0E4736');
  assert.equal(detectTraceId('level=info trace_id=abc123def4567890 msg=ok')?.id, 'abc123def4567890');
  assert.equal(detectTraceId('{"traceId":"0af7651916cd43dd8448eb211c80319c","msg":"x"}')?.id, '0af7651916cd43dd8448eb211c80319c');
  assert.equal(detectTraceId('request a3ce929d0e0e47364bf92f3577b34da6 failed')?.id, 'a3ce929d0e0e47364bf92f3577b34da6');
  assert.equal(detectTraceId('traceparent 00-00000000000000000000000000000000-00f067aa0ba902b7-01 is invalid'), undefined);
  assert.equal(detectTraceId('GET /health 200 1.2ms'), undefined);
  assert.equal(detectTraceId('sha256 of a 64-hex id: 4bf92f3577b34da6a3ce929d0e0e47364bf92f3577b34da6a3ce929d0e0e4736'), undefined, 'not a 32-hex id');
});

test('a line is cut at MAX_LINE_CHARS and says how much was cut', () => {
  const l = line('web', 'x'.repeat(MAX_LINE_CHARS + 10));
  assert.match(l.text, /… \[10 more characters\]$/);
});

test('the filter: services off, text (case-insensitive by default), regex, minimum level, trace id; a bad regex is an error', () => {
  const lines = [
    line('web', 'GET /customers/137/badge 500 trace_id=aaaabbbbccccdddd'),
    line('db', '2024-01-01 10:00:00.123 UTC [57] ERROR:  relation "badges" does not exist'),
    line('web', 'GET /health 200'),
    line('cache', '1:M 01 Jan 2024 10:00:00.000 * Ready to accept connections'),
  ];
  const shown = (f: Partial<LogFilterState>) => {
    const c = compileFilter({ ...EMPTY_FILTER, ...f });
    assert.ok(c.ok);
    return lines.filter(c.match).map((l) => `${l.service}#${lines.indexOf(l)}`);
  };
  assert.equal(shown({}).length, 4);
  assert.deepEqual(shown({ hidden: ['web', 'cache'] }), ['db#1']);
  assert.deepEqual(shown({ text: 'BADGE' }), ['web#0', 'db#1']);
  assert.deepEqual(shown({ text: 'BADGE', caseSensitive: true }), []);
  assert.deepEqual(shown({ text: '\\s(200|500)\\b', regex: true }), ['web#0', 'web#2']);
  assert.deepEqual(shown({ text: '(200', regex: false }), [], 'plain text is not a pattern');
  assert.deepEqual(shown({ minLevel: 'error' }), ['db#1']);
  assert.deepEqual(shown({ traceId: 'AAAABBBBCCCCDDDD' }), ['web#0']);
  const bad = compileFilter({ ...EMPTY_FILTER, text: '(unclosed', regex: true });
  assert.ok(!bad.ok && /Not a valid regular expression/.test(bad.error));
  const everything = compileFilter({ ...EMPTY_FILTER, text: '.*', regex: true });
  assert.ok(everything.ok && !everything.find, 'a pattern matching the empty string highlights nothing');
});

test('copy and export write the lines the filter shows, with or without timestamps', () => {
  const b = new RingBuffer<SessionLogLine>(10);
  b.push(line('web', 'GET / 200', Date.UTC(2024, 0, 1, 10, 0, 0, 5)));
  b.push(line('db', 'LOG:  checkpoint', Date.UTC(2024, 0, 1, 10, 0, 1)));
  assert.deepEqual(filteredText(b, { ...EMPTY_FILTER, hidden: ['db'] }, { timestamps: true }), { text: '2024-01-01T10:00:00.005Z web | GET / 200\n', lines: 1 });
  assert.deepEqual(filteredText(b, EMPTY_FILTER, { timestamps: false }), { text: 'web | GET / 200\ndb | LOG:  checkpoint\n', lines: 2 });
  assert.ok('error' in filteredText(b, { ...EMPTY_FILTER, text: '[', regex: true }, { timestamps: false }));
});

test('the protocol\'s guards accept what each side sends and refuse anything else', () => {
  assert.ok(isLogViewerMessage({ type: 'ready' }));
  assert.ok(isLogViewerMessage({ type: 'ack', id: 3 }));
  assert.ok(isLogViewerMessage({ type: 'request', id: 1, method: 'export', params: { filter: EMPTY_FILTER, timestamps: true } }));
  for (const bad of [null, 'ready', { type: 'ack', id: -1 }, { type: 'ack', id: 1.5 }, { type: 'request', id: 1, method: 'rm', params: { filter: EMPTY_FILTER, timestamps: true } },
    { type: 'request', id: 1, method: 'copy', params: { filter: { ...EMPTY_FILTER, hidden: [1] }, timestamps: true } },
    { type: 'request', id: 1, method: 'copy', params: { filter: { ...EMPTY_FILTER, text: 'x'.repeat(501) }, timestamps: true } },
    { type: 'request', id: 1, method: 'copy', params: { filter: { ...EMPTY_FILTER, traceId: '../../etc' }, timestamps: true } },
    { type: 'command', command: 'workbench.action.quit' }]) {
    assert.ok(!isLogViewerMessage(bad), JSON.stringify(bad));
  }
  assert.ok(isLogHostMessage({ type: 'batch', id: 1, lines: [], dropped: 0 }));
  assert.ok(isLogHostMessage({ type: 'init', session: 's', bufferLines: 10, services: [{ service: 'web', role: 'app', state: 'following' }] }));
  assert.ok(!isLogHostMessage({ type: 'init', session: 's', bufferLines: 0, services: [] }));
  assert.ok(!isLogFilterState({ ...EMPTY_FILTER, minLevel: 'loud' }));
});

test('the log viewer\'s bundle and stylesheet ship in the VSIX', () => {
  const ignore = readFileSync(join(ROOT, '.vscodeignore'), 'utf8').split('\n').map((l) => l.trim());
  assert.ok(ignore.includes('!dist/logViewer.js'), '.vscodeignore must keep dist/logViewer.js');
  assert.ok(ignore.includes('!media/**'), '.vscodeignore must keep media/ (logViewer.css)');
  const panel = readFileSync(join(ROOT, 'extension/ui/logViewerPanel.ts'), 'utf8');
  assert.match(panel, /'logViewer\.js'/);
  assert.match(panel, /'logViewer\.css'/);
  assert.doesNotMatch(panel, /unsafe-inline|unsafe-eval/, 'the CSP allows no inline code');
});
