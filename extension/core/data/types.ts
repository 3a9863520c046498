// The data clone's shared vocabulary: the scrub rules compiled from repro.yaml, what the
// scrubber reports as it streams, and the coverage report. The scrubber (a pure stream over a
// plain-SQL dump) and the engine side (sources, restore, verify, cache) meet here.
import type { Transform } from 'node:stream';

/** One column's treatment; `fake:<kind>` as in the manifest's ScrubStrategy. */
export type Strategy =
  | { kind: 'keep' }
  | { kind: 'null' }
  | { kind: 'redact' }
  | { kind: 'hash' }
  | { kind: 'mask' }
  | { kind: 'fake'; fake: FakeKind };

export type FakeKind = 'email' | 'name' | 'first_name' | 'last_name' | 'phone' | 'address' | 'ip' | 'city' | 'company' | 'text' | 'uuid' | 'date';

export interface TableRules {
  /** Column name -> strategy; columns not listed are kept (the coverage gate runs first). */
  columns: Map<string, Strategy>;
  /** Keep only rows matching this SQL condition (applied in the clone, after scrubbing). */
  where?: string;
  /** Clone the table empty. */
  truncate: boolean;
}

export interface ScrubPlan {
  /** "schema.table" (lower-case, "public." added when the manifest names no schema) -> rules. */
  tables: Map<string, TableRules>;
  /** "schema.table.column" the manifest acknowledges as safe to keep. */
  acknowledged: Set<string>;
  /** The per-project key: every keyed strategy (hash, mask, fake) derives from it. */
  key: Buffer;
  /** sha256 of the canonical rules and the key's id (never the key): part of the cache key and the receipt. */
  identity: string;
}

/** A table as the dump declares it. */
export interface DumpTable {
  name: string;
  columns: { name: string; type: string }[];
}

export interface TableProgress {
  table: string;
  rows: number;
  /** Set once the table's data block ended. */
  done: boolean;
}

/** What a scrubbing pass counted: rows per table as written out, and the originals' fingerprints. */
export interface ScrubSummary {
  tables: Map<string, { rowsIn: number; rowsOut: number }>;
  /**
   * Per "schema.table.column" of a masked, faked or hashed column: keyed fingerprints
   * (HMAC, never the value) of a bounded sample of original values, to check that none of
   * them is in the clone.
   */
  fingerprints: Map<string, Set<string>>;
  bytesIn: number;
  bytesOut: number;
  /** Tables the plan has rules for that the dump does not have (the coverage gate names them too). */
  missingTables?: string[];
}

export interface ScrubStream {
  /** Plain SQL in, scrubbed plain SQL out; bounded memory whatever the dump's size. */
  stream: Transform;
  /** Complete once the stream has ended. */
  summary(): ScrubSummary;
}

export interface CoverageFinding {
  table: string;
  column: string;
  type: string;
  /** What makes it look personal: "name" (its name) or "values" (sampled values), with what was matched. */
  reason: string;
  /** The strategy to suggest, e.g. "fake:email" or "mask". */
  suggestion: string;
}

export interface CoverageReport {
  tables: DumpTable[];
  /** Columns that look personal and have no rule nor acknowledgement: the clone stops on these. */
  uncovered: CoverageFinding[];
  /** Rules naming a table or column the dump does not have. */
  unknownRules: string[];
  /**
   * Rules whose strategy cannot apply to their column's type ("public.t.c (mask, type date):
   * why, and what can"): the clone would stop on them, so the gate stops first.
   */
  unfitRules: string[];
}

/** Thrown when the dump is cut off, malformed, or a rule cannot apply; never holds data values. */
export class DumpFormatError extends Error {
  /** `message` is `reason` and the line. */
  constructor(readonly reason: string, readonly line?: number) {
    super(line ? `${reason} (dump line ${line})` : reason);
    this.name = 'DumpFormatError';
  }
}
