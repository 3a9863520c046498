// The composition root: builds every service once, wires them through constructors and pushes
// every registration to the extension's disposables. Nothing heavy runs here: the manifest is
// read when a view first asks for it.
import * as vscode from 'vscode';
import { isLeftOver } from './core/stack/teardown';
import { registerCommands } from './ui/commands';
import { registerDebugCommands } from './ui/debugCommands';
import { DebugController } from './ui/debugController';
import { EngineProvider } from './ui/engine';
import { registerCoverageCommands } from './ui/coverageCommands';
import { registerLogViewerCommands } from './ui/logViewerCommands';
import { CoverageTreeProvider } from './ui/coverageTree';
import { registerReproduce } from './ui/reproduceCommands';
import { registerSessionCommands } from './ui/sessionCommands';
import { SessionsTreeProvider } from './ui/sessionsTree';
import { createLogger } from './ui/logger';
import { ManifestStore } from './ui/manifestStore';
import { ManifestTreeProvider } from './ui/manifestTree';
import { publishProblems } from './ui/problems';
import { registerParityCommands } from './ui/parityCommands';
import { ParityTreeProvider } from './ui/parityTree';
import { registerIncidentCommands } from './ui/incidentCommands';
import { IncidentHistory, IncidentsTreeProvider } from './ui/incidentsTree';
import { registerPanelCommands } from './ui/sessionPanelCommands';
import { SessionStatusBar } from './ui/sessionStatusBar';

export interface ReproApi {
  /** Time activate() took, in milliseconds (read by the benchmark). */
  activationMs: number;
  store: ManifestStore;
  /** The debugger of sessions (read by the in-host tests). */
  debug: DebugController;
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
  const engine = new EngineProvider(log);
  const sessions = new SessionsTreeProvider(engine, log);
  // The incidents that reached Repro (REPRO_HOME/incidents.json), kept as they arrive.
  const history = new IncidentHistory(log);
  const sessionsView = vscode.window.createTreeView('repro.sessions', { treeDataProvider: sessions });
  context.subscriptions.push(
    engine,
    sessions,
    sessionsView,
    registerSessionCommands({ store, engine, sessions, log }),
    registerReproduce({ engine, sessions, log, secrets: context.secrets, history }),
  );
  // The debugger: attach with no launch.json, breakpoints at the alert's frames, replay.
  const debug = new DebugController(engine, log);
  context.subscriptions.push(debug, registerDebugCommands({ controller: debug, log }));
  // The log viewer: a session's merged log in a webview, one panel per session.
  context.subscriptions.push(registerLogViewerCommands({ extensionUri: context.extensionUri, engine, sessions, log }));
  // The Incidents view, the session panel's commands and the session's status bar item all
  // follow the Sessions tree's data (itself following the engine's events): no polling.
  const incidents = new IncidentsTreeProvider(history);
  let liveSessions = '';
  context.subscriptions.push(
    history,
    incidents,
    vscode.window.createTreeView('repro.incidents', { treeDataProvider: incidents }),
    registerIncidentCommands({ engine, sessions, log, secrets: context.secrets, history, incidents }),
    registerPanelCommands({ sessions, history }),
    new SessionStatusBar(sessions),
    sessions.onDidChangeTreeData(() => {
      const why = sessions.engineError();
      sessionsView.message = why ? why.split('\n')[0] : undefined;
      // Engine events come in bursts; the incidents change only when a session comes or goes,
      // or a reproduction writes its receipt.
      const names = sessions.current().map((s) => s.session).sort();
      const key = names.map((n) => `${n}${sessions.receipt(n) ? ' receipt' : ''}`).join('\n');
      if (key !== liveSessions) { liveSessions = key; incidents.refresh(names); }
    }),
  );
  // The coverage scan reads the dump: only when the Data Coverage view asks for it.
  const coverage = new CoverageTreeProvider(store, log);
  context.subscriptions.push(
    coverage,
    vscode.window.createTreeView('repro.coverage', { treeDataProvider: coverage }),
    registerCoverageCommands({ store, coverage, log, secrets: context.secrets, engine }),
  );
  // Parity (drift): computed when the view is shown; the state's URL or command runs then.
  const parity = new ParityTreeProvider(store, engine, log);
  context.subscriptions.push(
    parity,
    vscode.window.createTreeView('repro.parity', { treeDataProvider: parity }),
    registerParityCommands({ store, engine, parity, log }),
  );
  // The Problems panel needs the manifest read; defer it so activation stays cheap.
  const timer = setTimeout(() => context.subscriptions.push(publishProblems(store)), 0);
  // Sessions left by a crash or a closed window are offered for collection, once the window
  // has settled (the engine may be remote or slow to answer).
  const sweep = setTimeout(() => void offerLeftovers(sessions), 3000);
  context.subscriptions.push({ dispose: () => { clearTimeout(timer); clearTimeout(sweep); } });
  const activationMs = performance.now() - started;
  log.info(`[activate] ${activationMs.toFixed(1)} ms`);
  return { activationMs, store, debug };
}

async function offerLeftovers(sessions: SessionsTreeProvider): Promise<void> {
  const left = (await sessions.load()).filter((s) => isLeftOver(s, (n) => sessions.busyHere(n)));
  if (!left.length) return;
  const names = left.map((s) => s.session).join(', ');
  const pick = await vscode.window.showWarningMessage(
    `Repro found ${left.length === 1 ? 'a session' : `${left.length} sessions`} left over from an earlier run (${names}): stopped containers, networks or volumes still on the engine.`,
    'Remove', 'Show Sessions');
  if (pick === 'Remove') await vscode.commands.executeCommand('repro.collectSessions');
  if (pick === 'Show Sessions') await vscode.commands.executeCommand('repro.sessions.focus');
}

export function deactivate(): void {
  // Everything is disposed through context.subscriptions.
}
