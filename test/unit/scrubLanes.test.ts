// Scrub lanes (worker threads that scrub batches of a large table's rows): a clone scrubbed with
// lanes is byte for byte the one scrubbed on one thread, with the same summary, and an error in
// a lane stops the scrubber with the message and line one thread gives. Lanes start only past
// a size (lanesAfterBytes); these tests start them at once and send small batches, so that
// every table, chunk boundary and batch boundary goes through them.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { describe, test } from 'node:test';
import { createScrubber } from '../../extension/core/data/dumpScrubber';
import { encodeCopyText } from '../../extension/core/data/copyText';
import { compileScrubPlan } from '../../extension/core/data/rules';
import { ChunkWriter } from '../../extension/core/data/chunkWriter';
import { columnScrubber } from '../../extension/core/data/columnScrub';
import { FieldMemo, RowScrubber } from '../../extension/core/data/rowScrubber';
import { ScrubLanes } from '../../extension/core/data/scrubLanes';
import { classifyType } from '../../extension/core/data/sqlTypes';
import { DumpFormatError, type Strategy } from '../../extension/core/data/types';
import { chunks, KEY, rejection, SAMPLE_DUMP, samplePlan, scrub } from './dataHelpers';
import { ROOT, tempDir } from './helpers';

const LANES = { lanes: 2, lanesAfterBytes: 0, laneBatchBytes: 700, fingerprintSample: 5 } as const;

function sortedFingerprints(m: Map<string, Set<string>>): [string, string[]][] {
  return [...m].map(([k, v]) => [k, [...v].sort()] as [string, string[]]).sort((a, b) => a[0].localeCompare(b[0]));
}

