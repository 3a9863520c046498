// From repro.yaml's `data` section to the ScrubPlan the scrubber and the coverage gate run on,
// and where the per-project scrubbing key comes from. The plan's identity hashes the
// canonical rules and the key's digest (never the key), so a cached clone is reused only when
// both are unchanged, and the receipt can name the rules without revealing the key.
import { createHash, hkdfSync, randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { DataSpec, Manifest } from '../manifest/schema';
import type { FakeKind, ScrubPlan, Strategy, TableRules } from './types';

/** Bumped whenever a strategy's output changes for the same input, so cached clones are rebuilt. */
export const SCRUBBER_VERSION = 1;

const FAKE_KINDS: readonly FakeKind[] = ['email', 'name', 'first_name', 'last_name', 'phone', 'address', 'ip', 'city', 'company', 'text', 'uuid', 'date'];

/** "keep" | "null" | "redact" | "hash" | "mask" | "fake:<kind>"; `where` names the rule in the error. */
export function parseStrategy(text: string, where = 'strategy'): Strategy {
  const s = text.trim().toLowerCase();
  if (s === 'keep' || s === 'null' || s === 'redact' || s === 'hash' || s === 'mask') return { kind: s };
  if (s.startsWith('fake:')) {
    const kind = s.slice(5) as FakeKind;
    if (FAKE_KINDS.includes(kind)) return { kind: 'fake', fake: kind };
    throw new Error(`${where}: unknown fake kind "${s.slice(5)}" (one of ${FAKE_KINDS.join(', ')})`);
  }
  throw new Error(`${where}: unknown strategy "${text}" (keep, null, redact, hash, mask or fake:<kind>)`);
}

export function strategyName(s: Strategy): string {
  return s.kind === 'fake' ? `fake:${s.fake}` : s.kind;
}

/** "customers" -> "public.customers"; "Sales.Orders" -> "sales.orders". */
export function qualifyTable(name: string): string {
  const n = name.trim().toLowerCase();
  return n.includes('.') ? n : `public.${n}`;
}

/** The plan for one postgresql service's `data` section. Throws on a rule it cannot read. */
export function compileScrubPlan(data: DataSpec, key: Buffer): ScrubPlan {
  const tables = new Map<string, TableRules>();
  for (const [tableName, rule] of Object.entries(data.tables ?? {})) {
    const table = qualifyTable(tableName);
    if (tables.has(table)) throw new Error(`data.tables names ${table} twice ("${tableName}")`);
    const columns = new Map<string, Strategy>();
    for (const [column, strategy] of Object.entries(rule.columns ?? {})) {
      const col = column.trim().toLowerCase();
      if (columns.has(col)) throw new Error(`data.tables.${tableName} names column ${col} twice`);
      columns.set(col, parseStrategy(strategy, `data.tables.${tableName}.columns.${column}`));
    }
    tables.set(table, { columns, truncate: rule.truncate === true, ...(rule.where !== undefined ? { where: rule.where } : {}) });
  }
  const acknowledged = new Set<string>();
  for (const entry of data.acknowledge ?? []) {
    const parts = entry.trim().toLowerCase().split('.');
    if (parts.length < 2 || parts.length > 3 || parts.some((p) => p === '')) {
      throw new Error(`data.acknowledge: "${entry}" is not "table.column" or "schema.table.column"`);
    }
    acknowledged.add(parts.length === 2 ? `public.${parts[0]}.${parts[1]}` : parts.join('.'));
  }
  return { tables, acknowledged, key, identity: planIdentity(tables, acknowledged, key) };
}

function planIdentity(tables: Map<string, TableRules>, acknowledged: Set<string>, key: Buffer): string {
  const canonical = {
    scrubber: SCRUBBER_VERSION,
    tables: [...tables.keys()].sort().map((t) => {
      const r = tables.get(t)!;
      return [t, [...r.columns.keys()].sort().map((c) => [c, strategyName(r.columns.get(c)!)]), r.truncate, r.where ?? null];
    }),
    acknowledged: [...acknowledged].sort(),
    key: createHash('sha256').update(key).digest('hex'),
  };
  return createHash('sha256').update(JSON.stringify(canonical)).digest('hex');
}

/**
 * The rules that cover a table: its own, else those of the table it is a partition or an
 * inheritance child of (pg_dump writes a partition's rows under the partition's name, so a
 * rule on the partitioned table must reach them). `from` names the table the rules are on.
 */
export function rulesFor(plan: ScrubPlan, table: string, parentsOf: (t: string) => readonly string[] | undefined, seen = new Set<string>()): { from: string; rules: TableRules } | undefined {
  const own = plan.tables.get(table);
  if (own) return { from: table, rules: own };
  seen.add(table);
  for (const parent of parentsOf(table) ?? []) {
    if (seen.has(parent)) continue;
    const found = rulesFor(plan, parent, parentsOf, seen);
    if (found) return found;
  }
  return undefined;
}

/** Whether "schema.table.column" is acknowledged, on the table or a parent of it. */
export function isAcknowledged(plan: ScrubPlan, table: string, column: string, parentsOf: (t: string) => readonly string[] | undefined, seen = new Set<string>()): boolean {
  if (plan.acknowledged.has(`${table}.${column}`)) return true;
  seen.add(table);
  return (parentsOf(table) ?? []).some((p) => !seen.has(p) && isAcknowledged(plan, p, column, parentsOf, seen));
}

/** A 32-byte key from a secret of any length (HKDF-SHA256 with a fixed, purpose-bound salt). */
export function deriveKey(secret: string): Buffer {
  if (secret.trim() === '') throw new Error('the scrubbing secret is empty');
  return Buffer.from(hkdfSync('sha256', Buffer.from(secret, 'utf8'), 'repro-scrub-key-v1', 'repro data scrubbing', 32));
}

/**
 * The scrubbing key: from the environment variable repro.yaml names in scrub.key.env, else
 * from the per-project key file the caller gives (created with a random secret, mode 0600,
 * the first time). `source` says where it came from ("env:NAME" or "file:PATH"), never the key.
 */
export function scrubKeyFrom(env: Record<string, string | undefined>, manifest: Manifest, keyFile?: string): { key: Buffer; source: string } {
  const variable = manifest.scrub?.key?.env;
  if (variable) {
    const secret = env[variable];
    if (secret === undefined || secret.trim() === '') {
      throw new Error(`the scrubbing key variable ${variable} is not set (repro.yaml scrub.key.env names it): set it to the project's scrubbing secret`);
    }
    return { key: deriveKey(secret), source: `env:${variable}` };
  }
  if (!keyFile) throw new Error('no scrubbing key: set scrub.key.env in repro.yaml, or give a per-project key file');
  let secret: string;
  try {
    secret = fs.readFileSync(keyFile, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    fs.mkdirSync(path.dirname(keyFile), { recursive: true, mode: 0o700 });
    try {
      fs.writeFileSync(keyFile, `${randomBytes(32).toString('hex')}\n`, { mode: 0o600, flag: 'wx' });
    } catch (w) {
      if ((w as NodeJS.ErrnoException).code !== 'EEXIST') throw w; // another process made it first: use theirs
    }
    secret = fs.readFileSync(keyFile, 'utf8');
  }
  return { key: deriveKey(secret.trim()), source: `file:${keyFile}` };
}
