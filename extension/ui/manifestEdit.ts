// An edit of the workspace's repro.yaml through a WorkspaceEdit: it shows in the editor, can be
// undone and is saved like any other change. Shared by the views' quick fixes.
import * as path from 'node:path';
import * as vscode from 'vscode';
import { MANIFEST_FILE } from '../core/manifest/loader';
import type { Logger } from './logger';
import type { ManifestStore } from './manifestStore';

/** Applies `change` to repro.yaml's text and saves; false (and the user told why) when it could not. */
export async function editReproYaml(store: ManifestStore, log: Logger, tag: string, change: (text: string) => string, what: string): Promise<boolean> {
  const primary = store.primary();
  if (!primary || primary.project.origin !== 'repro.yaml') {
    void vscode.window.showWarningMessage('Repro: this change is written to repro.yaml; import or create one first.');
    return false;
  }
  const uri = vscode.Uri.file(path.join(primary.folder.uri.fsPath, MANIFEST_FILE));
  const doc = await vscode.workspace.openTextDocument(uri);
  let next: string;
  try {
    next = change(doc.getText());
  } catch (e) {
    void vscode.window.showErrorMessage(`Repro could not edit repro.yaml: ${(e as Error).message}`);
    return false;
  }
  const edit = new vscode.WorkspaceEdit();
  edit.replace(uri, new vscode.Range(doc.positionAt(0), doc.positionAt(doc.getText().length)), next);
  if (!(await vscode.workspace.applyEdit(edit)) || !(await doc.save())) {
    void vscode.window.showErrorMessage('Repro could not save repro.yaml.');
    return false;
  }
  log.info(`[${tag}] repro.yaml: ${what}`);
  vscode.window.setStatusBarMessage(`Repro: ${what}`, 4000);
  return true;
}
