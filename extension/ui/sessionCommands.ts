// Session commands: start the workspace's stack with progress and cancel, stop or collect
// sessions, and the per-container actions of the Sessions view (logs, shell, restart, open).
import * as vscode from 'vscode';
import { hasErrors } from '../core/manifest/diagnostics';
import { planSession, projectSessionName, SESSION_ID } from '../core/stack/plan';
import { endSession } from '../core/session/lifecycle';
import { reproHome } from '../core/session/storage';
import { isLeftOver, type SessionSummary } from '../core/stack/teardown';
import { CancelledError, SessionExistsError, up } from '../core/stack/up';
import { SESSION_COMMANDS, type SessionCommandKey } from './commandIds';
import { logTerminal, shellTerminal } from './containerTerminals';
import type { EngineProvider } from './engine';
import { selfHealthCheck } from '../core/stack/engineConnection';
import type { Logger } from './logger';
import type { ManifestStore } from './manifestStore';
import type { SessionNode, SessionsTreeProvider } from './sessionsTree';

export interface SessionDeps {
  store: ManifestStore;
  engine: EngineProvider;
  sessions: SessionsTreeProvider;
  log: Logger;
}

type Handler = (...args: unknown[]) => unknown;

export function registerSessionCommands(deps: SessionDeps): vscode.Disposable {
  const handlers: Record<SessionCommandKey, Handler> = {
    startSession: () => startSession(deps),
    stopSession: (node) => stopSession(deps, node),
    collectSessions: () => collectSessions(deps),
    refreshSessions: () => deps.sessions.refresh(),
    showContainerLogs: (node) => withContainer(deps, node, (docker, c, s) => logTerminal(docker, c.id, `${s.session}: ${c.service} logs`).show()),
    openContainerShell: (node) => withContainer(deps, node, (docker, c, s) => shellTerminal(docker, c.id, `${s.session}: ${c.service}`).show()),
    restartContainer: (node) => restartContainer(deps, node),
    openInBrowser: (node) => openInBrowser(node),
  };
  return vscode.Disposable.from(...(Object.keys(handlers) as SessionCommandKey[]).map((k) => vscode.commands.registerCommand(SESSION_COMMANDS[k], handlers[k])));
}

/** Tree nodes arrive as arguments, but anyone can run a command: accept only the real shape. */
function asNode(v: unknown): SessionNode | undefined {
  return typeof v === 'object' && v !== null && 'kind' in v && 'session' in v ? v as SessionNode : undefined;
}

