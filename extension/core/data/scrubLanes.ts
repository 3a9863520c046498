// Scrub lanes: worker threads that scrub batches of a table's ruled COPY rows, so that scrubbing
// a large table uses more than one core. On one thread the scrubber is the slowest stage of a
// clone wherever a table has a ruled column of unique values (emails, phones): PostgreSQL
// loads those rows about twice as fast as one thread scrubs them, and waits.
//
// The scrubber keeps the order: a batch's place in the output is held (Sink.later) while a
// lane works on it. Every strategy is a pure function of the key and the value, so a lane
// writes the bytes the scrubber's own thread would have written; only the memo of recent
// values is per lane. Rows go to lanes only once the table's fingerprint sample is complete,
// so the sample stays "the first N values", taken on the scrubber's thread.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import type { Sink } from './chunkWriter';
import { maskPools, type MaskPools } from './mask';
import type { Strategy } from './types';
import { DumpFormatError } from './types';

/** The lane script: built next to this module (out/…/data/, or dist/ beside the bundles). */
const WORKER_FILE = path.join(__dirname, 'scrubWorker.js');

/** At most this many lanes: past four, the restore on the other end is the limit. */
const MAX_LANES = 4;
/**
 * Cores a clone needs besides the lanes: the scrubber's own thread (it still reads the dump
 * and cuts its rows) and the restore (PostgreSQL's backend, psql and the engine copying the
 * stream: about 1.5 cores measured on a 2-core machine). With no core left for them, lanes only
 * add their own cost: on 2 cores a clone took as long with two lanes as without.
 */
const CORES_BESIDE_LANES = 2;

/** One ruled column as a lane needs it (plain data: it crosses to the worker thread). */
export interface LaneColumn {
  index: number;
  column: string;
  strategy: Strategy;
  /** The column's declared SQL type. */
  type: string;
}

export interface LaneTable {
  id: number;
  table: string;
  width: number;
  columns: LaneColumn[];
}

/** What a lane starts with. */
export interface LaneData {
  key: Uint8Array;
  pools: MaskPools;
}

/** Messages to a lane. */
export type ToLane =
  | ({ kind: 'table' } & LaneTable)
  | { kind: 'rows'; job: number; table: number; firstLine: number; rows: Uint8Array };

/** Messages from a lane: the batch scrubbed, or why it could not be. */
export type FromLane =
  | { job: number; out: Uint8Array }
  | { job: number; error: { reason: string; line?: number; format: boolean } };

/** The lane count a scrubber uses when its options name none: the cores a clone leaves, up to four. */
export function defaultLaneCount(cores = os.availableParallelism()): number {
  if (!fs.existsSync(WORKER_FILE)) return 0;
  return Math.max(0, Math.min(MAX_LANES, cores - CORES_BESIDE_LANES));
}

interface Job {
  resolve(out: Buffer): void;
  reject(e: Error): void;
}

interface Lane {
  worker: Worker;
  /** Jobs sent and not answered. */
  jobs: Map<number, Job>;
}

/** A pool of lanes, started on first use, each a worker thread with the project's key. */
export class ScrubLanes {
  private lanes: Lane[] | undefined;
  private readonly tables: LaneTable[] = [];
  private nextJob = 0;
  private closed = false;

  /** `workerFile`: the lane script (the one built beside this module unless told). */
  constructor(private readonly count: number, private readonly key: Buffer, private readonly workerFile = WORKER_FILE) {}

  /** Registers a table's ruled columns; returns the id its batches name. */
  table(table: string, width: number, columns: LaneColumn[]): number {
    const t: LaneTable = { id: this.tables.length, table, width, columns };
    this.tables.push(t);
    for (const lane of this.lanes ?? []) lane.worker.postMessage({ kind: 'table', ...t } satisfies ToLane);
    return t.id;
  }

