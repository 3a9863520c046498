// The Parity view: an environment's published state beside repro.yaml, the manifest at its
// commit, the local session, compose files and this machine's toolchain, one row per service
// or app attribute, coloured by state. Computed when the view is shown and on Refresh (the
// state's URL or command runs then, bounded in time; an offline copy is said to be one).
import * as vscode from 'vscode';
import { computeDrift, type DriftResult } from '../core/drift/drift';
import { declaredAt } from '../core/drift/fixes';
import type { Cell, Row, Severity, Side } from '../core/drift/model';
import { describeFreshness } from '../core/drift/stateCache';
import { reproHome } from '../core/session/storage';
import type { EngineProvider } from './engine';
import type { Logger } from './logger';
import { noteItem } from './treeNote';
import type { ManifestStore } from './manifestStore';

export type ParityNode =
  | { kind: 'environment'; result: DriftResult }
  | { kind: 'sources'; result: DriftResult }
  | { kind: 'side'; side: Side }
  | { kind: 'subject'; subject: string; rows: Row[]; result: DriftResult }
  | { kind: 'row'; row: Row; result: DriftResult }
  | { kind: 'note'; text: string; tooltip?: string; icon: string; color?: string };

const STATE_ICON: Record<Cell['state'], string> = { 'in-sync': 'pass-filled', drift: 'diff', missing: 'circle-slash', unknown: 'question' };
const SEVERITY_COLOR: Record<Severity, string | undefined> = { error: 'list.errorForeground', warning: 'list.warningForeground', info: 'descriptionForeground', none: 'testing.iconPassed' };
const MARK: Record<Cell['state'], string> = { 'in-sync': '=', drift: '≠', missing: '∅', unknown: '?' };

export class ParityTreeProvider implements vscode.TreeDataProvider<ParityNode>, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<ParityNode | undefined>();
  readonly onDidChangeTreeData = this.changed.event;
  private pending: Promise<DriftResult | { failed: string }> | undefined;
  private env: string | undefined;
  private readonly sub: vscode.Disposable;

  constructor(private readonly store: ManifestStore, private readonly engine: EngineProvider, private readonly log: Logger) {
    this.sub = store.onDidChange(() => this.refresh());
  }

  refresh(): void {
    this.pending = undefined;
    this.changed.fire(undefined);
  }

  /** Compare against another environment. */
  setEnvironment(env: string): void {
    this.env = env;
    this.refresh();
  }

  /** The last comparison (computing one first if there is none). */
  result(): Promise<DriftResult | { failed: string }> {
    if (!this.pending) {
      const primary = this.store.primary();
      const m = primary?.project.origin === 'repro.yaml' ? primary.project.manifest : undefined;
      void vscode.commands.executeCommand('setContext', 'repro.hasEnvironments', Boolean(m && Object.keys(m.environments ?? {}).length));
      if (!primary || !m) {
        this.pending = Promise.resolve({ failed: 'Parity compares the environments a valid repro.yaml declares.' });
      } else {
        const started = Date.now();
        const env = this.env && m.environments?.[this.env] ? this.env : undefined;
        // A command state runs only in a trusted workspace: a cloned repository cannot run
        // something just because its Parity view was opened.
        const trusted = vscode.workspace.isTrusted;
        this.pending = computeDrift(primary.folder.uri.fsPath, m, {
          home: reproHome(), docker: async () => (await this.engine.get()).docker, allowCommand: trusted,
          ...(trusted ? {} : { commandRefusal: 'its published state comes from a command, which Repro runs only in a trusted workspace (Manage Workspace Trust)' }),
          ...(env ? { env } : {}),
        })
          .then((r) => {
            const c = r.report.counts;
            this.log.info(`[parity] ${r.env}: ${c.drift} drift, ${c.missing} missing, ${c.unknown} unknown, ${c['in-sync']} in sync in ${Date.now() - started} ms`);
            return r;
          }, (e: Error) => ({ failed: e.message }));
      }
    }
    return this.pending;
  }

  async getChildren(node?: ParityNode): Promise<ParityNode[]> {
    if (!node) {
      const r = await this.result();
      if ('failed' in r) return Object.keys(this.store.primary()?.project.manifest?.environments ?? {}).length ? [{ kind: 'note', text: r.failed, tooltip: r.failed, icon: 'error', color: 'list.errorForeground' }] : [];
      const subjects = new Map<string, Row[]>();
      for (const row of r.report.rows) subjects.set(row.subject, [...(subjects.get(row.subject) ?? []), row]);
      return [
        { kind: 'environment', result: r },
        ...[...subjects].map(([subject, rows]): ParityNode => ({ kind: 'subject', subject, rows, result: r })),
        { kind: 'sources', result: r },
      ];
    }
    if (node.kind === 'subject') return node.rows.map((row) => ({ kind: 'row', row, result: node.result }));
    if (node.kind === 'sources') return node.result.report.sides.slice(1).map((side) => ({ kind: 'side', side }));
    return [];
  }

  getTreeItem(node: ParityNode): vscode.TreeItem {
    switch (node.kind) {
      case 'environment': return environmentItem(node.result);
      case 'subject': return subjectItem(node.subject, node.rows);
      case 'row': return rowItem(node.row, node.result);
      case 'sources': {
        const sides = node.result.report.sides.slice(1);
        const off = sides.filter((s) => s.unavailable).length;
        const item = new vscode.TreeItem('Compared with', vscode.TreeItemCollapsibleState.Collapsed);
        item.description = `${sides.length - off} source${sides.length - off === 1 ? '' : 's'}${off ? `, ${off} not available` : ''}`;
        item.iconPath = new vscode.ThemeIcon('layers');
        item.contextValue = 'parity-sources';
        return item;
      }
      case 'side': {
        const s = node.side;
        const item = new vscode.TreeItem(s.label, vscode.TreeItemCollapsibleState.None);
        item.description = s.unavailable ?? s.note ?? '';
        item.tooltip = s.unavailable ? `Not compared: ${s.unavailable}` : s.note;
        item.iconPath = new vscode.ThemeIcon(sideIcon(s), s.unavailable ? new vscode.ThemeColor('disabledForeground') : undefined);
        item.contextValue = 'parity-side';
        return item;
      }
      case 'note': return noteItem(node);
    }
  }

  dispose(): void {
    this.sub.dispose();
    this.changed.dispose();
  }
}

