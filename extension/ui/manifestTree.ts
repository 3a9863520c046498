// The Manifest view: the project's apps, services and environments as the manifest declares
// them, or the manifest's errors as message nodes that open the file at the error.
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { Diagnostic } from '../core/manifest/diagnostics';
import type { ProjectManifest } from '../core/manifest/project';
import { COMMANDS } from './commandIds';
import type { ManifestStore } from './manifestStore';

type Node =
  | { kind: 'folder'; folder: vscode.WorkspaceFolder; project: ProjectManifest }
  | { kind: 'group'; label: 'Apps' | 'Services' | 'Environments'; folder: vscode.WorkspaceFolder; project: ProjectManifest }
  | { kind: 'app' | 'service' | 'environment'; name: string; folder: vscode.WorkspaceFolder; project: ProjectManifest }
  | { kind: 'diagnostic'; diagnostic: Diagnostic }
  | { kind: 'source'; project: ProjectManifest };

const SERVICE_ICONS: Record<string, string> = {
  postgresql: 'database', mysql: 'database', mariadb: 'database', mongodb: 'database',
  redis: 'layers', valkey: 'layers', memcached: 'layers',
  rabbitmq: 'mail', kafka: 'mail', elasticsearch: 'search', opensearch: 'search', solr: 'search',
};

