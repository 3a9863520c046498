// One small handler per command. The record is typed by CommandKey, so TypeScript refuses a
// declared command without a handler.
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { hasErrors } from '../core/manifest/diagnostics';
import { importProject } from '../core/manifest/importers/detect';
import { manifestToYaml } from '../core/manifest/importers/write';
import { MANIFEST_FILE } from '../core/manifest/loader';
import { starterManifest } from '../core/manifest/template';
import { planSession, projectSessionName } from '../core/stack/plan';
import { MANIFEST_COMMANDS, type ManifestCommandKey } from './commandIds';
import type { Logger } from './logger';
import type { ManifestStore } from './manifestStore';

export interface CommandDeps {
  store: ManifestStore;
  log: Logger;
}

type Handler = (...args: unknown[]) => unknown;

export function registerCommands(deps: CommandDeps): vscode.Disposable {
  const handlers: Record<ManifestCommandKey, Handler> = {
    refresh: () => deps.store.refresh(),
    openManifest: () => openManifest(deps),
    openManifestAt: (file, line, column) => openAt(file, line, column),
    importManifest: () => importManifest(deps),
    createManifest: () => createManifest(deps),
    showPlan: () => showPlan(deps),
    showOutput: () => deps.log.show(true),
  };
  return vscode.Disposable.from(...(Object.keys(handlers) as ManifestCommandKey[]).map((k) => vscode.commands.registerCommand(MANIFEST_COMMANDS[k], handlers[k])));
}

function targetFolder(deps: CommandDeps): vscode.WorkspaceFolder | undefined {
  return deps.store.primary()?.folder ?? vscode.workspace.workspaceFolders?.find((f) => f.uri.scheme === 'file');
}

async function openManifest(deps: CommandDeps): Promise<void> {
  const folder = targetFolder(deps);
  if (!folder) { void vscode.window.showWarningMessage('Repro: open a folder first.'); return; }
  const file = path.join(folder.uri.fsPath, MANIFEST_FILE);
  if (!fs.existsSync(file)) {
    const pick = await vscode.window.showInformationMessage(`There is no ${MANIFEST_FILE} in ${folder.name}.`, 'Import', 'Create');
    if (pick === 'Import') await importManifest(deps);
    if (pick === 'Create') await createManifest(deps);
    return;
  }
  await vscode.window.showTextDocument(vscode.Uri.file(file));
}

// Arguments come from tree nodes, but a command can be invoked by anyone: check them.
async function openAt(file: unknown, line: unknown, column: unknown): Promise<void> {
  if (typeof file !== 'string' || !path.isAbsolute(file)) return;
  const l = typeof line === 'number' && line > 0 ? line - 1 : 0;
  const c = typeof column === 'number' && column > 0 ? column - 1 : 0;
  const pos = new vscode.Position(l, c);
  await vscode.window.showTextDocument(vscode.Uri.file(file), { selection: new vscode.Range(pos, pos) });
}

async function importManifest(deps: CommandDeps): Promise<void> {
  const folder = targetFolder(deps);
  if (!folder) { void vscode.window.showWarningMessage('Repro: open a folder first.'); return; }
  const dir = folder.uri.fsPath;
  const result = importProject(dir);
  if (!result) {
    const pick = await vscode.window.showWarningMessage(
      `Nothing to import in ${folder.name}: no .upsun/config.yaml, Platform.sh files, devcontainer.json or compose file.`, 'Create repro.yaml');
    if (pick) await createManifest(deps);
    return;
  }
  if (!result.manifest || hasErrors(result.diagnostics)) {
    deps.log.error(`[import] ${result.format}: ${result.diagnostics.map((d) => d.message).join('; ')}`);
    void vscode.window.showErrorMessage(`Repro could not import ${result.format} files: ${result.diagnostics.find((d) => d.severity === 'error')?.message ?? 'no apps or services found'}.`, 'Show Log')
      .then((p) => p && deps.log.show(true));
    return;
  }
  const target = path.join(dir, MANIFEST_FILE);
  if (fs.existsSync(target)) {
    const ok = await vscode.window.showWarningMessage(`${MANIFEST_FILE} already exists in ${folder.name}. Replace it with the import from ${result.format}?`, { modal: true }, 'Replace');
    if (ok !== 'Replace') return;
  }
  const header = [`Imported from ${result.files.map((f) => path.relative(dir, f)).join(', ')}.`,
    ...result.diagnostics.map((d) => `${d.severity} ${d.code}: ${d.message}`)];
  fs.writeFileSync(target, manifestToYaml(result.manifest, header));
  deps.log.info(`[import] wrote ${target} from ${result.format} with ${result.diagnostics.length} warning(s)`);
  deps.store.refresh();
  await vscode.window.showTextDocument(vscode.Uri.file(target));
  if (result.diagnostics.length) {
    void vscode.window.showInformationMessage(`Imported from ${result.format}: ${result.diagnostics.length} setting(s) could not be carried over; they are listed at the top of ${MANIFEST_FILE}.`);
  }
}

async function createManifest(deps: CommandDeps): Promise<void> {
  const folder = targetFolder(deps);
  if (!folder) { void vscode.window.showWarningMessage('Repro: open a folder first.'); return; }
  const target = path.join(folder.uri.fsPath, MANIFEST_FILE);
  if (fs.existsSync(target)) {
    await vscode.window.showTextDocument(vscode.Uri.file(target));
    return;
  }
  fs.writeFileSync(target, starterManifest(folder.name));
  deps.store.refresh();
  await vscode.window.showTextDocument(vscode.Uri.file(target));
}

async function showPlan(deps: CommandDeps): Promise<void> {
  const primary = deps.store.primary();
  if (!primary?.project.manifest) {
    void vscode.window.showWarningMessage('Repro: fix the manifest first; its errors are listed in the Repro view and the Problems panel.');
    return;
  }
  const m = primary.project.manifest;
  const plan = planSession(m, { session: projectSessionName(m.project.name), sourceDir: primary.folder.uri.fsPath });
  const doc = await vscode.workspace.openTextDocument({ language: 'json', content: JSON.stringify(plan, null, 2) });
  await vscode.window.showTextDocument(doc, { preview: true });
}
