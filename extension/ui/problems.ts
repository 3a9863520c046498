// Manifest diagnostics in the Problems panel and as squiggles in the editor.
import * as vscode from 'vscode';
import type { Diagnostic } from '../core/manifest/diagnostics';
import type { ManifestStore } from './manifestStore';

export function publishProblems(store: ManifestStore): vscode.Disposable {
  const collection = vscode.languages.createDiagnosticCollection('repro');
  const update = () => {
    collection.clear();
    const byFile = new Map<string, vscode.Diagnostic[]>();
    for (const [, project] of store.projects()) {
      for (const d of project.diagnostics) {
        const list = byFile.get(d.file) ?? [];
        list.push(toVscode(d));
        byFile.set(d.file, list);
      }
    }
    for (const [file, list] of byFile) collection.set(vscode.Uri.file(file), list);
  };
  const sub = store.onDidChange(update);
  update();
  return vscode.Disposable.from(sub, collection);
}

function toVscode(d: Diagnostic): vscode.Diagnostic {
  const line = Math.max(0, d.line - 1);
  const col = Math.max(0, d.column - 1);
  const range = new vscode.Range(line, col, line, col + Math.max(1, (d.path.split('.').pop() ?? '').length));
  const out = new vscode.Diagnostic(range, d.hint ? `${d.message}\n${d.hint}` : d.message,
    d.severity === 'error' ? vscode.DiagnosticSeverity.Error : vscode.DiagnosticSeverity.Warning);
  out.source = 'repro';
  out.code = d.code;
  return out;
}
