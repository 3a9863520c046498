// "Attach Debugger" and "Replay Request" (Sessions view rows, palette) and the `repro` debug
// type (Run view, launch.json): all three go through the DebugController.
import * as vscode from 'vscode';
import { reproConfigProblem } from '../core/debug/attachConfig';
import { parseRequestLine, replayRequest, ReplayTimeoutError, type ReplayResult } from '../core/debug/replay';
import { debuggableApps, NoDebugTargetError } from '../core/debug/target';
import type { IncidentRequest } from '../core/incident/model';
import { DEBUG_COMMANDS, type DebugCommandKey } from './commandIds';
import type { DebugController } from './debugController';
import type { Logger } from './logger';
import type { SessionNode } from './sessionsTree';

export interface DebugDeps {
  controller: DebugController;
  log: Logger;
}

type Handler = (...args: unknown[]) => unknown;

export function registerDebugCommands(deps: DebugDeps): vscode.Disposable {
  const handlers: Record<DebugCommandKey, Handler> = {
    attachDebugger: (arg) => attachDebugger(deps, arg),
    replayRequest: (arg) => replay(deps, arg),
  };
  return vscode.Disposable.from(
    ...(Object.keys(handlers) as DebugCommandKey[]).map((k) => vscode.commands.registerCommand(DEBUG_COMMANDS[k], handlers[k])),
    vscode.debug.registerDebugConfigurationProvider('repro', new ReproDebugConfigurationProvider(deps)),
  );
}

/** A session row or container row of the Sessions view, or a session's name; else ask. */
async function sessionArg(deps: DebugDeps, arg: unknown, action: string): Promise<{ session: string; app?: string } | undefined> {
  if (typeof arg === 'string' && arg) return { session: arg };
  if (typeof arg === 'object' && arg !== null && 'kind' in arg && 'session' in arg) {
    const node = arg as SessionNode;
    if (node.kind === 'container' && node.container.role === 'app') return { session: node.session.session, app: node.container.service };
    if (node.kind === 'session' || node.kind === 'container') return { session: node.session.session };
  }
  const sessions = (await deps.controller.sessions()).filter((s) => debuggableApps(s).length);
  if (!sessions.length) { void vscode.window.showInformationMessage('Repro: no running session publishes a debug port. Start one from the Sessions view (the app needs "debug: { port: ... }" in repro.yaml).'); return undefined; }
  if (sessions.length === 1) return { session: sessions[0]!.session };
  const pick = await vscode.window.showQuickPick(sessions.map((s) => ({
    label: s.session, description: s.incident ? `incident ${s.incident}` : s.project, detail: debuggableApps(s).map((c) => c.service).join(', '),
  })), { title: `${action}: which session?` });
  return pick ? { session: pick.label } : undefined;
}

function showError(deps: DebugDeps, what: string, e: unknown): void {
  const message = (e as Error).message;
  deps.log.error(`[debug] ${what}: ${message}`);
  void vscode.window.showErrorMessage(`Repro could not ${what}: ${message}`, ...(e instanceof NoDebugTargetError ? [] : ['Show Log'])).then((p) => { if (p) deps.log.show(true); });
}

async function attachDebugger(deps: DebugDeps, arg: unknown): Promise<boolean> {
  const which = await sessionArg(deps, arg, 'Attach Debugger');
  if (!which) return false;
  try {
    return await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: `Repro: waiting for the debugger of ${which.app ?? 'the app'} in ${which.session}`, cancellable: true },
      (_p, token) => deps.controller.attach(which.session, which.app, token));
  } catch (e) {
    showError(deps, `attach the debugger to ${which.session}`, e);
    return false;
  }
}

/**
 * Sends the incident's failing request to the session's app (asks for one when the session
 * has no incident). Resolves with the answer, which a paused debugger holds back.
 */
