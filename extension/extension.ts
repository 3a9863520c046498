// The composition root: builds every service once, wires them through constructors and pushes
// every registration to the extension's disposables. Nothing heavy runs here: the manifest is
// read when a view first asks for it.
import * as vscode from 'vscode';
import { registerCommands } from './ui/commands';
import { createLogger } from './ui/logger';
import { ManifestStore } from './ui/manifestStore';
import { ManifestTreeProvider } from './ui/manifestTree';
import { publishProblems } from './ui/problems';

export interface ReproApi {
  /** Time activate() took, in milliseconds (read by the benchmark). */
  activationMs: number;
  store: ManifestStore;
}

export function activate(context: vscode.ExtensionContext): ReproApi {
  const started = performance.now();
  const log = createLogger();
  const store = new ManifestStore(log);
  const tree = new ManifestTreeProvider(store);
  context.subscriptions.push(
    log,
    store,
    tree,
    vscode.window.createTreeView('repro.manifest', { treeDataProvider: tree, showCollapseAll: true }),
    registerCommands({ store, log }),
  );
  // The Problems panel needs the manifest read; defer it so activation stays cheap.
  const timer = setTimeout(() => context.subscriptions.push(publishProblems(store)), 0);
  context.subscriptions.push({ dispose: () => clearTimeout(timer) });
  const activationMs = performance.now() - started;
  log.info(`[activate] ${activationMs.toFixed(1)} ms`);
  return { activationMs, store };
}

export function deactivate(): void {
  // Everything is disposed through context.subscriptions.
}
