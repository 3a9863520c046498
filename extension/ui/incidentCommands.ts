// The Incidents view's commands: reproduce a kept incident again (through the same
// confirmation as a clicked link: nothing runs without it), copy its link, open its receipt,
// remove one, clear the list.
import * as path from 'node:path';
import * as vscode from 'vscode';
import { entryKey, entryLink, type IncidentRow } from '../core/incident/history';
import { sessionDir, reproHome } from '../core/session/storage';
import { INCIDENT_COMMANDS, type IncidentCommandKey } from './commandIds';
import type { IncidentsTreeProvider } from './incidentsTree';
import { reproduceIncident, type ReproduceDeps } from './reproduceFlow';

export interface IncidentDeps extends ReproduceDeps {
  incidents: IncidentsTreeProvider;
}

export function registerIncidentCommands(deps: IncidentDeps): vscode.Disposable {
  const handlers: Record<IncidentCommandKey, (...args: unknown[]) => unknown> = {
    reproduceIncidentAgain: (node) => withRow(deps, node, 'reproduce', (row) => reproduceIncident(deps, row.incident, [], 'the Incidents view')),
    copyIncidentLink: (node) => withRow(deps, node, 'copy the link of', (row) => copyLink(row)),
    openIncidentReceipt: (node) => withRow(deps, node, 'open the receipt of', (row) => openReceipt(row)),
    removeIncident: (node) => withRow(deps, node, 'remove', (row) => { deps.history?.remove(entryKey(row.incident)); }),
    clearIncidents: () => clear(deps),
    refreshIncidents: () => deps.incidents.refresh(),
  };
  return vscode.Disposable.from(...(Object.keys(handlers) as IncidentCommandKey[]).map((k) => vscode.commands.registerCommand(INCIDENT_COMMANDS[k], handlers[k])));
}

/**
 * The row a command is for, as the history has it now: the argument only names it (anyone can
 * run a command with any argument), and without one (palette, keyboard) a quick pick asks.
 */
async function withRow(deps: IncidentDeps, arg: unknown, verb: string, fn: (row: IncidentRow) => unknown): Promise<void> {
  const rows = deps.history?.rows() ?? [];
  const given = typeof arg === 'object' && arg !== null && 'row' in arg ? (arg as { row?: { incident?: { id?: unknown; commit?: unknown; release?: unknown } } }).row?.incident : undefined;
  let row = given && typeof given.id === 'string'
    ? rows.find((r) => entryKey(r.incident) === entryKey({ id: given.id as string, ...(typeof given.commit === 'string' ? { commit: given.commit } : {}), ...(typeof given.release === 'string' ? { release: given.release } : {}) }))
    : undefined;
  if (!row) {
    if (!rows.length) { void vscode.window.showInformationMessage('Repro: no incident has reached Repro yet. Open a reproduce link or run "Reproduce from Alert…".'); return; }
    const pick = await vscode.window.showQuickPick(rows.map((r) => ({ label: r.incident.title, description: `${r.incident.id} · ${r.incident.release ?? r.incident.commit?.slice(0, 7) ?? ''}`, row: r })), { title: `Which incident to ${verb}?`, matchOnDescription: true });
    row = pick?.row;
  }
  if (row) await fn(row);
}

async function copyLink(row: IncidentRow): Promise<void> {
  const link = entryLink(row.entry ?? { incident: row.incident, via: 'link', receivedAt: row.when }, vscode.env.uriScheme);
  await vscode.env.clipboard.writeText(link);
  vscode.window.setStatusBarMessage(`$(check) Repro: the link of ${row.incident.id} is on the clipboard`, 4000);
}

async function openReceipt(row: IncidentRow): Promise<void> {
  if (!row.receipt) { void vscode.window.showInformationMessage(`Repro: incident ${row.incident.id} has not been reproduced yet, so it has no receipt.`); return; }
  await vscode.commands.executeCommand('markdown.showPreview', vscode.Uri.file(path.join(sessionDir(reproHome(), row.receipt.session), 'receipt.md')));
}

async function clear(deps: IncidentDeps): Promise<void> {
  const n = deps.history?.entries().length ?? 0;
  if (!n) return;
  const sure = await vscode.window.showWarningMessage(`Clear the ${n} incident${n > 1 ? 's' : ''} Repro keeps?`, { modal: true, detail: 'Receipts of reproductions stay (and stay listed); running sessions are not touched.' }, 'Clear');
  if (sure === 'Clear') deps.history?.clear();
}