export class ManifestTreeProvider implements vscode.TreeDataProvider<Node>, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<Node | undefined>();
  readonly onDidChangeTreeData = this.changed.event;
  private readonly subscription: vscode.Disposable;

  constructor(private readonly store: ManifestStore) {
    this.subscription = store.onDidChange(() => this.changed.fire(undefined));
  }

  dispose(): void {
    this.subscription.dispose();
    this.changed.dispose();
  }

  getChildren(node?: Node): Node[] {
    if (!node) {
      const entries = this.store.projects().filter(([, p]) => p.origin !== 'none');
      if (entries.length === 1) return this.projectChildren(entries[0]![0], entries[0]![1]);
      return entries.map(([folder, project]) => ({ kind: 'folder', folder, project }));
    }
    switch (node.kind) {
      case 'folder': return this.projectChildren(node.folder, node.project);
      case 'group': {
        const m = node.project.manifest!;
        const names = Object.keys(node.label === 'Apps' ? m.apps ?? {} : node.label === 'Services' ? m.services ?? {} : m.environments ?? {});
        const kind = node.label === 'Apps' ? 'app' : node.label === 'Services' ? 'service' : 'environment';
        return names.map((name) => ({ kind, name, folder: node.folder, project: node.project }));
      }
      default: return [];
    }
  }

  private projectChildren(folder: vscode.WorkspaceFolder, project: ProjectManifest): Node[] {
    const out: Node[] = [];
    if (project.origin !== 'repro.yaml') out.push({ kind: 'source', project });
    const errors = project.diagnostics.filter((d) => d.severity === 'error');
    if (errors.length || !project.manifest) return [...out, ...errors.map((diagnostic) => ({ kind: 'diagnostic' as const, diagnostic }))];
    const m = project.manifest;
    if (Object.keys(m.apps ?? {}).length) out.push({ kind: 'group', label: 'Apps', folder, project });
    if (Object.keys(m.services ?? {}).length) out.push({ kind: 'group', label: 'Services', folder, project });
    if (Object.keys(m.environments ?? {}).length) out.push({ kind: 'group', label: 'Environments', folder, project });
    return out;
  }

  getTreeItem(node: Node): vscode.TreeItem {
    switch (node.kind) {
      case 'folder': {
        const item = new vscode.TreeItem(node.project.manifest?.project.name ?? node.folder.name, vscode.TreeItemCollapsibleState.Expanded);
        item.description = node.folder.name;
        item.iconPath = new vscode.ThemeIcon('root-folder');
        item.contextValue = 'repro.folder';
        return item;
      }
      case 'group': {
        const item = new vscode.TreeItem(node.label, vscode.TreeItemCollapsibleState.Expanded);
        item.id = `${node.folder.uri.toString()}#${node.label}`;
        item.contextValue = `repro.group.${node.label.toLowerCase()}`;
        return item;
      }
      case 'app': {
        const a = node.project.manifest!.apps![node.name]!;
        const item = new vscode.TreeItem(node.name, vscode.TreeItemCollapsibleState.None);
        item.id = `${node.folder.uri.toString()}#app:${node.name}`;
        item.description = a.runtime;
        item.iconPath = new vscode.ThemeIcon('code');
        item.contextValue = 'repro.app';
        item.tooltip = markdown([
          `**${node.name}** · app`, `runtime \`${a.runtime}\`${a.image ? ` (image \`${a.image}\`)` : ''}`,
          `run \`${a.run}\``, a.port ? `port ${a.port}` : '', a.debug ? `debugger on port ${a.debug.port}` : '',
          relationshipsLine(a.relationships),
        ]);
        return item;
      }
      case 'service': {
        const s = node.project.manifest!.services![node.name]!;
        const type = s.type.split(':')[0]!;
        const item = new vscode.TreeItem(node.name, vscode.TreeItemCollapsibleState.None);
        item.id = `${node.folder.uri.toString()}#service:${node.name}`;
        item.description = s.type;
        item.iconPath = new vscode.ThemeIcon(SERVICE_ICONS[type] ?? 'server');
        item.contextValue = 'repro.service';
        item.tooltip = markdown([
          `**${node.name}** · service`, `type \`${s.type}\``, s.image ? `image \`${s.image}\`` : '',
          s.data ? `data from ${Object.keys(s.data.source)[0]}` : '', relationshipsLine(s.relationships),
        ]);
        return item;
      }
      case 'environment': {
        const e = node.project.manifest!.environments![node.name]!;
        const item = new vscode.TreeItem(node.name, vscode.TreeItemCollapsibleState.None);
        item.description = e.state ? `state: ${Object.values(e.state)[0]}` : 'no published state';
        item.iconPath = new vscode.ThemeIcon('cloud');
        item.contextValue = 'repro.environment';
        return item;
      }
      case 'diagnostic': {
        const d = node.diagnostic;
        const item = new vscode.TreeItem(d.message, vscode.TreeItemCollapsibleState.None);
        item.description = `${path.basename(d.file)}${d.line ? `:${d.line}:${d.column}` : ''}`;
        item.iconPath = new vscode.ThemeIcon(d.severity === 'error' ? 'error' : 'warning', new vscode.ThemeColor(d.severity === 'error' ? 'problemsErrorIcon.foreground' : 'problemsWarningIcon.foreground'));
        item.tooltip = markdown([`**${d.code}** ${d.path ? `at \`${d.path}\`` : ''}`, d.message, d.hint ? `*Fix:* ${d.hint}` : '']);
        item.contextValue = 'repro.diagnostic';
        item.command = { command: COMMANDS.openManifestAt, title: 'Open at error', arguments: [d.file, d.line, d.column] };
        item.accessibilityInformation = { label: `${d.severity}: ${d.message} at ${path.basename(d.file)} line ${d.line}` };
        return item;
      }
      case 'source': {
        const p = node.project;
        const item = new vscode.TreeItem(`Read from ${p.origin} (no repro.yaml yet)`, vscode.TreeItemCollapsibleState.None);
        item.description = p.files.map((f) => path.basename(f)).join(', ');
        item.iconPath = new vscode.ThemeIcon('info');
        item.tooltip = 'Repro read this project\'s existing configuration. Run "Repro: Import repro.yaml" to write a manifest you can edit and commit.';
        item.command = { command: COMMANDS.importManifest, title: 'Import repro.yaml' };
        item.contextValue = 'repro.importSource';
        return item;
      }
    }
  }
}

function relationshipsLine(r: Record<string, string> | undefined): string {
  const entries = Object.entries(r ?? {});
  return entries.length ? `relationships: ${entries.map(([k, v]) => `${k} → ${v}`).join(', ')}` : '';
}

function markdown(lines: string[]): vscode.MarkdownString {
  return new vscode.MarkdownString(lines.filter(Boolean).join('\n\n'));
}
