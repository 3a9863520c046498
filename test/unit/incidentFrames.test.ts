import assert from 'node:assert/strict';
import { test } from 'node:test';
import { mapFrames, normaliseFramePath, type MappedFrame } from '../../extension/core/incident/frames';
import type { StackFrame } from '../../extension/core/incident/model';

/** The repository at the incident's commit, as git ls-files lists it. */
const REPO = [
  'src/x.js',
  'src/routes/orders.ts',
  'src/services/pricing.ts',
  'src/handler.ts',
  'src/index.ts',
  'src/app.ts',
  'src/server.ts',
  'src/Checkout.cs',
  'lib/util/format.ts',
  'packages/api/src/util/format.ts',
  'packages/web/src/util/format.ts',
  'app/models/user.rb',
  'cmd/main.go',
  'internal/api/handler.go',
  'config/settings.py',
  'README.md',
  'package.json',
];

const json = (v: unknown): string => JSON.stringify(v);
const one = (file: string, repo: readonly string[] = REPO): MappedFrame => mapFrames([{ file, line: 12, column: 5 }], repo)[0]!;
/** Where a frame maps: the repository file, or undefined. */
const fileOf = (file: string, repo: readonly string[] = REPO): string | undefined => one(file, repo).file;

test('normaliseFramePath: schemes, drive letters, "." and ".." segments, query strings; absolute vs relative', () => {
  const cases: [string, { segments: string[]; absolute: boolean }][] = [
    ['/app/src/x.js', { segments: ['app', 'src', 'x.js'], absolute: true }],
    ['src/routes/orders.ts', { segments: ['src', 'routes', 'orders.ts'], absolute: false }],
    ['./src//routes/./orders.ts', { segments: ['src', 'routes', 'orders.ts'], absolute: false }],
    ['webpack:///./src/x.ts', { segments: ['src', 'x.ts'], absolute: false }],
    ['webpack://shop/./src/app.ts', { segments: ['src', 'app.ts'], absolute: false }],
    ['webpack-internal:///./src/app.ts', { segments: ['src', 'app.ts'], absolute: false }],
    ['app:///src/app.ts', { segments: ['src', 'app.ts'], absolute: false }],
    ['file:///home/dev/shop/src/server.ts', { segments: ['home', 'dev', 'shop', 'src', 'server.ts'], absolute: true }],
    ['file:///C:/build/src/handler.ts', { segments: ['build', 'src', 'handler.ts'], absolute: true }],
    ['https://cdn.example.com/static/js/main.js?v=3#L1', { segments: ['static', 'js', 'main.js'], absolute: true }],
    ['C:\\build\\shop\\src\\Checkout.cs', { segments: ['build', 'shop', 'src', 'Checkout.cs'], absolute: true }],
    ['c:/build/src/handler.ts', { segments: ['build', 'src', 'handler.ts'], absolute: true }],
    ['~/shop/src/app.ts', { segments: ['shop', 'src', 'app.ts'], absolute: true }],
    ['/app/src/../lib/util/format.ts', { segments: ['app', 'lib', 'util', 'format.ts'], absolute: true }],
    // ".." cannot climb above the start: what is left is only ever matched against repository files.
    ['../../etc/passwd', { segments: ['etc', 'passwd'], absolute: false }],
    ['/app/../../../etc/passwd', { segments: ['etc', 'passwd'], absolute: true }],
  ];
  for (const [input, expected] of cases) assert.deepEqual(normaliseFramePath(input), expected, input);

  const reasons: [string, string][] = [
    ['node:internal/process/task_queues', 'a Node.js built-in module'],
    ['node:events', 'a Node.js built-in module'],
    ['internal/timers.js', 'a Node.js built-in module'],
    ['<anonymous>', 'no source file (<anonymous>)'],
    ['<frozen importlib._bootstrap>', 'no source file (<frozen importlib._bootstrap>)'],
    ['[native code]', 'no source file ([native code])'],
    ['native', 'no source file (native)'],
    ['debugger eval code', 'no source file (debugger eval code)'],
    ['..', 'no file name in ".."'],
    ['/', 'no file name in "/"'],
    ['webpack:///./', 'no file name in "webpack:///./"'],
  ];
  for (const [input, reason] of reasons) assert.deepEqual(normaliseFramePath(input), { reason }, input);
});

