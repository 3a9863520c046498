// The coverage gate: before anything is cloned, every column of the dump that looks personal
// (by its name, or by a bounded sample of its values) must have a rule or an acknowledgement in
// repro.yaml, and every rule must name something the dump has. It streams the dump through
// the same reader as the scrubber, sampling the first rows of each table, so memory stays
// bounded; what it reports names tables, columns, types and counts, never a value.
import { createHash } from 'node:crypto';
import type { Readable } from 'node:stream';
import type { DataSpec } from '../manifest/schema';
import { decodeCopyText, splitCopyLine } from './copyText';
import { NO_SINK } from './chunkWriter';
import { DumpReader, type CopyMode, type DumpEvents, type DumpReaderOptions } from './dumpReader';
import { personalByName, ValueStats } from './personalData';
import { decodeSqlValue, type CopyHeader, type InsertStatement, type TableDecl } from './sqlStatements';
import { classifyType, ruleProblem, type ColumnDecl } from './sqlTypes';
import { compileScrubPlan, deriveKey, isAcknowledged, rulesFor } from './rules';
import type { CoverageFinding, CoverageReport, DumpTable, ScrubPlan, TableRules } from './types';

export interface ScanOptions extends DumpReaderOptions {
  /** Rows sampled per table for value-based detection (default 1,000). */
  sampleRows?: number;
}

interface ScannedTable {
  columns: ColumnDecl[];
  parents?: string[];
  stats: Map<string, ValueStats>;
  sampled: number;
}

/** Types whose values are worth sampling: text, or what may hide text. */
const SAMPLED = new Set(['text', 'unknown', 'json', 'array', 'xml']);

class Scanning implements DumpEvents {
  readonly tables = new Map<string, ScannedTable>();
  private block: { table: ScannedTable; order: (ValueStats | undefined)[] } | undefined;
  reader: DumpReader | undefined;

  constructor(private readonly plan: ScrubPlan, private readonly sampleRows: number) {}

  createTable(decl: TableDecl): void {
    let columns = decl.columns;
    if (decl.partitionOf && columns.length === 0) columns = this.tables.get(decl.partitionOf)?.columns ?? [];
    const t = this.table(decl.name);
    if (decl.parents) t.parents = decl.parents;
    for (const c of columns) if (!t.columns.some((k) => k.name === c.name)) t.columns.push(c);
  }

  copyStart(h: CopyHeader): CopyMode {
    const t = this.table(h.table);
    const order = this.order(h.table, t, h.columns);
    if (!order.some(Boolean) || t.sampled >= this.sampleRows) return 'pass';
    this.block = { table: t, order };
    return 'rows';
  }

  copyRow(buf: Buffer, start: number, eol: number): void {
    const b = this.block!;
    if (++b.table.sampled >= this.sampleRows) {
      // Sampled enough: the reader only looks for the end of the block from here.
      this.reader!.copy!.mode = 'pass';
    }
    const fields = splitCopyLine(buf.subarray(start, eol));
    b.order.forEach((stats, i) => {
      const raw = fields[i];
      if (!stats || raw === undefined) return;
      try {
        const v = decodeCopyText(raw);
        if (v !== null) stats.add(v);
      } catch {
        // not UTF-8: the scrubber will say so if the column has a rule; nothing to detect here
      }
    });
  }

  copyEnd(): void {
    this.block = undefined;
  }

  insert(stmt: InsertStatement): undefined {
    const t = this.table(stmt.table);
    const order = this.order(stmt.table, t, stmt.columns);
    for (const row of stmt.rows) {
      if (t.sampled >= this.sampleRows) break;
      t.sampled++;
      row.forEach(([start, end], i) => {
        const stats = order[i];
        if (!stats) return;
        try {
          const v = decodeSqlValue(stmt.text.subarray(start, end), stmt.stdStrings);
          if (v.kind === 'string' || v.kind === 'bare') stats.add(v.value);
        } catch {
          // as above
        }
      });
    }
    return undefined;
  }

  readonly parentsOf = (t: string) => this.tables.get(t)?.parents;

