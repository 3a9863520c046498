// The Data Coverage view's actions: scan again, add the suggested (or a chosen) scrub rule for
// a column, acknowledge a column as safe to keep. Edits go through a WorkspaceEdit of
// repro.yaml, so they show in the editor, can be undone, and are saved like any other change.
import * as vscode from 'vscode';
import { cacheDir, clearCache, counted, formatBytes, listCache } from '../core/data/cache';
import { acknowledgeColumn, addColumnRule } from '../core/data/coverageFix';
import { listEngineCopies, removeEngineCopies } from '../core/data/engineCopy';
import { reproHome } from '../core/session/storage';
import { COVERAGE_COMMANDS, type CoverageCommandKey } from './commandIds';
import type { EngineProvider } from './engine';
import type { CoverageNode, CoverageTreeProvider } from './coverageTree';
import { setSourceSecret } from './dataSecrets';
import type { Logger } from './logger';
import { editReproYaml } from './manifestEdit';
import type { ManifestStore } from './manifestStore';

const STRATEGIES = [
  ['mask', 'same shape: letters stay letters of the same script and case, digits digits; length, spaces, punctuation, emoji kept'],
  ['fake:email', 'a made-up address at an example domain'], ['fake:name', 'a made-up full name'], ['fake:phone', 'the same format, other digits'],
  ['fake:address', 'a made-up street address'], ['fake:ip', 'an address from the documentation ranges'], ['hash', 'keyed and deterministic, same type'],
  ['redact', 'a fixed placeholder'], ['null', 'NULL'], ['keep', 'unchanged (say why in a comment)'],
] as const;

export interface CoverageDeps { store: ManifestStore; coverage: CoverageTreeProvider; log: Logger; secrets: vscode.SecretStorage; engine: EngineProvider }

export function registerCoverageCommands(deps: CoverageDeps): vscode.Disposable {
  const handlers: Record<CoverageCommandKey, (...args: unknown[]) => unknown> = {
    scanCoverage: () => deps.coverage.refresh(),
    addScrubRule: (node) => addRule(deps, node, false),
    addScrubRuleAs: (node) => addRule(deps, node, true),
    acknowledgeColumn: (node) => acknowledge(deps, node),
    setDataSourceSecret: () => setSourceSecret(deps.secrets, deps.store.primary()?.project.manifest),
    clearDataCache: () => clearDataCache(deps),
  };
  return vscode.Disposable.from(...(Object.keys(handlers) as CoverageCommandKey[]).map((k) => vscode.commands.registerCommand(COVERAGE_COMMANDS[k], handlers[k])));
}

function asFinding(v: unknown): Extract<CoverageNode, { kind: 'finding' }> | undefined {
  return typeof v === 'object' && v !== null && (v as CoverageNode).kind === 'finding' ? v as Extract<CoverageNode, { kind: 'finding' }> : undefined;
}

async function addRule(deps: CoverageDeps, arg: unknown, choose: boolean): Promise<void> {
  const node = asFinding(arg);
  if (!node) { void vscode.window.showInformationMessage('Repro: pick a column in the Data Coverage view.'); return; }
  const f = node.finding;
  let strategy: string = f.suggestion;
  if (choose) {
    const pick = await vscode.window.showQuickPick(STRATEGIES.map(([label, detail]) => ({ label, detail, picked: label === f.suggestion })), {
      title: `Scrub ${f.table}.${f.column} with`, placeHolder: `suggested: ${f.suggestion}`,
    });
    if (!pick) return;
    strategy = pick.label;
  }
  await editManifest(deps, (text) => addColumnRule(text, node.service, f.table, f.column, strategy), `${f.table}.${f.column}: ${strategy}`);
}

async function acknowledge(deps: CoverageDeps, arg: unknown): Promise<void> {
  const node = asFinding(arg);
  if (!node) { void vscode.window.showInformationMessage('Repro: pick a column in the Data Coverage view.'); return; }
  const f = node.finding;
  const sure = await vscode.window.showWarningMessage(`Keep ${f.table}.${f.column} as it is in every clone?`, {
    modal: true, detail: `Repro flagged it (${f.reason}). Acknowledge it only if it holds no personal data.`,
  }, 'Acknowledge');
  if (sure !== 'Acknowledge') return;
  await editManifest(deps, (text) => acknowledgeColumn(text, node.service, f.table, f.column), `acknowledged ${f.table}.${f.column}`);
}

async function editManifest(deps: CoverageDeps, change: (text: string) => string, what: string): Promise<void> {
  if (await editReproYaml(deps.store, deps.log, 'coverage', change, what)) deps.coverage.refresh();
}

/**
 * Removes the scrubbed snapshots kept for the next clone (REPRO_HOME/data) and the engine's
 * copies of their data folders, after saying what that is. The engine is optional: without it
 * the files go and the copies follow at the next clone that keeps a snapshot.
 */
async function clearDataCache(deps: CoverageDeps): Promise<void> {
  const home = reproHome();
  const entries = listCache(home);
  let docker;
  try { docker = (await deps.engine.get()).docker; } catch { docker = undefined; }
  const copies = docker ? await listEngineCopies(docker, home).catch(() => []) : [];
  if (!entries.length && !copies.length) {
    void vscode.window.showInformationMessage('Repro: the data cache is empty.');
    return;
  }
  const bytes = entries.reduce((a, e) => a + e.bytes, 0);
  const what = [
    entries.length ? `${counted(entries.length, 'scrubbed snapshot')} (${formatBytes(bytes)}) in ${cacheDir(home)}` : '',
    copies.length ? `${counted(copies.length, 'engine copy', 'engine copies')} of a data folder` : '',
  ].filter(Boolean).join(' and ');
  const sure = await vscode.window.showWarningMessage('Clear Repro\'s data cache?', {
    modal: true, detail: `This removes ${what}. The next reproduction of that data clones it from its source again, which takes longer.`,
  }, 'Clear');
  if (sure !== 'Clear') return;
  const files = clearCache(home);
  const removed = docker ? await removeEngineCopies(docker, home).catch((e: Error) => { deps.log.warn(`[data] engine copies not removed: ${e.message}`); return 0; }) : 0;
  deps.log.info(`[data] cache cleared: ${files.entries} snapshots (${formatBytes(files.bytes)}), ${removed} engine copies`);
  void vscode.window.showInformationMessage(`Repro: removed ${counted(files.entries, 'snapshot')} (${formatBytes(files.bytes)})${removed ? ` and ${counted(removed, 'engine copy', 'engine copies')}` : ''}.`);
}