test('build paths map onto repository files: container and CI prefixes, bundler URLs, file URLs, Windows paths, relative paths', () => {
  const cases: [string, string][] = [
    ['/app/src/x.js', 'src/x.js'],
    ['/usr/src/app/src/routes/orders.ts', 'src/routes/orders.ts'],
    ['/var/task/src/handler.ts', 'src/handler.ts'],
    ['/workspace/src/handler.ts', 'src/handler.ts'],
    ['/opt/app/src/routes/orders.ts', 'src/routes/orders.ts'],
    ['/srv/packages/api/src/util/format.ts', 'packages/api/src/util/format.ts'],
    ['/home/runner/work/shop/shop/src/services/pricing.ts', 'src/services/pricing.ts'],
    ['/Users/dev/shop/src/app.ts', 'src/app.ts'],
    ['webpack:///./src/index.ts', 'src/index.ts'],
    ['webpack://shop/./src/app.ts', 'src/app.ts'],
    ['file:///home/dev/shop/src/server.ts', 'src/server.ts'],
    ['https://cdn.example.com/assets/src/index.ts?v=3', 'src/index.ts'],
    ['C:\\build\\shop\\src\\Checkout.cs', 'src/Checkout.cs'],
    ['C:/agent/_work/1/s/src/Checkout.cs', 'src/Checkout.cs'],
    ['\\\\buildserver\\share\\shop\\src\\handler.ts', 'src/handler.ts'],
    ['/root/go/src/github.com/acme/shop/cmd/main.go', 'cmd/main.go'],
    ['/app/app/models/user.rb', 'app/models/user.rb'],
    ['src/routes/orders.ts', 'src/routes/orders.ts'],
    ['./src/routes/orders.ts', 'src/routes/orders.ts'],
    ['routes/orders.ts', 'src/routes/orders.ts'],
    ['orders.ts', 'src/routes/orders.ts'],
    ['/app/src/../src/services/pricing.ts', 'src/services/pricing.ts'],
  ];
  for (const [input, expected] of cases) {
    const m = one(input);
    assert.deepEqual({ file: m.file, reason: m.reason }, { file: expected, reason: undefined }, input);
  }
});

test('line, column, function and the frame itself are kept; one result per frame, in order', () => {
  const frames: StackFrame[] = [
    { file: '/app/src/routes/orders.ts', line: 42, column: 7, function: 'createOrder', inApp: true },
    { file: '/app/node_modules/express/lib/router/index.js', line: 284 },
    { file: 'src/services/pricing.ts', line: 118 },
  ];
  const mapped = mapFrames(frames, REPO);
  assert.equal(mapped.length, 3);
  assert.deepEqual(mapped, [
    { frame: { file: '/app/src/routes/orders.ts', line: 42, column: 7, function: 'createOrder', inApp: true }, file: 'src/routes/orders.ts' },
    { frame: { file: '/app/node_modules/express/lib/router/index.js', line: 284 }, reason: 'in node_modules (an installed dependency, not the repository\'s code)' },
    { frame: { file: 'src/services/pricing.ts', line: 118 }, file: 'src/services/pricing.ts' },
  ]);
  mapped.forEach((m, i) => assert.equal(m.frame, frames[i], 'the very frame given'));
  assert.deepEqual(mapFrames([], REPO), []);
  assert.deepEqual(mapFrames([{ file: 'src/app.ts', line: 1 }], []), [{ frame: { file: 'src/app.ts', line: 1 }, reason: 'no repository file ends with app.ts' }]);
});