  rules(table: string): TableRules | undefined {
    return rulesFor(this.plan, table, this.parentsOf)?.rules;
  }

  covered(table: string, column: string): boolean {
    return this.rules(table)?.columns.has(column) === true || isAcknowledged(this.plan, table, column, this.parentsOf);
  }

  private table(name: string): ScannedTable {
    let t = this.tables.get(name);
    if (!t) this.tables.set(name, (t = { columns: [], stats: new Map(), sampled: 0 }));
    return t;
  }

  /** Per position in a data block, the stats of a column to sample there. */
  private order(name: string, t: ScannedTable, listed: string[] | null): (ValueStats | undefined)[] {
    const names = listed ?? t.columns.map((c) => c.name);
    for (const n of names) if (!t.columns.some((c) => c.name === n)) t.columns.push({ name: n, type: 'unknown' });
    const rules = this.rules(name);
    return names.map((n) => {
      const col = t.columns.find((c) => c.name === n)!;
      if (rules?.truncate || this.covered(name, n)) return undefined;
      if (!SAMPLED.has(classifyType(col.type).cls)) return undefined;
      let s = t.stats.get(n);
      if (!s) t.stats.set(n, (s = new ValueStats()));
      return s;
    });
  }
}

/** Scans the dump (it consumes the stream) and reports what the plan leaves uncovered. */
export async function scanDump(input: Readable, plan: ScrubPlan, opts: ScanOptions = {}): Promise<CoverageReport> {
  const scanning = new Scanning(plan, opts.sampleRows ?? 1000);
  const reader = new DumpReader(scanning, NO_SINK, opts);
  scanning.reader = reader;
  for await (const chunk of input) reader.write(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as string));
  reader.end();

  const tables: DumpTable[] = [];
  const uncovered: CoverageFinding[] = [];
  const unknownRules: string[] = [];
  const unfitRules: string[] = [];
  for (const [name, t] of scanning.tables) {
    tables.push({ name, columns: t.columns.map((c) => ({ name: c.name, type: c.type })) });
    if (scanning.rules(name)?.truncate) continue; // no row of it reaches the clone
    for (const col of t.columns) {
      if (scanning.covered(name, col.name)) continue;
      const type = classifyType(col.type);
      const byName = personalByName(col.name, type, col.notNull);
      const stats = t.stats.get(col.name);
      if (byName) {
        uncovered.push({ table: name, column: col.name, type: col.type, reason: `name: looks like ${byName.what}`, suggestion: byName.suggestion });
        continue;
      }
      const byValues = stats?.verdict(type, col.notNull);
      if (byValues) {
        uncovered.push({ table: name, column: col.name, type: col.type, reason: `values: ${byValues.count} of ${stats!.sampled} sampled values hold ${byValues.what}`, suggestion: byValues.suggestion });
      } else if (type.cls === 'inet') {
        uncovered.push({ table: name, column: col.name, type: col.type, reason: `type: ${col.type} holds IP addresses`, suggestion: 'fake:ip' });
      }
    }
  }
  for (const [name, rules] of plan.tables) {
    const t = scanning.tables.get(name);
    if (!t) {
      unknownRules.push(`${name}: the dump has no such table`);
      continue;
    }
    const have = t.columns.map((c) => c.name);
    for (const [col, strategy] of rules.columns) {
      const decl = t.columns.find((c) => c.name === col);
      if (!decl) {
        unknownRules.push(`${name}.${col}: the table has no such column (its columns: ${have.join(', ')})`);
        continue;
      }
      // The scrubber's own check, on the same declaration: what it would stop on mid-clone.
      const problem = ruleProblem(name, decl, strategy);
      if (problem) unfitRules.push(problem);
    }
  }
  for (const ack of plan.acknowledged) {
    const at = ack.lastIndexOf('.');
    const t = scanning.tables.get(ack.slice(0, at));
    if (!t?.columns.some((c) => c.name === ack.slice(at + 1))) unknownRules.push(`acknowledge ${ack}: the dump has no such column`);
  }
  return { tables, uncovered, unknownRules, unfitRules };
}

