// The Data Coverage view: the coverage gate of each PostgreSQL service's dump, before any
// clone. Columns that look personal and have no rule are listed with the rule Repro suggests;
// "Add Rule" and "Acknowledge" write repro.yaml (the tree is scanned again when it changes).
// The scan reads the dump on this machine and runs only while the view is visible.
import * as vscode from 'vscode';
import { scanWorkspaceCoverage, type ServiceCoverage } from '../core/data/coverageScan';
import type { CoverageFinding } from '../core/data/types';
import type { Logger } from './logger';
import { noteItem } from './treeNote';
import type { ManifestStore } from './manifestStore';

export type CoverageNode =
  | { kind: 'service'; coverage: ServiceCoverage }
  | { kind: 'finding'; service: string; finding: CoverageFinding }
  | { kind: 'note'; service?: string; text: string; tooltip?: string; icon: string; color?: string };

export class CoverageTreeProvider implements vscode.TreeDataProvider<CoverageNode>, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<CoverageNode | undefined>();
  readonly onDidChangeTreeData = this.changed.event;
  private scan: Promise<ServiceCoverage[]> | undefined;
  private readonly sub: vscode.Disposable;

  constructor(private readonly store: ManifestStore, private readonly log: Logger) {
    this.sub = store.onDidChange(() => this.refresh());
  }

  refresh(): void {
    this.scan = undefined;
    this.changed.fire(undefined);
  }

  /** The last scan's results (scanning first if there is none). */
  results(): Promise<ServiceCoverage[]> {
    if (!this.scan) {
      const primary = this.store.primary();
      const m = primary?.project.manifest;
      const started = Date.now();
      this.scan = m ? scanWorkspaceCoverage(primary!.folder.uri.fsPath, m) : Promise.resolve([]);
      void this.scan.then((r) => {
        const n = r.reduce((a, c) => a + (c.status === 'scanned' ? c.report.uncovered.length : 0), 0);
        this.log.info(`[coverage] ${r.length} service(s) in ${Date.now() - started} ms, ${n} uncovered column(s)`);
      });
    }
    return this.scan;
  }

  async getChildren(node?: CoverageNode): Promise<CoverageNode[]> {
    if (!node) {
      const r = await this.results();
      if (r.length) return r.map((coverage) => ({ kind: 'service', coverage }));
      // Without a manifest the welcome view explains what the view is for.
      return this.store.primary()?.project.manifest ? [{ kind: 'note', text: 'No PostgreSQL service has a data source in repro.yaml.', icon: 'info' }] : [];
    }
    if (node.kind !== 'service') return [];
    const c = node.coverage;
    if (c.status === 'skipped') return [{ kind: 'note', service: c.service, text: c.reason, icon: 'info' }];
    if (c.status === 'error') return [{ kind: 'note', service: c.service, text: c.error, tooltip: c.error, icon: 'error', color: 'list.errorForeground' }];
    const r = c.report;
    const columns = r.tables.reduce((n, t) => n + t.columns.length, 0);
    const out: CoverageNode[] = r.uncovered.map((finding) => ({ kind: 'finding', service: c.service, finding }));
    for (const u of r.unknownRules) out.push({ kind: 'note', service: c.service, text: `Rule matches nothing: ${u}`, tooltip: 'A typo in a rule leaves the real column unscrubbed.', icon: 'warning', color: 'list.warningForeground' });
    for (const u of r.unfitRules) out.push({ kind: 'note', service: c.service, text: `Rule cannot apply: ${u}`, tooltip: 'The clone stops on this rule: change its strategy to one the column\'s type can take.', icon: 'error', color: 'list.errorForeground' });
    if (!r.uncovered.length && !r.unfitRules.length) out.unshift({ kind: 'note', service: c.service, text: `Every personal-looking column is covered (${r.tables.length} tables, ${columns} columns)`, icon: 'pass-filled', color: 'testing.iconPassed' });
    return out;
  }

  getTreeItem(node: CoverageNode): vscode.TreeItem {
    if (node.kind === 'service') {
      const c = node.coverage;
      const item = new vscode.TreeItem(c.service, vscode.TreeItemCollapsibleState.Expanded);
      const n = c.status === 'scanned' ? c.report.uncovered.length : 0;
      item.description = `${c.source}${c.status === 'scanned' ? ` · ${n ? `${n} uncovered` : 'covered'}` : ''}`;
      item.iconPath = new vscode.ThemeIcon('database', n ? new vscode.ThemeColor('list.warningForeground') : undefined);
      item.contextValue = 'coverage-service';
      return item;
    }
    if (node.kind === 'finding') {
      const f = node.finding;
      const item = new vscode.TreeItem(`${f.table.replace(/^public\./, '')}.${f.column}`, vscode.TreeItemCollapsibleState.None);
      item.description = `${f.reason} → ${f.suggestion}`;
      item.tooltip = new vscode.MarkdownString(`**${f.table}.${f.column}** (\`${f.type}\`)\n\n${f.reason}.\n\nSuggested rule: \`${f.suggestion}\`. The clone stops until this column has a rule or is acknowledged as safe to keep.`);
      item.iconPath = new vscode.ThemeIcon('shield', new vscode.ThemeColor('list.warningForeground'));
      item.contextValue = 'coverage-finding';
      return item;
    }
    return noteItem(node);
  }

  dispose(): void {
    this.sub.dispose();
    this.changed.dispose();
  }
}