  /**
   * Scrubs complete COPY lines (`rows`, which is handed over: not to be used again) of a
   * registered table; resolves to the lines scrubbed, in order.
   */
  scrub(table: number, rows: Buffer, firstLine: number): Promise<Buffer> {
    if (this.closed) return Promise.reject(new Error('the scrubber was closed'));
    const lanes = (this.lanes ??= this.start());
    // The lane with the fewest batches waiting: batches take about the same time.
    let lane = lanes[0]!;
    for (const l of lanes) if (l.jobs.size < lane.jobs.size) lane = l;
    const job = this.nextJob++;
    return new Promise<Buffer>((resolve, reject) => {
      if (lane.jobs.size === 0) lane.worker.ref();
      lane.jobs.set(job, { resolve, reject });
      // Rows in a buffer of their own (the batcher's) move to the lane; a view is copied.
      const own = rows.byteOffset === 0 && rows.length === rows.buffer.byteLength && rows.buffer instanceof ArrayBuffer;
      lane.worker.postMessage({ kind: 'rows', job, table, firstLine, rows } satisfies ToLane, own ? [rows.buffer as ArrayBuffer] : []);
    });
  }

  /** Stops the lanes; batches still out fail. */
  async close(): Promise<void> {
    this.closed = true;
    const lanes = this.lanes ?? [];
    this.lanes = [];
    for (const lane of lanes) this.fail(lane, new Error('the scrubber was closed'));
    await Promise.all(lanes.map((l) => l.worker.terminate()));
  }

  private start(): Lane[] {
    return Array.from({ length: this.count }, () => {
      const worker = new Worker(this.workerFile, { workerData: { key: this.key, pools: maskPools() } satisfies LaneData });
      const lane: Lane = { worker, jobs: new Map() };
      // Idle lanes do not keep the process alive; a lane with work does (scrub() refs it).
      worker.unref();
      for (const t of this.tables) worker.postMessage({ kind: 'table', ...t } satisfies ToLane);
      worker.on('message', (m: FromLane) => {
        const job = lane.jobs.get(m.job);
        if (!job) return;
        lane.jobs.delete(m.job);
        if (lane.jobs.size === 0) worker.unref();
        if ('out' in m) job.resolve(Buffer.from(m.out.buffer, m.out.byteOffset, m.out.byteLength));
        else job.reject(m.error.format ? new DumpFormatError(m.error.reason, m.error.line) : new Error(m.error.reason));
      });
      worker.on('error', (e) => this.fail(lane, new Error(`a scrub lane (worker thread) failed: ${e.message}`)));
      worker.on('exit', (code) => this.fail(lane, new Error(`a scrub lane (worker thread) stopped (exit code ${code})`)));
      return lane;
    });
  }

  private fail(lane: Lane, e: Error): void {
    for (const job of lane.jobs.values()) job.reject(e);
    lane.jobs.clear();
  }
}

/**
 * Gathers consecutive ruled rows into batches for the lanes. A batch's place in the output is
 * taken when its first row arrives (nothing else is written while rows keep coming: the
 * reader writes the lines between data blocks only after copyEnd, which sends the batch).
 */
export class RowBatcher {
  private parts: { buf: Buffer; start: number; end: number }[] = [];
  private bytes = 0;
  private firstLine = 0;
  private table = -1;
  private settle: { resolve(b: Buffer): void; reject(e: Error): void } | undefined;

  constructor(private readonly lanes: ScrubLanes, private readonly batchBytes: number) {}

  /** buf[start, end) is a whole line of `table`'s data, line end included. */
  add(table: number, buf: Buffer, start: number, end: number, line: number, out: Sink): void {
    if (this.settle && table !== this.table) this.send();
    if (!this.settle) {
      const held = new Promise<Buffer>((resolve, reject) => { this.settle = { resolve, reject }; });
      held.catch(() => undefined); // its reader sees the error; this keeps it from counting as unhandled
      out.later(held);
      this.table = table;
      this.firstLine = line;
    }
    const last = this.parts[this.parts.length - 1];
    if (last && last.buf === buf && last.end === start) last.end = end; // the next row of the same chunk
    else this.parts.push({ buf, start, end });
    this.bytes += end - start;
    if (this.bytes >= this.batchBytes) this.send();
  }

  /** Sends the batch being gathered, if any. */
  send(): void {
    const settle = this.settle;
    if (!settle) return;
    const rows = Buffer.allocUnsafeSlow(this.bytes);
    let at = 0;
    for (const p of this.parts) at += p.buf.copy(rows, at, p.start, p.end);
    this.parts = [];
    this.bytes = 0;
    this.settle = undefined;
    this.lanes.scrub(this.table, rows, this.firstLine).then(settle.resolve, settle.reject);
  }
}