async function replay(deps: DebugDeps, arg: unknown): Promise<ReplayResult | undefined> {
  const which = await sessionArg(deps, arg, 'Replay Request');
  if (!which) return undefined;
  let info;
  try {
    info = deps.controller.state(which.session)?.info ?? await deps.controller.target(which.session, which.app);
  } catch (e) { showError(deps, `replay a request to ${which.session}`, e); return undefined; }
  if (!info.httpUrl) { void vscode.window.showErrorMessage(`Repro: ${info.target.app} in ${which.session} publishes no HTTP port (apps.${info.target.app}.port in repro.yaml), so there is nothing to send a request to.`); return undefined; }
  let request: IncidentRequest | undefined = info.request;
  if (!request) {
    const line = await vscode.window.showInputBox({
      title: `Replay Request to ${info.target.app} in ${which.session}`,
      prompt: info.incident ? `Incident ${info.incident} carried no request: type the one to send (METHOD /path)` : 'This session has no incident: type the request to send (METHOD /path)',
      value: 'GET /', valueSelection: [4, 5],
      validateInput: (v) => { const r = parseRequestLine(v); return 'error' in r ? r.error : undefined; },
    });
    if (!line) return undefined;
    const parsed = parseRequestLine(line);
    if ('error' in parsed) return undefined;
    request = parsed.request;
  }
  const what = `${request.method} ${request.path}`;
  // A debugger still attaching (the Run view's `repro` type) gets its breakpoints in first.
  await deps.controller.whenReady(which.session);
  const attached = !!deps.controller.state(which.session)?.debugSession;
  deps.log.info(`[replay ${which.session}] ${what} to ${info.httpUrl}${attached ? ' (debugger attached)' : ''}`);
  const status = vscode.window.setStatusBarMessage(`$(debug-alt) Repro: ${what} sent to ${which.session}${attached ? ': the debugger stops at the alert\'s frame' : ''}…`);
  try {
    const r = await replayRequest(info.httpUrl, request);
    deps.log.info(`[replay ${which.session}] ${what} answered ${r.status} after ${r.ms.toFixed(0)} ms`);
    const failed = r.status >= 500;
    const text = `Repro: ${what} answered ${r.status} in ${which.session}${failed ? (info.incident ? ', as in incident ' + info.incident : '') : ''}.`;
    void (failed ? vscode.window.showWarningMessage(text) : vscode.window.showInformationMessage(text));
    return r;
  } catch (e) {
    if (e instanceof ReplayTimeoutError) { void vscode.window.showWarningMessage(`Repro: ${what}: ${e.message}`); return undefined; }
    showError(deps, `replay ${what}`, e);
    return undefined;
  } finally {
    status.dispose();
  }
}

/** The `repro` debug type: attach to a session from the Run view, no launch.json needed. */
class ReproDebugConfigurationProvider implements vscode.DebugConfigurationProvider {
  constructor(private readonly deps: DebugDeps) {}

  provideDebugConfigurations(): vscode.DebugConfiguration[] {
    return [{ type: 'repro', request: 'attach', name: 'Repro: Attach to Session' }];
  }

  async resolveDebugConfiguration(_folder: vscode.WorkspaceFolder | undefined, config: vscode.DebugConfiguration, token?: vscode.CancellationToken): Promise<vscode.DebugConfiguration | undefined> {
    if (config.type !== 'repro') return config;
    const problem = reproConfigProblem(config);
    if (problem) { void vscode.window.showErrorMessage(`Repro: the launch configuration "${config.name ?? 'repro'}": ${problem}.`); return undefined; }
    const which = config.session ? { session: String(config.session), ...(config.app ? { app: String(config.app) } : {}) } : await sessionArg(this.deps, undefined, 'Attach Debugger');
    if (!which) return undefined;
    try {
      // Becomes the runtime's own configuration (type node, debugpy, go or java).
      const resolved = await this.deps.controller.prepare(which.session, which.app, token);
      return resolved ? { ...resolved, name: config.name || resolved.name } : undefined;
    } catch (e) {
      showError(this.deps, `attach the debugger to ${which.session}`, e);
      return undefined;
    }
  }
}