test('dependencies, built-ins, library frames and frames without a file are never mapped, even onto a file with the same ending', () => {
  const cases: [StackFrame, string][] = [
    [{ file: '/app/node_modules/lib/util/format.ts', line: 1 }, 'in node_modules (an installed dependency, not the repository\'s code)'],
    [{ file: 'node_modules/x/src/index.ts', line: 1 }, 'in node_modules (an installed dependency, not the repository\'s code)'],
    [{ file: 'webpack:///./node_modules/react/src/index.ts', line: 1 }, 'in node_modules (an installed dependency, not the repository\'s code)'],
    [{ file: '/usr/local/lib/python3.12/site-packages/config/settings.py', line: 1 }, 'in site-packages (an installed dependency, not the repository\'s code)'],
    [{ file: '/usr/lib/python3/dist-packages/config/settings.py', line: 1 }, 'in dist-packages (an installed dependency, not the repository\'s code)'],
    [{ file: 'node:internal/modules/cjs/loader', line: 1 }, 'a Node.js built-in module'],
    [{ file: 'internal/process/task_queues.js', line: 95 }, 'a Node.js built-in module'],
    [{ file: '<anonymous>', line: 1 }, 'no source file (<anonymous>)'],
    [{ file: '/app/src/routes/orders.ts', line: 1, inApp: false }, 'not application code (the alert marks the frame as a library frame)'],
    [{ line: 1 } as unknown as StackFrame, 'the frame has no file'],
  ];
  for (const [frame, reason] of cases) assert.deepEqual(mapFrames([frame], REPO), [{ frame, reason }], json(frame));
});

test('"internal/..." is a Node.js built-in unless it is exactly a file of the repository (Go\'s internal packages)', () => {
  assert.deepEqual(one('internal/api/handler.go'), { frame: { file: 'internal/api/handler.go', line: 12, column: 5 }, file: 'internal/api/handler.go' });
  assert.equal(one('internal/api/other.go').reason, 'a Node.js built-in module');
  // Absolute Go paths were never affected.
  assert.equal(fileOf('/build/shop/internal/api/handler.go'), 'internal/api/handler.go');
});

test('ambiguous endings: the deepest unique match wins; a tie at the deepest level maps nowhere and names the candidates', () => {
  // api/src/util/format.ts is shared with one file only.
  assert.equal(fileOf('/opt/ci/shop/api/src/util/format.ts'), 'packages/api/src/util/format.ts');
  assert.equal(fileOf('/opt/ci/shop/web/src/util/format.ts'), 'packages/web/src/util/format.ts');
  // lib/util/format.ts: the ending "lib/util/format.ts" is unique, even though "util/format.ts" is not.
  assert.equal(fileOf('/deploy/release-7/lib/util/format.ts'), 'lib/util/format.ts');

  const tie = one('/opt/ci/shop/src/util/format.ts');
  assert.equal(tie.file, undefined);
  assert.equal(tie.reason, 'ambiguous: "src/util/format.ts" ends 2 repository files (packages/api/src/util/format.ts, packages/web/src/util/format.ts); none is chosen');

  const three = one('util/format.ts');
  assert.equal(three.file, undefined);
  assert.equal(three.reason, 'ambiguous: "util/format.ts" ends 3 repository files (lib/util/format.ts, packages/api/src/util/format.ts, packages/web/src/util/format.ts); none is chosen');
  assert.equal(one('/x/y/format.ts').reason, three.reason?.replace('"util/format.ts"', '"format.ts"'));

  const many = Array.from({ length: 6 }, (_, i) => `m${i}/index.ts`);
  assert.equal(one('/srv/other/index.ts', many).reason, 'ambiguous: "index.ts" ends 6 repository files (m0/index.ts, m1/index.ts, m2/index.ts, m3/index.ts and 2 more); none is chosen');

  assert.equal(one('/app/src/missing.ts').reason, 'no repository file ends with missing.ts');
  assert.equal(one('/app/src/routes/ORDERS.ts').reason, 'no repository file ends with ORDERS.ts', 'names are compared exactly');
});

