// The Parity view's actions: refresh, compare against another environment, and the fixes:
// write the environment's version into repro.yaml, recreate the local session at the
// environment's versions, open the line (compose file, version file) that pins a value.
import * as fs from 'node:fs';
import * as vscode from 'vscode';
import { alignVersions, declaredAt, setDeclaredVersion } from '../core/drift/fixes';
import { endSession } from '../core/session/lifecycle';
import { reproHome } from '../core/session/storage';
import { projectSessionName } from '../core/stack/plan';
import { PARITY_COMMANDS, type ParityCommandKey } from './commandIds';
import type { EngineProvider } from './engine';
import type { Logger } from './logger';
import { editReproYaml } from './manifestEdit';
import type { ManifestStore } from './manifestStore';
import type { ParityNode, ParityTreeProvider } from './parityTree';

export interface ParityDeps { store: ManifestStore; engine: EngineProvider; parity: ParityTreeProvider; log: Logger }

export function registerParityCommands(deps: ParityDeps): vscode.Disposable {
  const handlers: Record<ParityCommandKey, (...args: unknown[]) => unknown> = {
    refreshParity: () => deps.parity.refresh(),
    compareEnvironment: () => pickEnvironment(deps),
    useEnvironmentVersion: (node) => useVersion(deps, node),
    recreateAtEnvironment: (node) => recreate(deps, node),
    openDriftSource: (node) => openSource(node),
  };
  return vscode.Disposable.from(...(Object.keys(handlers) as ParityCommandKey[]).map((k) => vscode.commands.registerCommand(PARITY_COMMANDS[k], handlers[k])));
}

/** Tree nodes arrive as arguments, but anyone can run a command: accept only a row. */
function asRow(v: unknown): Extract<ParityNode, { kind: 'row' }> | undefined {
  const n = v as Partial<Extract<ParityNode, { kind: 'row' }>> | undefined;
  return typeof v === 'object' && v !== null && n?.kind === 'row' && typeof n.row?.subject === 'string' && Array.isArray(n.row.cells) && n.result ? n as Extract<ParityNode, { kind: 'row' }> : undefined;
}

async function pickEnvironment(deps: ParityDeps): Promise<void> {
  const envs = Object.entries(deps.store.primary()?.project.manifest?.environments ?? {});
  if (!envs.length) { void vscode.window.showInformationMessage('Repro: repro.yaml declares no environments to compare with.'); return; }
  const pick = await vscode.window.showQuickPick(envs.map(([name, e]) => ({ label: name, description: e.state ? Object.values(e.state)[0] : 'no published state' })), { title: 'Compare with the published state of' });
  if (pick) deps.parity.setEnvironment(pick.label);
}

async function useVersion(deps: ParityDeps, arg: unknown): Promise<void> {
  const node = asRow(arg);
  const at = node ? declaredAt(node.row) : undefined;
  if (!node || !at || node.row.reference === undefined) { void vscode.window.showInformationMessage('Repro: pick a version row that differs in the Parity view.'); return; }
  const version = node.row.reference;
  await editManifest(deps, (text) => setDeclaredVersion(text, at, version), `${at.join('.')} set to ${node.result.env}'s ${version}`);
}

async function recreate(deps: ParityDeps, arg: unknown): Promise<void> {
  const node = asRow(arg);
  const primary = deps.store.primary();
  const m = primary?.project.manifest;
  if (!node || !primary || !m) { void vscode.window.showInformationMessage('Repro: pick a row of the local session in the Parity view.'); return; }
  const r = node.result;
  const session = projectSessionName(m.project.name);
  const sure = await vscode.window.showWarningMessage(`Recreate session ${session} at ${r.env}'s versions?`, {
    modal: true, detail: `repro.yaml gets ${r.env}'s exact versions; the session's containers and volumes are removed and started again (images missing locally are pulled).`,
  }, 'Recreate');
  if (sure !== 'Recreate') return;
  const ok = await editManifest(deps, (text) => {
    const a = alignVersions(text, r.report.rows, true);
    return a.text;
  }, `versions aligned with ${r.env}`);
  if (!ok) return;
  try {
    const { docker } = await deps.engine.get();
    await endSession(docker, session, reproHome(), { graceSeconds: 2 });
  } catch (e) {
    void vscode.window.showErrorMessage(`Repro could not stop ${session}: ${(e as Error).message}`);
    return;
  }
  deps.store.refresh();
  await vscode.commands.executeCommand('repro.startSession');
  deps.parity.refresh();
}

async function openSource(arg: unknown): Promise<void> {
  const node = asRow(arg);
  const at = node?.row.cells.find((c) => c.at && c.state !== 'in-sync' && c.side !== 'manifest')?.at ?? node?.row.cells.find((c) => c.at)?.at;
  if (!node || !at || typeof at.file !== 'string') {
    void vscode.window.showInformationMessage('Repro: pick a row of the Parity view whose value comes from a file (a compose file, a version file) to open that line.');
    return;
  }
  if (!fs.existsSync(at.file)) {
    void vscode.window.showWarningMessage(`Repro: ${at.file} no longer exists. Refresh the Parity view to see where ${node.row.subject} comes from now.`);
    return;
  }
  const pos = new vscode.Position(Math.max(0, at.line - 1), Math.max(0, at.column - 1));
  await vscode.window.showTextDocument(vscode.Uri.file(at.file), { selection: new vscode.Range(pos, pos) });
}

async function editManifest(deps: ParityDeps, change: (text: string) => string, what: string): Promise<boolean> {
  const ok = await editReproYaml(deps.store, deps.log, 'parity', change, what);
  if (ok) deps.store.refresh();
  return ok;
}