async function startSession(deps: SessionDeps): Promise<void> {
  const primary = deps.store.primary();
  if (!primary) { void vscode.window.showWarningMessage('Repro: this workspace has no repro.yaml (or file to import) to start a session from.'); return; }
  const { folder, project } = primary;
  if (!project.manifest || hasErrors(project.diagnostics)) {
    const pick = await vscode.window.showErrorMessage(`Repro cannot start ${folder.name}: its manifest has errors.`, 'Show Problems');
    if (pick) await vscode.commands.executeCommand('workbench.actions.view.problems');
    return;
  }
  const session = projectSessionName(project.manifest.project.name);
  if (!SESSION_ID.test(session)) { void vscode.window.showErrorMessage(`Repro: "${session}" cannot name a session; rename the project in repro.yaml.`); return; }
  let conn;
  try { conn = await deps.engine.get(); } catch (e) { return engineError(deps, e); }
  const plan = planSession(project.manifest, { session, sourceDir: folder.uri.fsPath });
  const started = Date.now();
  await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: `Repro: starting ${session}`, cancellable: true }, async (progress, token) => {
    const abort = new AbortController();
    const sub = token.onCancellationRequested(() => abort.abort());
    deps.sessions.markStarted(session);
    deps.sessions.refresh(300);
    try {
      const stack = await up(conn.docker, plan, {
        signal: abort.signal,
        selfHealthCheck: selfHealthCheck(conn),
        onEvent: (e) => {
          if (e.type === 'container') {
            progress.report({ message: `${e.entry} ${e.state}` });
            deps.log.info(`[up ${session}] ${e.entry} ${e.state}${e.detail ? `: ${e.detail}` : ''}`);
            deps.sessions.refresh(200);
          } else if (e.type === 'step') progress.report({ message: e.message });
          else if (e.progress.status === 'pulling') progress.report({ message: `pulling ${e.progress.image}` });
        },
      });
      deps.log.info(`[up ${session}] ready in ${Date.now() - started} ms`);
      deps.sessions.refresh();
      const http = stack.published.find((p) => p.name === 'http');
      const url = http ? `http://127.0.0.1:${http.hostPort}/` : undefined;
      void vscode.window.showInformationMessage(
        `Repro: ${session} is ready in ${((Date.now() - started) / 1000).toFixed(1)} s${url ? `: ${http!.entry} at ${url}` : ''}.`,
        ...(url ? ['Open in Browser'] : []),
      ).then((pick) => { if (pick && url) void vscode.env.openExternal(vscode.Uri.parse(url)); });
    } catch (e) {
      deps.sessions.refresh();
      if (e instanceof CancelledError) { void vscode.window.showInformationMessage(`Repro: starting ${session} was cancelled; everything it created was removed.`); return; }
      if (e instanceof SessionExistsError) {
        const pick = await vscode.window.showWarningMessage(`Repro: a session named ${session} is already on the engine.`, 'Stop It', 'Show Sessions');
        if (pick === 'Stop It') await stopNamed(deps, session);
        if (pick === 'Show Sessions') await vscode.commands.executeCommand('repro.sessions.focus');
        return;
      }
      const message = (e as Error).message;
      deps.log.error(`[up ${session}] ${message}`);
      void vscode.window.showErrorMessage(`Repro could not start ${session}: ${message.split('\n')[0]} Nothing was left on the engine.`, 'Show Log')
        .then((p) => { if (p) deps.log.show(true); });
    } finally {
      sub.dispose();
      deps.sessions.markStartEnded(session);
    }
  });
}

async function stopSession(deps: SessionDeps, arg: unknown): Promise<void> {
  const node = asNode(arg);
  let name = node?.kind === 'session' || node?.kind === 'container' ? node.session.session : undefined;
  if (!name) {
    const sessions = await deps.sessions.load();
    if (!sessions.length) { void vscode.window.showInformationMessage('Repro: no session is running.'); return; }
    const pick = sessions.length === 1 ? { label: sessions[0]!.session } : await vscode.window.showQuickPick(sessions.map(sessionItem), { title: 'Stop which session?' });
    name = pick?.label;
  }
  if (name) await stopNamed(deps, name);
}

async function stopNamed(deps: SessionDeps, name: string): Promise<void> {
  let conn;
  try { conn = await deps.engine.get(); } catch (e) { return engineError(deps, e); }
  await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: `Repro: stopping ${name}` }, async () => {
    try {
      const ended = await endSession(conn.docker, name, reproHome());
      const r = ended.removed;
      deps.log.info(`[down ${name}] removed ${r.containers} container(s), ${r.networks} network(s), ${r.volumes} volume(s)${ended.worktreeRemoved ? ` and the worktree ${ended.worktreeRemoved}` : ''}`);
      vscode.window.setStatusBarMessage(`Repro: ${name} stopped and removed`, 5000);
      if (ended.worktreeKept) void keptWorktree(deps, name, ended.worktreeKept);
    } catch (e) {
      void vscode.window.showErrorMessage(`Repro could not remove ${name}: ${(e as Error).message}`);
    }
  });
  deps.sessions.refresh();
}