test('built files without a source map: the same path under src/, with a caveat; ambiguous when two src/ folders fit', () => {
  const cases: [string, string][] = [
    ['/app/dist/routes/orders.js', 'src/routes/orders.ts'],
    ['/app/build/services/pricing.js', 'src/services/pricing.ts'],
    ['/var/task/dist/x.js', 'src/x.js'],
    ['/home/runner/work/shop/shop/out/index.js', 'src/index.ts'],
    ['/srv/packages/api/dist/util/format.js', 'packages/api/src/util/format.ts'],
  ];
  for (const [input, expected] of cases) {
    assert.deepEqual(one(input), {
      frame: { file: input, line: 12, column: 5 },
      file: expected,
      reason: `no source map: the built file ${input} is taken as ${expected}; its line numbers may not match the source`,
    }, input);
  }
  assert.deepEqual(one('/app/dist/util/format.js'), {
    frame: { file: '/app/dist/util/format.js', line: 12, column: 5 },
    reason: 'ambiguous: the built file could be any of packages/api/src/util/format.ts, packages/web/src/util/format.ts under src/',
  });
  // The ending must reach into src/: a built file is not taken for a same-named file elsewhere.
  assert.equal(one('/app/dist/settings.js', ['config/settings.ts']).file, undefined);
});

test('the repository file is returned exactly as listed (backslashes, "./")', () => {
  assert.equal(fileOf('C:\\build\\src\\win\\thing.cs', ['src\\win\\thing.cs']), 'src\\win\\thing.cs');
  assert.equal(fileOf('/app/src/a.ts', ['./src/a.ts']), './src/a.ts');
  // Listed twice in two spellings: one file.
  assert.equal(fileOf('/app/src/a.ts', ['src/a.ts', './src/a.ts']), 'src/a.ts');
});

test('hostile frame paths (".." climbing, absolute system paths, other drives, URLs) never map outside the repository', () => {
  const hostile = [
    '../../../../etc/passwd',
    '/app/../../../../etc/shadow',
    '/app/src/../../../root/.ssh/id_rsa',
    'src/../../outside.ts',
    'src/../../../../../../../../src/app.ts',
    'C:\\..\\..\\Windows\\System32\\drivers\\etc\\hosts',
    'file:///etc/passwd',
    'file://attacker.example.com/share/src/app.ts',
    '~/.ssh/id_rsa',
    '%2e%2e/%2e%2e/etc/passwd',
    '....//....//etc/passwd',
    '/proc/self/environ',
    '-x',
    '--upload-pack=x',
    '$(id)',
    '`id`.ts',
  ];
  const repo = [...REPO, 'etc/hosts.example'];
  for (const f of hostile) {
    const m = one(f, repo);
    if (m.file !== undefined) assert.ok(repo.includes(m.file), `${f}: mapped to ${m.file}, which is not a repository file`);
  }
  assert.deepEqual(hostile.map((f) => fileOf(f, repo)), [
    undefined, // etc/passwd is not in the repository
    undefined,
    undefined,
    undefined,
    'src/app.ts', // the ".." are dropped at the start; what is left is the repository's own src/app.ts
    undefined,
    undefined,
    'src/app.ts', // only the path of a URL is matched
    undefined,
    undefined,
    undefined,
    undefined,
    undefined,
    undefined,
    undefined,
    undefined,
  ]);
  // With the file in the repository, a climbing path maps onto the repository's file, never the system's.
  assert.equal(fileOf('/app/../../../../etc/passwd', ['etc/passwd']), 'etc/passwd');
  assert.equal(one('../../../../etc/passwd', ['src/app.ts']).reason, 'no repository file ends with passwd');
});
