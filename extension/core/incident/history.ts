// The incidents that reached Repro (links clicked, payloads pasted, opened or fetched), newest
// first, so one can be reproduced again or its link copied. Kept in REPRO_HOME/incidents.json
// next to the receipts, which the CLI shares, rather than in VS Code's globalState: every
// window and `repro` see one list, and the receipts of reproductions run from the CLI join it.
//
// What is kept is the checked Incident written as its own reproduce link (the query only), and
// read back through the link parser: a stored entry is checked exactly like a clicked link, so
// an edited or corrupted file cannot smuggle anything past the checks, and what is kept holds
// only what a link may hold (request headers that may carry credentials are dropped again, JSON
// secrets in a body are redacted again). A payload fetched from a trusted host is kept as its
// URL, never as the fetched body; raw payloads and their headers are never kept.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { LINK_AUTHORITY, LINK_PATH, parseReproduceLink } from './deepLink';
import { INCIDENT_SOURCES, makeIncident, type Incident, type IncidentSource } from './model';
import type { Receipt } from '../session/receipt';
import { redactJsonBody } from './request';

/** How many incidents are kept: the oldest go first. */
export const HISTORY_LIMIT = 50;
export const HISTORY_FILE = 'incidents.json';

export type IncidentVia = 'link' | 'payload' | 'payload-url';

export interface HistoryEntry {
  incident: Incident;
  via: IncidentVia;
  /** The trusted https address the payload was fetched from (via payload-url). */
  payloadUrl?: string;
  /** ISO time it reached Repro (the last time, when it came again). */
  receivedAt: string;
}

/** An incident is the same when its id and its commit (or release, before it is resolved) are. */
export const entryKey = (i: Pick<Incident, 'id' | 'commit' | 'release'>): string => `${i.id}@${i.commit ?? i.release ?? ''}`;

/** `entry` first, an earlier entry of the same incident dropped, at most `limit` kept. */
export function addEntry(list: readonly HistoryEntry[], entry: HistoryEntry, limit = HISTORY_LIMIT): HistoryEntry[] {
  const key = entryKey(entry.incident);
  return [entry, ...list.filter((e) => entryKey(e.incident) !== key)].slice(0, Math.max(0, limit));
}

export function removeEntry(list: readonly HistoryEntry[], key: string): HistoryEntry[] {
  return list.filter((e) => entryKey(e.incident) !== key);
}

/** The reproduce link's query that carries `incident` (its labels are not part of a link). */
export function incidentQuery(incident: Incident): string {
  const p = new URLSearchParams();
  p.set('incident', incident.id);
  p.set('title', incident.title);
  if (incident.commit) p.set('commit', incident.commit);
  if (incident.release) p.set('release', incident.release);
  if (incident.environment) p.set('env', incident.environment);
  if (incident.service) p.set('service', incident.service);
  if (incident.time) p.set('time', incident.time);
  if (incident.frames.length) p.set('frames', JSON.stringify(incident.frames));
  if (incident.request) {
    p.set('method', incident.request.method);
    p.set('path', incident.request.path);
    if (Object.keys(incident.request.headers).length) p.set('headers', JSON.stringify(incident.request.headers));
    if (incident.request.body !== undefined) p.set('body', incident.request.body);
  }
  if (incident.url) p.set('url', incident.url);
  if (incident.repository) p.set('repo', incident.repository);
  // URLSearchParams writes spaces as '+'; a link's reader takes '+' in a release literally.
  return p.toString().replace(/\+/g, '%20');
}

/** The link to share: the payload's address when the incident came from one, else its fields. */
export function entryLink(e: HistoryEntry, scheme = 'vscode'): string {
  const query = e.via === 'payload-url' && e.payloadUrl ? `payload=${encodeURIComponent(e.payloadUrl)}` : incidentQuery(e.incident);
  return `${scheme}://${LINK_AUTHORITY}${LINK_PATH}?${query}`;
}

/** The incident as a link would give it, with its source kept; undefined when it does not pass. */
export function recheckIncident(query: string, source: unknown): Incident | undefined {
  const r = parseReproduceLink(`vscode://${LINK_AUTHORITY}${LINK_PATH}?${query}`, { trustedHosts: [] });
  if (r.kind !== 'incident') return undefined;
  const src = (INCIDENT_SOURCES as readonly unknown[]).includes(source) ? source as IncidentSource : 'link';
  const req = r.incident.request;
  // A link's body is replayed as given; what is kept has credential-like JSON values removed.
  const request = req?.body !== undefined ? { ...req, body: redactJsonBody(req.body, []) } : req;
  return { ...r.incident, source: src, ...(request ? { request } : {}) };
}

interface StoredEntry { query: string; source: string; via: IncidentVia; payloadUrl?: string; receivedAt: string }

export function serializeHistory(list: readonly HistoryEntry[]): string {
  const stored: StoredEntry[] = [];
  for (const e of list) {
    // What is written is what the link checks let through (credential headers dropped...).
    const checked = recheckIncident(incidentQuery(e.incident), e.incident.source);
    if (!checked) continue;
    stored.push({
      query: incidentQuery(checked), source: checked.source, via: e.via,
      ...(e.via === 'payload-url' && e.payloadUrl ? { payloadUrl: e.payloadUrl } : {}), receivedAt: e.receivedAt,
    });
  }
  return JSON.stringify({ version: 1, incidents: stored }, null, 2) + '\n';
}