describe('scrub lanes', () => {
  test('the sample dump scrubbed with lanes is byte for byte the one-thread scrub, summary included', async () => {
    for (const chunk of [64 * 1024, 333]) {
      const one = await scrub(SAMPLE_DUMP, samplePlan(), { lanes: 0, fingerprintSample: 5, chunk });
      const many = await scrub(SAMPLE_DUMP, samplePlan(), { ...LANES, chunk });
      assert.ok(many.out.equals(one.out), `same bytes (chunks of ${chunk})`);
      assert.notEqual(one.text, SAMPLE_DUMP.toString('utf8'), 'and the scrub did change something');
      assert.deepEqual([...many.summary.tables], [...one.summary.tables]);
      assert.deepEqual(sortedFingerprints(many.summary.fingerprints), sortedFingerprints(one.summary.fingerprints));
      assert.equal(many.summary.bytesOut, one.summary.bytesOut);
    }
  });

  test('hostile values (escapes, CRLF, astral letters, NULLs, long fields) come out the same through lanes', async () => {
    const values = ['tab\there', 'back\\slash', 'new\nline', 'Ŝtéphane 😀 Ω', '\u{1D400}\u{1D401}', 'x'.repeat(5000), null, '', ' ', 'Ἀθηνᾶ', 'अनुच्छेद'];
    const rows = Array.from({ length: 400 }, (_, i) => `${i}\t${encodeCopyText(values[i % values.length]!)}\t${encodeCopyText(`${i}@example.org`)}\tkept ${i}`);
    const dump = ['CREATE TABLE public.t (', '    id integer NOT NULL,', '    a text,', '    e text,', '    k text', ');', 'COPY public.t (id, a, e, k) FROM stdin;', ...rows, '\\.', ''].join('\r\n');
    const plan = compileScrubPlan({ source: { dump: 'x' }, tables: { t: { columns: { a: 'mask', e: 'fake:email' } } } }, KEY);
    const one = await scrub(dump, plan, { lanes: 0, chunk: 1000 });
    const many = await scrub(dump, plan, { ...LANES, chunk: 1000 });
    assert.ok(many.out.equals(one.out));
    assert.equal(many.text.split('\r\n').length, dump.split('\r\n').length, 'CRLF line ends kept');
  });

  test('a bad row met by a lane: the error and line one thread gives, and no output past it', async () => {
    const dump = SAMPLE_DUMP.toString('utf8').replace('\n200\t', '\n200\textra\t');
    const one = await rejection(scrub(dump, samplePlan(), { lanes: 0 }));
    const s = createScrubber(samplePlan(), LANES);
    let out = '';
    const e = await rejection(pipeline(chunks(dump, 4096), s.stream, new Writable({
      write(chunk: Buffer, _e, cb) {
        out += chunk.toString('utf8');
        cb();
      },
    })));
    assert.ok(e instanceof DumpFormatError, String(e));
    assert.equal(e.message, one.message);
    assert.match(e.message, /^a row of public\.customers has 8 fields where its COPY header names 7 columns \(dump line \d+\)$/);
    assert.ok(!out.includes('\\.\n'), 'nothing after the bad batch: not even the end of the customers block');
  });

  test('a consumer that stops mid-way stops the lanes (the process is not kept alive)', async () => {
    const s = createScrubber(samplePlan(), LANES);
    const source = chunks(SAMPLE_DUMP, 2048);
    let seen = 0;
    const stop = new Error('enough');
    const e = await rejection(pipeline(source, s.stream, new Writable({
      write(chunk: Buffer, _e, cb) {
        seen += chunk.length;
        cb(seen > 40_000 ? stop : null);
      },
    })));
    assert.equal(e, stop);
    assert.ok(s.stream.destroyed);
    // node --test waits for the event loop: a lane left running would hold this file's run.
  });

  test('the packaged lane (dist/scrubWorker.js, as the extension and the CLI load it) scrubs as this thread does', async () => {
    const bundle = path.join(ROOT, 'dist/scrubWorker.js');
    assert.ok(fs.existsSync(bundle), `${bundle} is missing: build it first (npm run build)`);
    const columns = [
      { index: 1, column: 'email', strategy: { kind: 'fake', fake: 'email' } as Strategy, type: 'text' },
      { index: 2, column: 'name', strategy: { kind: 'mask' } as Strategy, type: 'character varying(40)' },
    ];
    const rows = Buffer.from(Array.from({ length: 300 }, (_, i) => `${i}\tperson${i}@mail.example\tÉlodie Ğül ${i} 😀\tkept\n`).join(''));
    const own = new RowScrubber('public.people', columns.map((c) => ({ index: c.index, column: c.column, scrub: columnScrubber(c.strategy, classifyType(c.type), KEY), memo: new FieldMemo() })), 4);
    const writer = new ChunkWriter();
    let line = 1;
    for (let pos = 0; pos < rows.length; line++) {
      const nl = rows.indexOf(10, pos);
      own.row(rows, pos, nl, nl + 1, line, writer);
      pos = nl + 1;
    }
    const want = Buffer.concat(writer.take() as Buffer[]);
    const lanes = new ScrubLanes(1, KEY, bundle);
    try {
      const id = lanes.table('public.people', 4, columns);
      const got = await lanes.scrub(id, Buffer.from(rows), 1);
      assert.ok(got.equals(want));
      assert.ok(!got.includes('person7@mail.example'));
    } finally {
      await lanes.close();
    }
  });

  test('a lane that fails (its script throws) fails the batches sent to it, saying so, and holds nothing', async () => {
    const dir = tempDir('repro-lane-');
    const broken = path.join(dir, 'scrubWorker.js');
    fs.writeFileSync(broken, "throw new Error('boom');\n");
    const lanes = new ScrubLanes(2, KEY, broken);
    try {
      lanes.table('public.t', 2, [{ index: 1, column: 'a', strategy: { kind: 'mask' }, type: 'text' }]);
      const e = await rejection(lanes.scrub(0, Buffer.from('1\tx\n'), 1));
      assert.match(e.message, /^a scrub lane \(worker thread\) failed: boom$/);
    } finally {
      await lanes.close();
    }
    await assert.rejects(lanes.scrub(0, Buffer.from('1\tx\n'), 1), /the scrubber was closed/);
  });
});
