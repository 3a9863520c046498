// Scrubbing a reproduction's dump into the cache while its stack starts (scrubAhead.ts), and the
// cache file's follower the clone restores from: real files, the real scrubber (a plain or gzip
// dump needs no engine; the Docker client is never called).
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Readable } from 'node:stream';
import { describe, test } from 'node:test';
import Docker from 'dockerode';
import { cacheKey, lookupCache, openCacheWriter, serialSummary } from '../../extension/core/data/cache';
import { gateWorkspace } from '../../extension/core/data/coverageScan';
import { majorOfVersion, majorOfVersionNum } from '../../extension/core/data/pg';
import { startScrubAhead } from '../../extension/core/data/scrubAhead';
import type { DataSpec, Manifest } from '../../extension/core/manifest/schema';
import { dumpWorktree, KEY, SAMPLE_DUMP, scrub, samplePlan } from './dataHelpers';
import { tempDir } from './helpers';

const NO_CHECK = { columns: 0, values: 0, leaks: [], skipped: [], short: 0 };
/** Never asked anything: a plain or gzip dump is read here. */
const docker = new Docker({ socketPath: '/nonexistent/docker.sock' });

async function readAll(r: Readable): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const c of r) parts.push(c as Buffer);
  return Buffer.concat(parts);
}

const tmpFiles = (home: string) => (fs.existsSync(path.join(home, 'data')) ? fs.readdirSync(path.join(home, 'data')).filter((n) => n.endsWith('.tmp')) : []);

describe('the cache file followed as it is written', () => {
  test('a follower gets every byte in order, waiting for the writer, and ends where the writer finished', async () => {
    const home = tempDir('repro-follow-');
    const w = openCacheWriter(home, cacheKey({ source: 'dump:f', plan: 'p', pgMajor: 15 }));
    const follower = readAll(w.follow()); // opened before a byte is written
    const pieces = Array.from({ length: 40 }, (_, i) => Buffer.alloc(1000 + i * 3001, 65 + (i % 26)));
    for (const p of pieces) {
      w.stream.write(p);
      await new Promise((r) => setTimeout(r, 2));
    }
    w.stream.end();
    const got = await follower;
    assert.ok(got.equals(Buffer.concat(pieces)), `${got.length} bytes followed of ${Buffer.concat(pieces).length}`);
    // A follower started after the end reads the whole file too.
    assert.ok((await readAll(w.follow())).equals(Buffer.concat(pieces)));
    await w.commit({ snapshot: 'a'.repeat(64), rules: 'p', pgMajor: 15, summary: serialSummary({ tables: new Map(), fingerprints: new Map(), bytesIn: 0, bytesOut: 0 }), verified: NO_CHECK });
    fs.rmSync(home, { recursive: true, force: true });
  });

  test('an aborted entry fails its follower with the abort\'s reason and leaves no file', async () => {
    const home = tempDir('repro-follow-');
    const w = openCacheWriter(home, cacheKey({ source: 'dump:g', plan: 'p', pgMajor: 15 }));
    w.stream.write(Buffer.alloc(5000, 66));
    const follower = readAll(w.follow());
    await new Promise((r) => setTimeout(r, 20));
    w.abort(new Error('the dump ends inside the data of public.orders: it was cut off'));
    await assert.rejects(follower, /public\.orders: it was cut off/);
    assert.deepEqual(tmpFiles(home), []);
    await assert.rejects(readAll(w.follow()), /cut off/, 'a follower of an aborted entry fails at once');
    fs.rmSync(home, { recursive: true, force: true });
  });
});