/** The file's entries that pass the checks, at most HISTORY_LIMIT, one per incident; never throws. */
export function parseHistory(text: string): HistoryEntry[] {
  let data: unknown;
  try { data = JSON.parse(text); } catch { return []; }
  const items = typeof data === 'object' && data !== null && (data as { version?: unknown }).version === 1 ? (data as { incidents?: unknown }).incidents : undefined;
  if (!Array.isArray(items)) return [];
  const out: HistoryEntry[] = [];
  for (const item of items.slice(0, HISTORY_LIMIT * 2)) {
    const e = parseStored(item);
    if (e && !out.some((x) => entryKey(x.incident) === entryKey(e.incident))) out.push(e);
  }
  return out.slice(0, HISTORY_LIMIT);
}

function parseStored(item: unknown): HistoryEntry | undefined {
  if (typeof item !== 'object' || item === null) return undefined;
  const s = item as Partial<Record<keyof StoredEntry, unknown>>;
  if (typeof s.query !== 'string' || typeof s.receivedAt !== 'string' || Number.isNaN(Date.parse(s.receivedAt))) return undefined;
  if (s.via !== 'link' && s.via !== 'payload' && s.via !== 'payload-url') return undefined;
  const incident = recheckIncident(s.query, s.source);
  if (!incident) return undefined;
  const payloadUrl = s.via === 'payload-url' ? safePayloadUrl(s.payloadUrl) : undefined;
  return { incident, via: s.via === 'payload-url' && !payloadUrl ? 'payload' : s.via, ...(payloadUrl ? { payloadUrl } : {}), receivedAt: new Date(s.receivedAt).toISOString() };
}

/** An https address without credentials in it, or nothing. */
function safePayloadUrl(v: unknown): string | undefined {
  if (typeof v !== 'string' || v.length > 2048) return undefined;
  try {
    const u = new URL(v);
    return u.protocol === 'https:' && !u.username && !u.password ? u.toString() : undefined;
  } catch {
    return undefined;
  }
}

/** The incident a receipt records, checked like a link (a receipt is a file anyone could edit). */
export function incidentOfReceipt(r: Receipt): Incident | undefined {
  const frames = (r.frames ?? []).map((f) => ({ file: f.file, line: f.line, ...(f.column ? { column: f.column } : {}), ...(f.function ? { function: f.function } : {}) }));
  try {
    const i = makeIncident({
      id: r.incident.id, source: 'link', title: r.incident.title ?? `Incident ${r.incident.id}`, environment: r.incident.environment,
      service: r.incident.service, time: r.incident.time, commit: r.commit, release: r.release, frames, url: r.incident.url,
      repository: r.repository, labels: {},
    });
    return recheckIncident(incidentQuery(i), r.incident.source);
  } catch {
    return undefined;
  }
}

/** One row of the Incidents view: a kept incident, or a receipt nobody kept the incident of. */
export interface IncidentRow {
  incident: Incident;
  /** Absent for a row that comes from a receipt only (a reproduction run from the CLI). */
  entry?: HistoryEntry;
  /** The newest receipt of this incident at this commit. */
  receipt?: Receipt;
  when: string;
}

/** The kept entries and the receipts on disk as one list, newest first, one row per incident. */
export function incidentRows(entries: readonly HistoryEntry[], receipts: readonly Receipt[]): IncidentRow[] {
  const byKey = new Map<string, Receipt>();
  const newest = [...receipts].sort((a, b) => b.startedAt.localeCompare(a.startedAt));
  for (const r of newest) {
    const keys = [`${r.incident.id}@${r.commit}`, ...(r.release ? [`${r.incident.id}@${r.release}`] : [])];
    for (const k of keys) if (!byKey.has(k)) byKey.set(k, r);
  }
  const rows: IncidentRow[] = [];
  const used = new Set<Receipt>();
  for (const entry of entries) {
    const receipt = byKey.get(entryKey(entry.incident));
    if (receipt) used.add(receipt);
    rows.push({ incident: entry.incident, entry, ...(receipt ? { receipt } : {}), when: entry.receivedAt });
  }
  const seen = new Set(rows.map((r) => entryKey(r.incident)));
  for (const r of newest) {
    if (used.has(r)) continue;
    const incident = incidentOfReceipt(r);
    if (!incident || seen.has(entryKey(incident))) continue;
    seen.add(entryKey(incident));
    rows.push({ incident, receipt: r, when: r.startedAt });
  }
  return rows.sort((a, b) => b.when.localeCompare(a.when)).slice(0, HISTORY_LIMIT * 2);
}

/** The entries kept in `home`; none when the file is missing or unreadable. */
export function readHistory(home: string): HistoryEntry[] {
  try {
    return parseHistory(fs.readFileSync(path.join(home, HISTORY_FILE), 'utf8'));
  } catch {
    return [];
  }
}

/** Writes the entries (owner-only, replaced whole so a reader never sees half a file). */
export function writeHistory(home: string, list: readonly HistoryEntry[]): void {
  fs.mkdirSync(home, { recursive: true });
  const file = path.join(home, HISTORY_FILE);
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, serializeHistory(list), { mode: 0o600 });
  fs.renameSync(tmp, file);
}
