// "Show Log Viewer": a session's merged log in a webview panel. The argument is a Sessions view
// node (the session row's inline button, or a container row: its session) or a session name;
// from the palette, a picker of the sessions on the engine.
import * as vscode from 'vscode';
import { SESSION_ID } from '../core/stack/plan';
import { LOG_COMMANDS, type LogCommandKey } from './commandIds';
import type { EngineProvider } from './engine';
import type { Logger } from './logger';
import { LOG_VIEWER_TYPE, LogViewers } from './logViewerPanel';
import { engineError } from './sessionCommands';
import type { SessionsTreeProvider } from './sessionsTree';

export interface LogViewerDeps {
  extensionUri: vscode.Uri;
  engine: EngineProvider;
  sessions: SessionsTreeProvider;
  log: Logger;
}

type Handler = (...args: unknown[]) => unknown;

export function registerLogViewerCommands(deps: LogViewerDeps): vscode.Disposable {
  const viewers = new LogViewers(deps.extensionUri, deps.engine, deps.log);
  const handlers: Record<LogCommandKey, Handler> = {
    showLogViewer: (arg) => showLogViewer(deps, viewers, arg),
  };
  // Open viewers come back after a window reload (activation event onWebviewPanel:repro.logViewer).
  const serializer = vscode.window.registerWebviewPanelSerializer(LOG_VIEWER_TYPE, {
    deserializeWebviewPanel: (panel, state) => viewers.restore(panel, state),
  });
  return vscode.Disposable.from(viewers, serializer, ...(Object.keys(handlers) as LogCommandKey[]).map((k) => vscode.commands.registerCommand(LOG_COMMANDS[k], handlers[k])));
}

/** The session an argument names: a tree node's, or a valid session name; anything else is ignored. */
export function sessionOf(arg: unknown): string | undefined {
  if (typeof arg === 'string') return SESSION_ID.test(arg) ? arg : undefined;
  if (typeof arg !== 'object' || arg === null) return undefined;
  const s = (arg as { session?: { session?: unknown } }).session?.session;
  return typeof s === 'string' && SESSION_ID.test(s) ? s : undefined;
}

async function showLogViewer(deps: LogViewerDeps, viewers: LogViewers, arg: unknown): Promise<void> {
  if (typeof arg === 'string' && !SESSION_ID.test(arg)) {
    void vscode.window.showErrorMessage(`Repro: "${arg.slice(0, 60)}" is not a session name (lower-case letters, digits, "-", "_" and ".", at most 41 characters).`);
    return;
  }
  let session = sessionOf(arg);
  if (!session) {
    const sessions = await deps.sessions.load();
    if (!sessions.length) { void vscode.window.showInformationMessage('Repro: no session is running; start one to see its logs.'); return; }
    const pick = sessions.length === 1 ? { label: sessions[0]!.session } : await vscode.window.showQuickPick(
      sessions.map((s) => ({ label: s.session, description: s.project, detail: s.containers.map((c) => `${c.service} ${c.health}`).join(', ') })),
      { title: 'Show the logs of which session?' });
    session = pick?.label;
  }
  if (!session) return;
  try {
    await viewers.show(session);
  } catch (e) {
    engineError(deps, e);
  }
}
