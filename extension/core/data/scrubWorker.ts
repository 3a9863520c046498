// A scrub lane's thread (see scrubLanes.ts): scrubs the batches of COPY lines it is sent with
// the same RowScrubber as the scrubber's own thread, and sends each back as one buffer.
import { parentPort, workerData } from 'node:worker_threads';
import { ChunkWriter } from './chunkWriter';
import { columnScrubber } from './columnScrub';
import { FieldMemo, RowScrubber, type ColumnPlan } from './rowScrubber';
import { adoptMaskPools } from './mask';
import type { FromLane, LaneData, LaneTable, ToLane } from './scrubLanes';
import { classifyType } from './sqlTypes';
import { DumpFormatError } from './types';

const port = parentPort!;
const data = workerData as LaneData;
const key = Buffer.from(data.key);
adoptMaskPools(data.pools);
const tables = new Map<number, RowScrubber>();

function rowScrubber(t: LaneTable): RowScrubber {
  const plans: ColumnPlan[] = t.columns.map((c) => ({
    index: c.index,
    column: c.column,
    scrub: columnScrubber(c.strategy, classifyType(c.type), key),
    memo: new FieldMemo(),
  }));
  return new RowScrubber(t.table, plans, t.width);
}

function scrub(rs: RowScrubber, rows: Buffer, firstLine: number): Uint8Array {
  const writer = new ChunkWriter();
  let line = firstLine;
  for (let pos = 0; pos < rows.length; line++) {
    const nl = rows.indexOf(10, pos);
    const end = nl < 0 ? rows.length : nl + 1;
    let eol = nl < 0 ? end : nl;
    if (eol > pos && rows[eol - 1] === 0x0d) eol--;
    rs.row(rows, pos, eol, end, line, writer);
    pos = end;
  }
  const parts = writer.take() as Buffer[]; // a lane's writer is never given a later()
  const out = new Uint8Array(new ArrayBuffer(parts.reduce((n, b) => n + b.length, 0)));
  let at = 0;
  for (const b of parts) {
    out.set(b, at);
    at += b.length;
  }
  return out;
}

port.on('message', (m: ToLane) => {
  if (m.kind === 'table') {
    tables.set(m.id, rowScrubber(m));
    return;
  }
  let reply: FromLane;
  try {
    const rows = Buffer.from(m.rows.buffer, m.rows.byteOffset, m.rows.byteLength);
    const out = scrub(tables.get(m.table)!, rows, m.firstLine);
    port.postMessage({ job: m.job, out } satisfies FromLane, [out.buffer as ArrayBuffer]);
    return;
  } catch (e) {
    reply = e instanceof DumpFormatError
      ? { job: m.job, error: { reason: e.reason, ...(e.line !== undefined ? { line: e.line } : {}), format: true } }
      : { job: m.job, error: { reason: e instanceof Error ? e.message : String(e), format: false } };
  }
  port.postMessage(reply);
});
