// The data cache's size as a user writes it: in the repro.data.cacheSize setting or, for the
// command line, REPRO_DATA_CACHE_SIZE; units as `repro data cache` prints them.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { cacheSize, CacheSizeError, DEFAULT_CACHE_BYTES, parseByteSize } from '../../extension/core/data/cacheSize';
import { formatBytes } from '../../extension/core/data/cache';

const MiB = 1024 ** 2;
const GiB = 1024 ** 3;

test('sizes read with or without a space, in any case, KB and KiB alike', () => {
  const cases: [string, number][] = [
    ['500 MB', 500 * MiB], ['500MB', 500 * MiB], ['500 mb', 500 * MiB], ['500 MiB', 500 * MiB], ['500m', 500 * MiB],
    ['2 GB', 2 * GiB], ['1.5 GiB', 1.5 * GiB], ['20g', 20 * GiB], ['1 TB', 1024 * GiB], ['64 KB', 64 * 1024],
    ['0', 0], ['0 GB', 0], ['1048576 B', MiB], ['100 B', 100], ['  3 GB  ', 3 * GiB],
  ];
  for (const [text, bytes] of cases) assert.equal(parseByteSize(text, 'x'), bytes, text);
});

test('what the cache listing prints reads back as the same size', () => {
  for (const bytes of [0, 100, DEFAULT_CACHE_BYTES, 500 * MiB, 20 * GiB, 10 * 1024 * GiB]) assert.equal(parseByteSize(formatBytes(bytes), 'x'), bytes);
  assert.deepEqual([0, 100, 10 * 1024 * GiB].map(formatBytes), ['0 B', '100 B', '10.0 TB']);
});

const ACCEPTED = ['500 MB', '500MB', '500 mb', '500 MiB', '500m', '2 GB', '1.5 GiB', '20g', '1 TB', '64 KB', '0', '0 GB', '1048576 B', '100 B', '  3 GB  '];
// A number with no unit (but 0) too: "500" is more likely meant as MB than as bytes.
const REFUSED = ['lots', '2 gigs', '-1 GB', '1e9', 'GB', '2 GB 3', '2 PB', '2,5 GB', '2 iB', '500', '1048576'];

test('the settings editor flags exactly the values the extension refuses (package.json\'s pattern)', () => {
  const pkg = JSON.parse(fs.readFileSync(path.resolve(__dirname, '../../../package.json'), 'utf8')) as { contributes: { configuration: { properties: Record<string, { pattern?: string }> } } };
  const pattern = new RegExp(pkg.contributes.configuration.properties['repro.data.cacheSize']!.pattern!);
  for (const text of ACCEPTED) assert.match(text, pattern);
  for (const text of REFUSED) assert.doesNotMatch(text, pattern);
  assert.match('', pattern, 'empty: not set, the default serves');
});

test('anything else is refused, naming where it was written and how to write a size', () => {
  for (const text of ['', ...REFUSED]) {
    assert.throws(() => parseByteSize(text, 'The setting repro.data.cacheSize'), (e: unknown) => {
      assert.ok(e instanceof CacheSizeError, text);
      assert.equal(e.message, `The setting repro.data.cacheSize is "${text}", which is not a size: write a number and a unit, such as 500 MB, 2 GB or 20 GB (0 keeps only the latest snapshot)`);
      return true;
    });
  }
});

test('the setting, else REPRO_DATA_CACHE_SIZE, else 2 GB; an empty one counts as not set', () => {
  assert.deepEqual(cacheSize('5 GB', { REPRO_DATA_CACHE_SIZE: '1 GB' }), { bytes: 5 * GiB, from: 'repro.data.cacheSize' });
  assert.deepEqual(cacheSize(undefined, { REPRO_DATA_CACHE_SIZE: '1 GB' }), { bytes: GiB, from: '$REPRO_DATA_CACHE_SIZE' });
  assert.deepEqual(cacheSize(' ', { REPRO_DATA_CACHE_SIZE: '1 GB' }), { bytes: GiB, from: '$REPRO_DATA_CACHE_SIZE' });
  assert.deepEqual(cacheSize(undefined, { REPRO_DATA_CACHE_SIZE: '' }), { bytes: 2 * GiB, from: 'the default' });
  assert.deepEqual(cacheSize(undefined, {}), { bytes: DEFAULT_CACHE_BYTES, from: 'the default' });
  assert.throws(() => cacheSize(undefined, { REPRO_DATA_CACHE_SIZE: 'big' }), /^CacheSizeError: The variable REPRO_DATA_CACHE_SIZE is "big", which is not a size/);
});