function environmentItem(r: DriftResult): vscode.TreeItem {
  const item = new vscode.TreeItem(r.env, vscode.TreeItemCollapsibleState.None);
  const c = r.report.counts;
  if (r.error || !r.state) {
    item.description = 'state not available';
    item.tooltip = new vscode.MarkdownString().appendText(r.error ?? 'The published state could not be read.');
    item.iconPath = new vscode.ThemeIcon('cloud', new vscode.ThemeColor('list.errorForeground'));
    item.contextValue = 'parity-environment-error';
    return item;
  }
  const s = r.state;
  const problems = c.drift + c.missing;
  item.description = `${s.state.doc.commit.slice(0, 7)} · ${describeFreshness(s)} · ${problems ? `${problems} to look at` : 'in sync'}`;
  const md = new vscode.MarkdownString();
  md.appendMarkdown(`**${r.env}** runs commit \`${s.state.doc.commit}\`\n\n`);
  md.appendText(`Published state: ${s.state.from}, ${describeFreshness(s)}.`);
  if (s.offline) md.appendText(`\nThe source did not answer (${s.reason ?? ''}); this is the copy kept for offline use.`);
  md.appendMarkdown(`\n\n${c.drift} drift · ${c.missing} missing · ${c.unknown} unknown · ${c['in-sync']} in sync`);
  item.tooltip = md;
  item.iconPath = new vscode.ThemeIcon(s.offline ? 'cloud-download' : 'cloud', new vscode.ThemeColor(s.offline ? 'list.warningForeground' : problems ? SEVERITY_COLOR[r.report.severity]! : 'testing.iconPassed'));
  item.contextValue = 'parity-environment';
  return item;
}

