// The Incidents view: the incidents that reached Repro (links, pasted, opened or fetched
// payloads) and the receipts on disk (reproductions run from the CLI too), newest first, each
// with its id, title, source tool, commit or release and when. The rows are what
// core/incident/history.ts keeps in REPRO_HOME; every change is written at once, so a reload or
// another window sees the same list.
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { HISTORY_FILE, addEntry, entryKey, incidentRows, readHistory, removeEntry, writeHistory, type HistoryEntry, type IncidentRow, type IncidentVia } from '../core/incident/history';
import type { Incident, IncidentSource } from '../core/incident/model';
import { listReceipts } from '../core/session/lifecycle';
import { reproHome } from '../core/session/storage';
import type { Logger } from './logger';
import { code, esc } from './sessionPanel';

/** The history kept in REPRO_HOME, as the extension reads and changes it. */
export class IncidentHistory implements vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<void>();
  /** Fires after every change this window makes. */
  readonly onDidChange = this.changed.event;

  constructor(private readonly log: Logger, private readonly home: () => string = reproHome) {}

  /** The last read, kept while the file is unchanged (the view refreshes on engine events). */
  private cache: { stamp: string; entries: HistoryEntry[] } | undefined;

  entries(): HistoryEntry[] {
    const file = path.join(this.home(), HISTORY_FILE);
    let stamp = 'missing';
    try { const st = fs.statSync(file); stamp = `${st.mtimeMs}:${st.size}:${st.ino}`; } catch { /* no history yet */ }
    if (this.cache?.stamp !== stamp) this.cache = { stamp, entries: readHistory(this.home()) };
    return this.cache.entries;
  }

  /** An incident reached Repro (it is kept whether or not it is then reproduced). */
  record(incident: Incident, via: IncidentVia, payloadUrl?: string): void {
    this.write(addEntry(this.entries(), { incident, via, ...(payloadUrl ? { payloadUrl } : {}), receivedAt: new Date().toISOString() }));
  }

  remove(key: string): void {
    this.write(removeEntry(this.entries(), key));
  }

  clear(): void {
    this.write([]);
  }

  rows(): IncidentRow[] {
    return incidentRows(this.entries(), listReceipts(this.home()));
  }

  private write(list: HistoryEntry[]): void {
    try {
      writeHistory(this.home(), list);
    } catch (e) {
      this.log.warn(`[incidents] could not write the history: ${(e as Error).message}`);
    }
    this.changed.fire();
  }

  dispose(): void {
    this.changed.dispose();
  }
}

export interface IncidentNode { kind: 'incident'; row: IncidentRow }

export const SOURCE_NAMES: Record<IncidentSource, string> = {
  link: 'link', alertmanager: 'Alertmanager', grafana: 'Grafana', pagerduty: 'PagerDuty', sentry: 'Sentry', datadog: 'Datadog', opsgenie: 'Opsgenie',
};
const SOURCE_ICONS: Record<IncidentSource, string> = {
  link: 'link', alertmanager: 'bell', grafana: 'graph-line', pagerduty: 'bell-dot', sentry: 'bug', datadog: 'dashboard', opsgenie: 'megaphone',
};

/** "3 min ago", "yesterday 14:02"... what a list of recent things says of when. */
export function ago(iso: string, now = Date.now()): string {
  const t = Date.parse(iso);
  const s = Math.max(0, Math.round((now - t) / 1000));
  if (s < 60) return 'just now';
  if (s < 3600) return `${Math.floor(s / 60)} min ago`;
  if (s < 86400) return `${Math.floor(s / 3600)} h ago`;
  return new Date(t).toLocaleDateString();
}

export class IncidentsTreeProvider implements vscode.TreeDataProvider<IncidentNode>, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<IncidentNode | undefined>();
  readonly onDidChangeTreeData = this.changed.event;
  /** Sessions running now, to mark the incidents being reproduced. */
  private live = new Set<string>();
  private readonly subscription: vscode.Disposable;

  constructor(readonly history: IncidentHistory) {
    this.subscription = history.onDidChange(() => this.refresh());
  }

  refresh(liveSessions?: Iterable<string>): void {
    if (liveSessions) this.live = new Set(liveSessions);
    this.changed.fire(undefined);
  }

  getChildren(node?: IncidentNode): IncidentNode[] {
    if (node) return [];
    return this.history.rows().map((row) => ({ kind: 'incident', row }));
  }

  getTreeItem(node: IncidentNode): vscode.TreeItem {
    const { incident: i, entry, receipt } = node.row;
    const item = new vscode.TreeItem(i.title);
    const rev = i.release ?? i.commit?.slice(0, 7) ?? receipt?.commit.slice(0, 7);
    item.description = [i.id, SOURCE_NAMES[i.source], rev, ago(node.row.when)].filter(Boolean).join(' · ');
    const running = receipt !== undefined && !receipt.endedAt && this.live.has(receipt.session);
    item.iconPath = new vscode.ThemeIcon(SOURCE_ICONS[i.source], running ? new vscode.ThemeColor('testing.iconPassed') : undefined);
    item.id = `incident:${entryKey(i)}`;
    // incident-kept[-receipt] for kept ones (they can be removed), incident-receipt for receipts only.
    item.contextValue = `incident${entry ? '-kept' : ''}${receipt ? '-receipt' : ''}`;
    const md = new vscode.MarkdownString(`**${esc(i.id)}**: ${esc(i.title)}  \n`);
    md.appendMarkdown(`from ${SOURCE_NAMES[i.source]}${entry?.via === 'payload-url' && entry.payloadUrl ? ` (fetched from ${esc(new URL(entry.payloadUrl).host)})` : entry?.via === 'payload' ? ' (pasted or opened payload)' : ''}`);
    md.appendMarkdown(`${i.environment ? `, ${esc(i.environment)}` : ''}${i.service ? `, service ${esc(i.service)}` : ''}  \n`);
    if (i.commit || i.release) md.appendMarkdown(`${i.commit ? `commit \`${i.commit.slice(0, 12)}\`` : ''}${i.release ? ` release ${code(i.release)}` : ''}  \n`);
    if (i.time) md.appendMarkdown(`fired ${new Date(i.time).toLocaleString()}  \n`);
    if (i.frames.length) md.appendMarkdown(`${i.frames.length} stack frame${i.frames.length > 1 ? 's' : ''}, innermost ${code(`${i.frames[0]!.file}:${i.frames[0]!.line}`)}  \n`);
    if (i.request) md.appendMarkdown(`request ${code(`${i.request.method} ${i.request.path.slice(0, 80)}`)}  \n`);
    md.appendMarkdown(entry ? `received ${new Date(entry.receivedAt).toLocaleString()}` : 'known from its receipt (reproduced from the command line or another window)');
    if (receipt) md.appendMarkdown(`  \n${receipt.endedAt ? 'reproduced' : running ? 'running' : 'reproduced'} as ${code(receipt.session)} in ${(receipt.totalMs / 1000).toFixed(1)} s`);
    item.tooltip = md;
    item.accessibilityInformation = { label: `${i.title}, incident ${i.id} from ${SOURCE_NAMES[i.source]}${rev ? ` at ${rev}` : ''}, ${ago(node.row.when)}` };
    return item;
  }

  dispose(): void {
    this.subscription.dispose();
    this.changed.dispose();
  }
}
