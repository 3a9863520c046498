// Shared by the scrubber and coverage-gate tests: the sample shop's dump and rules, running a
// dump through the scrubber in chunks of any size, and reading COPY blocks and INSERT
// statements back into rows to compare.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { gzipSync } from 'node:zlib';
import { parseCopyLine } from '../../extension/core/data/copyText';
import { NO_SINK } from '../../extension/core/data/chunkWriter';
import { DumpReader } from '../../extension/core/data/dumpReader';
import { createScrubber, type ScrubOptions } from '../../extension/core/data/dumpScrubber';
import { compileScrubPlan, deriveKey } from '../../extension/core/data/rules';
import { decodeSqlValue } from '../../extension/core/data/sqlStatements';
import type { ScrubPlan, ScrubSummary } from '../../extension/core/data/types';
import { loadManifestFile } from '../../extension/core/manifest/loader';
import type { DataSpec, Manifest } from '../../extension/core/manifest/schema';
import { ROOT, tempDir } from './helpers';

export const SAMPLE_DUMP_FILE = path.join(ROOT, 'test/fixtures/sample-shop/data/production.sql');
export const SAMPLE_DUMP = fs.readFileSync(SAMPLE_DUMP_FILE);
export const KEY = deriveKey('the unit tests\' scrubbing secret');
export const OTHER_KEY = deriveKey('another project\'s secret');

/** The sample's services.db.data, as repro.yaml declares it (a fresh copy each call). */
export function sampleData(): DataSpec {
  const loaded = loadManifestFile(path.join(ROOT, 'test/fixtures/sample-shop/repro.yaml'));
  assert.ok(loaded.manifest, JSON.stringify(loaded.diagnostics));
  return structuredClone(loaded.manifest.services!.db!.data!);
}

export function samplePlan(key = KEY, edit?: (d: DataSpec) => void): ScrubPlan {
  const data = sampleData();
  edit?.(data);
  return compileScrubPlan(data, key);
}

/** A worktree holding the sample dump (as data/prod.sql, or gzipped) under the sample's rules, edited by `edit`. */
export function dumpWorktree(edit?: (d: DataSpec) => void, gzip = false): { root: string; manifest: Manifest } {
  const root = tempDir('repro-gate-');
  fs.mkdirSync(path.join(root, 'data'));
  const file = gzip ? 'data/prod.sql.gz' : 'data/prod.sql';
  fs.writeFileSync(path.join(root, file), gzip ? gzipSync(SAMPLE_DUMP) : SAMPLE_DUMP);
  const data = { ...sampleData(), source: { dump: file } };
  edit?.(data);
  return { root, manifest: { version: 1, project: { name: 'shop' }, services: { db: { type: 'postgresql:15', data } } } as Manifest };
}

/** A stream of `input` in chunks of `size` bytes (small sizes split lines and characters). */
export function chunks(input: Buffer | string, size = 64 * 1024): Readable {
  const buf = Buffer.isBuffer(input) ? input : Buffer.from(input, 'utf8');
  return Readable.from((function* () {
    for (let i = 0; i < buf.length; i += size) yield buf.subarray(i, i + size);
  })(), { objectMode: false });
}

export async function scrub(input: Buffer | string, plan: ScrubPlan, opts: ScrubOptions & { chunk?: number } = {}): Promise<{ out: Buffer; text: string; summary: ScrubSummary }> {
  const s = createScrubber(plan, opts);
  const parts: Buffer[] = [];
  await pipeline(chunks(input, opts.chunk), s.stream, new Writable({
    write(chunk: Buffer, _e, cb) {
      parts.push(chunk);
      cb();
    },
  }));
  const out = Buffer.concat(parts);
  return { out, text: out.toString('utf8'), summary: s.summary() };
}

export interface Block {
  columns: string[];
  rows: (string | null)[][];
  /** The 1-based line of the COPY header. */
  line: number;
}