function subjectItem(subject: string, rows: Row[]): vscode.TreeItem {
  const [what, name] = subject.includes(' ') ? subject.split(' ') as [string, string] : ['flags', 'feature flags'];
  const bad = rows.filter((r) => r.state === 'drift' || r.state === 'missing');
  const compared = !rows.every((r) => r.state === 'unknown');
  // Nothing to read in rows no side could be compared on: folded, so the view stays short.
  const item = new vscode.TreeItem(name, compared ? vscode.TreeItemCollapsibleState.Expanded : vscode.TreeItemCollapsibleState.Collapsed);
  const worst = rows.reduce<Severity>((w, r) => (rank(r.severity) > rank(w) ? r.severity : w), 'none');
  const type = rows.find((r) => r.kind === 'type')?.reference;
  // "in sync" only when something was compared: rows no side could be read for say so instead.
  const verdict = bad.length ? `${bad.length} differ${bad.length === 1 ? 's' : ''}`
    : compared ? 'in sync' : 'not compared';
  item.description = `${type ? `${type} · ` : ''}${verdict}`;
  item.iconPath = new vscode.ThemeIcon(what === 'service' ? 'database' : what === 'app' ? 'package' : 'settings', bad.length ? new vscode.ThemeColor(SEVERITY_COLOR[worst]!) : undefined);
  item.contextValue = 'parity-subject';
  return item;
}

function rowItem(row: Row, r: DriftResult): vscode.TreeItem {
  const labels = new Map(r.report.sides.map((s) => [s.id, s]));
  const ref = r.report.sides[0]!;
  const item = new vscode.TreeItem(row.attribute, vscode.TreeItemCollapsibleState.None);
  const shown = row.cells.filter((c) => !labels.get(c.side)?.unavailable);
  const val = (v: string | undefined) => (v === undefined ? '—' : row.kind === 'digest' ? v.replace(/^sha256:/, '').slice(0, 12) : v);
  item.description = [`${ref.label} ${val(row.reference)}`, ...shown.map((c) => `${labels.get(c.side)?.label ?? c.side} ${val(c.value)} ${MARK[c.state]}`)].join('  │  ');
  const md = new vscode.MarkdownString();
  md.appendMarkdown(`**${row.subject} · ${row.attribute}**\n\n| source | value | |\n|---|---|---|\n`);
  md.appendMarkdown(`| ${esc(ref.label)} (reference) | \`${esc(row.reference ?? '—')}\` | |\n`);
  for (const c of row.cells) {
    md.appendMarkdown(`| ${esc(labels.get(c.side)?.label ?? c.side)} | \`${esc(c.value ?? '—')}\` | ${c.state}${c.reason ? `: ${esc(c.reason)}` : ''}${c.detail ? ` (${esc(c.detail)})` : ''} |\n`);
  }
  item.tooltip = md;
  const icon = row.state === 'in-sync' ? 'pass-filled' : STATE_ICON[row.state];
  const color = row.state === 'in-sync' ? 'testing.iconPassed' : row.state === 'unknown' ? 'descriptionForeground' : SEVERITY_COLOR[row.severity] ?? 'descriptionForeground';
  item.iconPath = new vscode.ThemeIcon(icon, new vscode.ThemeColor(color));
  // What can be done about it, for the menus' when clauses.
  const fixes: string[] = [];
  const manifestCell = row.cells.find((c) => c.side === 'manifest');
  if (declaredAt(row) && row.reference !== undefined && manifestCell?.state === 'drift') fixes.push('useVersion');
  if (declaredAt(row) && row.cells.some((c) => c.side === 'local' && c.state === 'drift')) fixes.push('recreate');
  if (row.cells.some((c) => c.at && c.state !== 'in-sync' && c.side !== 'manifest')) fixes.push('openSource');
  item.contextValue = `parity-row${fixes.map((f) => `:${f}`).join('')}`;
  item.accessibilityInformation = { label: `${row.subject} ${row.attribute}: ${row.state}${row.severity !== 'none' ? `, ${row.severity}` : ''}. ${item.description}` };
  return item;
}

const rank = (s: Severity): number => ({ none: 0, info: 1, warning: 2, error: 3 })[s];
const esc = (s: string): string => s.replace(/[|\\`*_[\]<>]/g, (c) => `\\${c}`);

function sideIcon(s: Side): string {
  switch (s.kind) {
    case 'manifest': return 'file-code';
    case 'release': return 'git-commit';
    case 'environment': return 'cloud';
    case 'local': return 'vm';
    case 'compose': return 'layers';
    case 'toolchain': return s.id === 'pins' ? 'versions' : 'tools';
  }
}