/**
 * Why the gate stops a clone of `service` from `what` (e.g. "the dump data/prod.sql"), with the
 * repro.yaml lines that fix it; undefined when the rules cover the source.
 */
export function gateFailure(service: string, what: string, report: CoverageReport): string | undefined {
  if (!report.unknownRules.length && !report.uncovered.length && !report.unfitRules.length) return undefined;
  const unknown = report.unknownRules.length
    ? `repro.yaml's scrub rules for ${service} name what ${what} does not have: ${report.unknownRules.join(', ')}.\n`
    : '';
  const unfit = report.unfitRules.length
    ? `repro.yaml's scrub rules for ${service} cannot apply to ${what}'s column types: ${report.unfitRules.join('; ')}.\n`
    : '';
  return `${unknown}${unfit}${report.uncovered.length || (!unknown && !unfit) ? formatCoverage(report, service) : ''}`.trim();
}

// Coverage does not depend on the key; a fixed one keeps a scan free of secrets.
export const SCAN_KEY = deriveKey('repro coverage scan');

/**
 * What a gate that passed proved: these rules (their canonical form, without the key) cover
 * the source with this identity (a dump's sha256). A clone given it skips its own pass.
 */
export function coverageKey(spec: DataSpec, sourceIdentity: string): string {
  return createHash('sha256').update(`${compileScrubPlan(spec, SCAN_KEY).identity}\0${sourceIdentity}`).digest('hex');
}

/** How a table is named under data.tables: bare in the public schema. */
function yamlTable(table: string): string {
  const name = table.startsWith('public.') ? table.slice(7) : table;
  return /^[a-z_][a-z0-9_.]*$/.test(name) ? name : JSON.stringify(name);
}

const yamlKey = (s: string) => (/^[a-z_][a-z0-9_]*$/.test(s) ? s : JSON.stringify(s));
const yamlStrategy = (s: string) => (s.includes(':') ? JSON.stringify(s) : s);

/** The report as text for a person, with the repro.yaml lines that cover what is uncovered. */
export function formatCoverage(report: CoverageReport, service = 'db'): string {
  const lines: string[] = [];
  const columns = report.tables.reduce((n, t) => n + t.columns.length, 0);
  if (report.uncovered.length === 0) {
    lines.push(`Every column that looks personal has a rule or an acknowledgement (${report.tables.length} tables, ${columns} columns scanned).`);
  } else {
    const n = report.uncovered.length;
    lines.push(`${n} column${n === 1 ? ' looks' : 's look'} personal and ${n === 1 ? 'has' : 'have'} no rule in repro.yaml; the clone stops until each has one:`);
    for (const f of report.uncovered) lines.push(`  ${f.table}.${f.column} (${f.type}): ${f.reason}; suggested: ${f.suggestion}`);
    lines.push('', `Add under services.${service}.data.tables in repro.yaml (merge into a table's existing entry):`);
    const byTable = new Map<string, CoverageFinding[]>();
    for (const f of report.uncovered) byTable.set(f.table, [...(byTable.get(f.table) ?? []), f]);
    for (const [table, fs] of byTable) {
      lines.push(`  ${yamlTable(table)}: { columns: { ${fs.map((f) => `${yamlKey(f.column)}: ${yamlStrategy(f.suggestion)}`).join(', ')} } }`);
    }
    lines.push('', `Or, for a column that is safe to keep as it is, acknowledge it under services.${service}.data:`);
    lines.push(`  acknowledge: [${report.uncovered.map((f) => JSON.stringify(`${f.table.startsWith('public.') ? f.table.slice(7) : f.table}.${f.column}`)).join(', ')}]`);
  }
  if (report.unknownRules.length > 0) {
    lines.push('', 'Rules in repro.yaml that match nothing in the dump (a typo leaves the real column unscrubbed):');
    for (const u of report.unknownRules) lines.push(`  ${u}`);
  }
  if (report.unfitRules.length > 0) {
    lines.push('', 'Rules in repro.yaml that cannot apply to their column\'s type (the clone stops on them):');
    for (const u of report.unfitRules) lines.push(`  ${u}`);
  }
  return lines.join('\n');
}
