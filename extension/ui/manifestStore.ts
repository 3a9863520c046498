// Reads each workspace folder's manifest once and again when its files change (debounced),
// so the tree, the Problems panel and the commands all see the same state.
import * as vscode from 'vscode';
import { readProject, type ProjectManifest } from '../core/manifest/project';
import type { Logger } from './logger';

const WATCHED = '{repro.yaml,.upsun/*.yaml,.platform.app.yaml,.platform/*.yaml,.devcontainer/devcontainer.json,.devcontainer/*.yml,.devcontainer/*.yaml,compose.yaml,compose.yml,docker-compose.yml,docker-compose.yaml,compose.override.yml,docker-compose.override.yml}';

export class ManifestStore implements vscode.Disposable {
  private readonly byFolder = new Map<string, { folder: vscode.WorkspaceFolder; project: ProjectManifest }>();
  private readonly changed = new vscode.EventEmitter<void>();
  readonly onDidChange = this.changed.event;
  private readonly disposables: vscode.Disposable[] = [this.changed];
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly log: Logger) {
    const watcher = vscode.workspace.createFileSystemWatcher(`**/${WATCHED}`);
    const schedule = () => this.scheduleRefresh();
    this.disposables.push(watcher, watcher.onDidChange(schedule), watcher.onDidCreate(schedule), watcher.onDidDelete(schedule),
      vscode.workspace.onDidChangeWorkspaceFolders(schedule));
  }

  /** Every folder with what it declares; read lazily on first use. */
  projects(): [vscode.WorkspaceFolder, ProjectManifest][] {
    if (!this.byFolder.size) this.refresh();
    return [...this.byFolder.values()].map((e) => [e.folder, e.project]);
  }

  /** The first folder that has a manifest or something importable. */
  primary(): { folder: vscode.WorkspaceFolder; project: ProjectManifest } | undefined {
    const found = this.projects().find(([, p]) => p.origin !== 'none');
    return found ? { folder: found[0], project: found[1] } : undefined;
  }

  refresh(): void {
    this.byFolder.clear();
    for (const folder of vscode.workspace.workspaceFolders ?? []) {
      if (folder.uri.scheme !== 'file') continue;
      const started = Date.now();
      const project = readProject(folder.uri.fsPath);
      this.byFolder.set(folder.uri.toString(), { folder, project });
      const errors = project.diagnostics.filter((d) => d.severity === 'error').length;
      this.log.info(`[manifest] ${folder.name}: ${project.origin}, ${errors} error(s), ${project.diagnostics.length - errors} warning(s) in ${Date.now() - started} ms`);
    }
    const any = [...this.byFolder.values()].some((e) => e.project.origin !== 'none');
    const valid = [...this.byFolder.values()].some((e) => e.project.manifest);
    void vscode.commands.executeCommand('setContext', 'repro.hasManifest', any);
    void vscode.commands.executeCommand('setContext', 'repro.manifestValid', valid);
    void vscode.commands.executeCommand('setContext', 'repro.hasReproYaml', [...this.byFolder.values()].some((e) => e.project.origin === 'repro.yaml'));
    this.changed.fire();
  }

  private scheduleRefresh(): void {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.refresh(), 150);
  }

  dispose(): void {
    clearTimeout(this.timer);
    for (const d of this.disposables) d.dispose();
  }
}