describe('scrubbing a reproduction\'s dump while its stack starts', () => {
  /** The sample dump in a worktree (dumpWorktree), and an empty REPRO_HOME. */
  function worktree(edit?: (d: DataSpec) => void, gzip = false): { root: string; home: string; manifest: Manifest } {
    return { ...dumpWorktree(edit, gzip), home: tempDir('repro-ahead-home-') };
  }

  test('once the gate passed, the dump is scrubbed into the cache entry the clone would write: the same bytes, nothing committed', async () => {
    for (const gzip of [false, true]) {
      const w = worktree(undefined, gzip);
      const covered = await gateWorkspace(w.root, w.manifest);
      const done: string[] = [];
      const a = await startScrubAhead(docker, { manifest: w.manifest, service: 'db', root: w.root, home: w.home, key: KEY, covered, onProgress: (p) => { if (p.done) done.push(`${p.table} ${p.rows}`); } });
      assert.ok(a, 'not started');
      const followed = readAll(a.writer.follow());
      const summary = await a.done;
      const expected = await scrub(SAMPLE_DUMP, samplePlan());
      assert.ok((await followed).equals(expected.out), 'the followed SQL is not what the scrubber makes of the dump');
      assert.deepEqual(summary.tables, expected.summary.tables);
      assert.deepEqual(done, [...expected.summary.tables].map(([t, c]) => `${t} ${c.rowsIn}`));
      assert.equal(lookupCache(w.home, a.key), undefined, 'an entry is only committed by a clone that passed its checks');
      a.cancel();
      assert.deepEqual(tmpFiles(w.home), [], 'a cancelled scrub ahead leaves its file behind');
      for (const d of [w.root, w.home]) fs.rmSync(d, { recursive: true, force: true });
    }
  });

  test('nothing is scrubbed ahead without the gate\'s pass on these bytes and rules, or when the cache already has the snapshot', async () => {
    const w = worktree();
    const start = (covered: ReadonlySet<string>, manifest = w.manifest) => startScrubAhead(docker, { manifest, service: 'db', root: w.root, home: w.home, key: KEY, covered });
    assert.equal(await start(new Set()), undefined, 'scrubbed ahead without a gate');
    const covered = await gateWorkspace(w.root, w.manifest);
    // Rules the gate did not pass: not what it proved.
    const other = structuredClone(w.manifest);
    other.services!.db!.data!.tables!.orders!.columns!.shipping_address = 'redact';
    assert.equal(await start(covered, other), undefined, 'scrubbed ahead under rules the gate did not pass');
    // The dump changed after the gate read it.
    fs.appendFileSync(path.join(w.root, 'data/prod.sql'), '-- changed\n');
    assert.equal(await start(covered), undefined, 'scrubbed ahead a dump the gate did not read');
    fs.writeFileSync(path.join(w.root, 'data/prod.sql'), SAMPLE_DUMP);
    // A cached snapshot of the same data: the clone restores that instead.
    const a = (await start(covered))!;
    await a.done;
    await a.writer.commit({ snapshot: 'c'.repeat(64), rules: 'r', pgMajor: 15, summary: serialSummary(await a.done), verified: NO_CHECK });
    assert.ok(lookupCache(w.home, a.key));
    assert.equal(await start(covered), undefined, 'scrubbed ahead what the cache holds');
    for (const d of [w.root, w.home]) fs.rmSync(d, { recursive: true, force: true });
  });

  test('a cancel stops the scrub: its follower fails, no file is left', async () => {
    const w = worktree();
    const covered = await gateWorkspace(w.root, w.manifest);
    const ac = new AbortController();
    // Cancelled once the first table is scrubbed, the others still to come.
    const a = (await startScrubAhead(docker, {
      manifest: w.manifest, service: 'db', root: w.root, home: w.home, key: KEY, covered, signal: ac.signal,
      onProgress: (p) => { if (p.done) ac.abort(new Error('cancelled by the user')); },
    }))!;
    const followed = readAll(a.writer.follow());
    await assert.rejects(a.done, /cancelled by the user/);
    await assert.rejects(followed, /cancelled by the user/);
    assert.deepEqual(tmpFiles(w.home), []);
    assert.equal(lookupCache(w.home, a.key), undefined);
    for (const d of [w.root, w.home]) fs.rmSync(d, { recursive: true, force: true });
  });

  test('the major version a manifest\'s PostgreSQL version names, as the clone reads it from the server (the cache key\'s)', () => {
    for (const [version, server] of [['15', 150006], ['16.4', 160004], ['9.6', 90624], ['9.6.24', 90624]] as const) {
      assert.equal(majorOfVersion(version), majorOfVersionNum(server), version);
    }
    assert.equal(majorOfVersion('15'), 15);
    assert.equal(majorOfVersion('9'), undefined);
    assert.equal(majorOfVersion('latest'), undefined);
  });
});
