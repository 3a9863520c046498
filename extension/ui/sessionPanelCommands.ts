// The session panel's and the status bar item's commands: the quick pick of a session's actions
// (only those that apply to it), the worktree (new window, or a folder of this workspace) and
// the incident's alert. Open Logs, Attach Debugger and Replay Request are called with the
// session's node, as their inline buttons on the session row are.
import * as vscode from 'vscode';
import type { SessionSummary } from '../core/stack/teardown';
import { DEBUG_COMMANDS, LOG_COMMANDS, PANEL_COMMANDS, type PanelCommandKey } from './commandIds';
import type { IncidentHistory } from './incidentsTree';
import type { SessionNode, SessionsTreeProvider } from './sessionsTree';

export interface PanelDeps {
  sessions: SessionsTreeProvider;
  history: IncidentHistory;
}

export function registerPanelCommands(deps: PanelDeps): vscode.Disposable {
  const handlers: Record<PanelCommandKey, (...args: unknown[]) => unknown> = {
    showSessionActions: (arg) => showSessionActions(deps, arg),
    openWorktree: (arg) => openWorktree(deps, arg),
    openWorktreeInNewWindow: (arg) => withWorktree(deps, arg, (uri) => vscode.commands.executeCommand('vscode.openFolder', uri, { forceNewWindow: true })),
    addWorktreeToWorkspace: (arg) => withWorktree(deps, arg, (uri, s) => addToWorkspace(uri, s)),
    openIncidentAlert: (arg) => openAlert(deps, arg),
  };
  return vscode.Disposable.from(...(Object.keys(handlers) as PanelCommandKey[]).map((k) => vscode.commands.registerCommand(PANEL_COMMANDS[k], handlers[k])));
}

/** The session a command is for: a session name or any node of the Sessions view, checked against the sessions listed now. */
export function sessionOf(deps: Pick<PanelDeps, 'sessions'>, arg: unknown): SessionSummary | undefined {
  const name = typeof arg === 'string' ? arg
    : typeof arg === 'object' && arg !== null && 'session' in arg ? (arg as { session?: { session?: unknown } }).session?.session : undefined;
  return typeof name === 'string' ? deps.sessions.current().find((s) => s.session === name) : undefined;
}

async function pickSession(deps: PanelDeps, arg: unknown): Promise<SessionSummary | undefined> {
  const given = sessionOf(deps, arg);
  if (given) return given;
  const all = deps.sessions.current().length ? deps.sessions.current() : await deps.sessions.load();
  if (!all.length) { void vscode.window.showInformationMessage('Repro: no session is running.'); return undefined; }
  if (all.length === 1) return all[0];
  const pick = await vscode.window.showQuickPick(all.map((s) => ({ label: s.session, description: s.incident ? `incident ${s.incident}` : s.project, s })), { title: 'Which session?' });
  return pick?.s;
}

interface Action extends vscode.QuickPickItem { run: () => unknown }

async function showSessionActions(deps: PanelDeps, arg: unknown): Promise<void> {
  const s = await pickSession(deps, arg);
  if (!s) return;
  const node: SessionNode = { kind: 'session', session: s };
  const receipt = deps.sessions.receipt(s.session);
  const app = s.containers.find((c) => c.role === 'app');
  const appNode: SessionNode | undefined = app ? { kind: 'container', session: s, container: app } : undefined;
  const http = app?.ports.find((p) => p.name === 'http');
  const debug = app?.ports.find((p) => p.name === 'debug');
  const request = receipt?.request; // the receipt keeps the incident's (sanitized) request
  const run = (command: string, ...args: unknown[]) => () => vscode.commands.executeCommand(command, ...args);
  const actions: (Action | undefined)[] = [
    { label: '$(output) Open Logs', detail: 'Every service\'s log in one panel', run: run(LOG_COMMANDS.showLogViewer, node) },
    debug
      ? { label: '$(debug) Attach Debugger', detail: `To ${app!.service} on 127.0.0.1:${debug.hostPort}`, run: run(DEBUG_COMMANDS.attachDebugger, node) } : undefined,
    request && http
      ? { label: '$(debug-rerun) Replay Request', detail: `${request.method} ${request.path.slice(0, 80)}`, run: run(DEBUG_COMMANDS.replayRequest, node) } : undefined,
    http && appNode ? { label: '$(globe) Open in Browser', detail: `http://127.0.0.1:${http.hostPort}/`, run: run('repro.openInBrowser', appNode) } : undefined,
    receipt ? { label: '$(file-text) Open Receipt', detail: 'Commit, images, data snapshot and step timings', run: run('repro.openReceipt', node) } : undefined,
    receipt ? { label: '$(repo) Open Worktree…', detail: receipt.worktree, run: run(PANEL_COMMANDS.openWorktree, node) } : undefined,
    { label: '$(list-tree) Show in Sessions View', run: run('repro.sessions.focus') },
    { label: '$(debug-stop) Stop Session', detail: 'Removes its containers, networks and volumes, and its worktree unless you changed it', run: run('repro.stopSession', node) },
  ];
  const pick = await vscode.window.showQuickPick(actions.filter((a): a is Action => a !== undefined), {
    title: `Repro: ${s.session}${receipt ? ` · incident ${receipt.incident.id}` : ''}`, placeHolder: 'What to do with this session?',
  });
  await pick?.run();
}

async function withWorktree(deps: PanelDeps, arg: unknown, fn: (uri: vscode.Uri, s: SessionSummary) => unknown): Promise<void> {
  const s = await pickSession(deps, arg);
  const receipt = s ? deps.sessions.receipt(s.session) : undefined;
  if (!s) return;
  if (!receipt) { void vscode.window.showInformationMessage(`Repro: ${s.session} runs this workspace's own code; it has no worktree of its own.`); return; }
  await fn(vscode.Uri.file(receipt.worktree), s);
}

async function openWorktree(deps: PanelDeps, arg: unknown): Promise<void> {
  await withWorktree(deps, arg, async (uri, s) => {
    const pick = await vscode.window.showQuickPick([
      { label: '$(empty-window) Open in New Window', detail: 'The code at the incident\'s commit, in a window of its own', id: 'window' },
      { label: '$(root-folder) Add to Workspace', detail: 'Next to your clone in this window, to compare and set breakpoints', id: 'workspace' },
    ], { title: `Worktree of ${s.session}`, placeHolder: uri.fsPath });
    if (pick?.id === 'window') await vscode.commands.executeCommand('vscode.openFolder', uri, { forceNewWindow: true });
    if (pick?.id === 'workspace') addToWorkspace(uri, s);
  });
}

function addToWorkspace(uri: vscode.Uri, s: SessionSummary): void {
  const folders = vscode.workspace.workspaceFolders ?? [];
  if (folders.some((f) => f.uri.fsPath === uri.fsPath)) { vscode.window.setStatusBarMessage(`Repro: the worktree of ${s.session} is already in the workspace`, 4000); return; }
  vscode.workspace.updateWorkspaceFolders(folders.length, 0, { uri, name: `${s.session} (worktree)` });
}

async function openAlert(deps: PanelDeps, arg: unknown): Promise<void> {
  const s = sessionOf(deps, arg);
  const url = s ? deps.sessions.receipt(s.session)?.incident.url : undefined;
  // The receipt is a file on disk: only an http(s) address is opened.
  if (!url || !/^https?:\/\//i.test(url)) { void vscode.window.showInformationMessage('Repro: this incident has no link to its alert.'); return; }
  await vscode.env.openExternal(vscode.Uri.parse(url, true));
}