/** The worktree was kept because of the developer's changes: offer to open or discard it. */
async function keptWorktree(deps: SessionDeps, name: string, kept: { path: string; reason: string }): Promise<void> {
  deps.log.warn(`[down ${name}] kept the worktree ${kept.path}: ${kept.reason}`);
  const pick = await vscode.window.showWarningMessage(`Repro stopped ${name} but kept its worktree: ${kept.reason.replace(/; copy what.*$/, '')}.`, 'Open Worktree', 'Discard Changes');
  if (pick === 'Open Worktree') await vscode.commands.executeCommand('vscode.openFolder', vscode.Uri.file(kept.path), { forceNewWindow: true });
  if (pick === 'Discard Changes') {
    const sure = await vscode.window.showWarningMessage(`Delete ${kept.path} with its changes?`, { modal: true }, 'Delete');
    if (sure !== 'Delete') return;
    try {
      const conn = await deps.engine.get();
      await endSession(conn.docker, name, reproHome(), { discardChanges: true });
      vscode.window.setStatusBarMessage(`Repro: the worktree of ${name} was removed`, 5000);
    } catch (e) {
      void vscode.window.showErrorMessage(`Repro could not remove ${kept.path}: ${(e as Error).message}`);
    }
  }
}

async function collectSessions(deps: SessionDeps): Promise<void> {
  const sessions = await deps.sessions.load();
  if (!sessions.length) { void vscode.window.showInformationMessage('Repro: there are no sessions on the engine.'); return; }
  const picks = await vscode.window.showQuickPick(sessions.map((s) => ({ ...sessionItem(s), picked: isLeftOver(s, (n) => deps.sessions.busyHere(n)) })), {
    title: 'Remove which sessions? (left-over ones are selected)', canPickMany: true,
  });
  for (const p of picks ?? []) await stopNamed(deps, p.label);
}

function sessionItem(s: SessionSummary): vscode.QuickPickItem {
  const states = s.containers.map((c) => `${c.service} ${c.health}`).join(', ') || 'no containers (networks or volumes only)';
  return { label: s.session, description: s.project, detail: states };
}

async function withContainer(
  deps: SessionDeps, arg: unknown,
  fn: (docker: import('dockerode'), c: Extract<SessionNode, { kind: 'container' }>['container'], s: SessionSummary) => unknown,
): Promise<void> {
  const node = asNode(arg);
  if (node?.kind !== 'container') { void vscode.window.showInformationMessage('Repro: pick a container in the Sessions view.'); return; }
  let conn;
  try { conn = await deps.engine.get(); } catch (e) { return engineError(deps, e); }
  fn(conn.docker, node.container, node.session);
}

async function restartContainer(deps: SessionDeps, arg: unknown): Promise<void> {
  await withContainer(deps, arg, async (docker, c, s) => {
    await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: `Repro: restarting ${c.service} in ${s.session}` }, async () => {
      try { await docker.getContainer(c.id).restart({ t: 5 }); } catch (e) { void vscode.window.showErrorMessage(`Repro could not restart ${c.service}: ${(e as Error).message}`); }
    });
    deps.sessions.refresh();
  });
}

async function openInBrowser(arg: unknown): Promise<void> {
  const node = asNode(arg);
  const http = node?.kind === 'container' ? node.container.ports.find((p) => p.name === 'http') : undefined;
  if (!http) { void vscode.window.showInformationMessage('Repro: this container publishes no HTTP port.'); return; }
  await vscode.env.openExternal(vscode.Uri.parse(`http://127.0.0.1:${http.hostPort}/`));
}

export function engineError(deps: Pick<SessionDeps, 'log'>, e: unknown): void {
  const message = (e as Error).message;
  deps.log.error(`[engine] ${message}`);
  void vscode.window.showErrorMessage(`Repro: ${message.split('\n')[0]}`, 'Engine Settings', 'Show Log').then((p) => {
    if (p === 'Engine Settings') void vscode.commands.executeCommand('workbench.action.openSettings', 'repro.engine.host');
    if (p === 'Show Log') deps.log.show(true);
  });
}