/** The COPY blocks of a dump, rows decoded, by table. */
export function copyBlocks(text: string): Map<string, Block> {
  const blocks = new Map<string, Block>();
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const head = /^COPY (\S+) \((.*)\) FROM stdin;$/.exec(lines[i]!);
    if (!head) continue;
    const block: Block = { columns: head[2]!.split(', '), rows: [], line: i + 1 };
    for (i++; lines[i] !== '\\.'; i++) {
      assert.ok(i < lines.length, `COPY ${head[1]} has no terminator`);
      block.rows.push(parseCopyLine(lines[i]!));
    }
    blocks.set(head[1]!, block);
  }
  return blocks;
}

/** Column values of a block by name. */
export function column(block: Block, name: string): (string | null)[] {
  const i = block.columns.indexOf(name);
  assert.ok(i >= 0, `no column ${name}`);
  return block.rows.map((r) => r[i]!);
}

/** Integer columns of the sample: pg_dump --inserts writes their values unquoted. */
const BARE = new Set(['id', 'order_id', 'customer_id', 'quantity', 'unit_price_cents', 'total_cents']);

const literal = (v: string | null, col: string) => (v === null ? 'NULL' : BARE.has(col) ? v : `'${v.replace(/'/g, "''")}'`);

/**
 * The dump with each COPY block rewritten as pg_dump would with --inserts ("values"),
 * --column-inserts ("columns") or --inserts --rows-per-insert=N ("multi"): string literals
 * with '' escapes and real newlines, integers bare, NULL.
 */
export function toInserts(text: string, style: 'values' | 'columns' | 'multi', perInsert = 50): string {
  const out: string[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const head = /^COPY (\S+) \((.*)\) FROM stdin;$/.exec(lines[i]!);
    if (!head) {
      out.push(lines[i]!);
      continue;
    }
    const [, table, cols] = head;
    const columns = cols!.split(', ');
    const rows: string[] = [];
    for (i++; lines[i] !== '\\.'; i++) rows.push(`(${parseCopyLine(lines[i]!).map((v, k) => literal(v, columns[k]!)).join(', ')})`);
    if (style === 'multi') {
      for (let r = 0; r < rows.length; r += perInsert) out.push(`INSERT INTO ${table} VALUES\n\t${rows.slice(r, r + perInsert).join(',\n\t')};`);
    } else {
      for (const row of rows) out.push(`INSERT INTO ${table} ${style === 'columns' ? `(${cols}) ` : ''}VALUES ${row};`);
    }
  }
  return out.join('\n');
}

/** The rows of every INSERT in a dump, values decoded as the database would read them. */
export function insertRows(dump: Buffer): Map<string, { columns: string[] | null; rows: (string | null)[][] }> {
  const tables = new Map<string, { columns: string[] | null; rows: (string | null)[][] }>();
  const reader = new DumpReader({
    copyStart: () => 'pass',
    insert(stmt) {
      let t = tables.get(stmt.table);
      if (!t) tables.set(stmt.table, (t = { columns: stmt.columns, rows: [] }));
      for (const row of stmt.rows) {
        t.rows.push(row.map(([a, b]) => {
          const v = decodeSqlValue(stmt.text.subarray(a, b), stmt.stdStrings);
          return v.kind === 'null' ? null : v.kind === 'default' ? 'DEFAULT' : v.value;
        }));
      }
      return undefined;
    },
  }, NO_SINK);
  reader.write(dump);
  reader.end();
  return tables;
}

/** Every value of a dump's COPY rows of at least `min` characters (to look for in messages). */
export function dataValues(text: string, min = 4): string[] {
  const values = new Set<string>();
  for (const b of copyBlocks(text).values()) for (const r of b.rows) for (const v of r) if (v !== null && v.length >= min) values.add(v);
  return [...values];
}

export async function rejection(p: Promise<unknown>): Promise<Error> {
  try {
    await p;
  } catch (e) {
    return e as Error;
  }
  assert.fail('expected the promise to reject');
}
