// From a checked incident to a running reproduction in VS Code: find the clone among the
// workspace folders, say exactly what will happen in a modal dialog, and only on "Reproduce"
// run the session with progress and cancel. Every way in (a link, a pasted or opened payload)
// ends here, so nothing runs without that confirmation.
import * as path from 'node:path';
import * as vscode from 'vscode';
import { CoverageError } from '../core/data/clone';
import type { RulesFrom } from '../core/data/workspaceRules';
import { openRepository, sameRepository, type Repository } from '../core/git/repository';
import type { Incident } from '../core/incident/model';
import { hasErrors } from '../core/manifest/diagnostics';
import { readProject } from '../core/manifest/project';
import { previewReproduction } from '../core/session/preview';
import { ReproduceCancelledError, sessionNameFor, type ReproduceEvent } from '../core/session/reproduce';
import { runReproduction, type RunResult } from '../core/session/run';
import { reproHome } from '../core/session/storage';
import { describeEndpoint, selfHealthCheck } from '../core/stack/engineConnection';
import { SessionExistsError } from '../core/stack/up';
import { dataCacheBytes } from './cacheSizeSetting';
import { readSourceSecrets } from './dataSecrets';
import type { EngineProvider } from './engine';
import type { IncidentHistory } from './incidentsTree';
import type { IncidentVia } from '../core/incident/history';
import type { Logger } from './logger';
import { engineError } from './sessionCommands';
import type { SessionsTreeProvider } from './sessionsTree';

export interface ReproduceDeps {
  engine: EngineProvider;
  sessions: SessionsTreeProvider;
  log: Logger;
  /** VS Code's secret storage: live data sources' connection strings (see dataSecrets.ts). */
  secrets: vscode.SecretStorage;
  /** The Incidents view's history: every incident that arrives is kept there. */
  history?: IncidentHistory;
}

/** How an incident arrived (kept in the history); absent when it comes from the history itself. */
export interface IncidentOrigin { via: IncidentVia; payloadUrl?: string }

const STEP_TITLES: Record<string, string> = {
  resolve: 'Resolving the commit', worktree: 'Checking out the worktree', manifest: 'Reading the manifest at the commit',
  stack: 'Starting the stack', data: 'Cloning data', ready: 'Ready',
};

/** Sessions being started in this window: a double-clicked link must not start two. */
const running = new Set<string>();

export async function reproduceIncident(deps: ReproduceDeps, incident: Incident, warnings: string[], from: string, origin?: IncidentOrigin): Promise<void> {
  deps.log.info(`[reproduce ${incident.id}] from ${from}${warnings.length ? `; warnings: ${warnings.join(' | ')}` : ''}`);
  // Kept before anything else: an incident looked at and not reproduced can be reproduced later.
  if (origin) deps.history?.record(incident, origin.via, origin.payloadUrl);
  const repo = await findClone(incident);
  if (!repo) return;
  const project = readProject(repo.root);
  const manifest = project.manifest && !hasErrors(project.diagnostics) ? project.manifest : undefined;
  const session = sessionNameFor(manifest?.project.name ?? path.basename(repo.root), incident.id);
  let conn;
  try { conn = await deps.engine.get(); } catch (e) { return engineError(deps, e); }
  const home = reproHome();
  const preview = previewReproduction({
    incident, repo, home, session, from, engine: describeEndpoint(conn.endpoint, conn.engine), ...(manifest ? { manifest } : {}),
  });
  if (preview.blockers.length) {
    deps.log.warn(`[reproduce ${incident.id}] refused: ${preview.blockers.join(' | ')}`);
    await vscode.window.showErrorMessage(`Repro cannot reproduce incident ${incident.id}`, { modal: true, detail: preview.blockers.join('\n\n') });
    return;
  }
  const detail = [...preview.lines, ...(warnings.length ? ['', ...warnings.map((w) => `Warning: ${w}`)] : [])].join('\n');
  const answer = await vscode.window.showWarningMessage(preview.title, { modal: true, detail }, 'Reproduce');
  if (answer !== 'Reproduce') {
    deps.log.info(`[reproduce ${incident.id}] not confirmed; nothing was started`);
    return;
  }
  if (running.has(session)) {
    void vscode.window.showInformationMessage(`Repro: incident ${incident.id} is already being reproduced in this window.`);
    return;
  }
  running.add(session);
  try {
    // Secret storage is asynchronous; the clone asks synchronously, so the connection strings
    // the manifest names are read now (they never leave this process).
    const secrets = await readSourceSecrets(deps.secrets, manifest);
    let rulesFrom = vscode.workspace.getConfiguration('repro.data').get<RulesFrom>('rulesFrom') === 'workspace' ? 'workspace' as const : 'incident' as const;
    const cacheBytes = dataCacheBytes(deps.log);
    // Once more, with the checkout's rules, when the user asks so after the commit's fell short.
    while (await run(deps, incident, repo, session, home, conn, secrets, rulesFrom, cacheBytes) === 'retry with workspace rules') rulesFrom = 'workspace';
  } finally {
    running.delete(session);
  }
}

async function run(
  deps: ReproduceDeps, incident: Incident, repo: Repository, session: string, home: string, conn: Awaited<ReturnType<EngineProvider['get']>>, secrets: Map<string, string>, rulesFrom: RulesFrom, cacheBytes: number,
): Promise<'retry with workspace rules' | undefined> {
  // The progress closes when the run ends; what follows (success or error) is its own message.
  const outcome: { ok: RunResult } | { error: unknown } = await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: `Repro: reproducing ${incident.id}`, cancellable: true }, async (progress, token) => {
    const abort = new AbortController();
    const sub = token.onCancellationRequested(() => abort.abort());
    const onEvent = (e: ReproduceEvent): void => {
      if (e.type === 'step' && e.state === 'start') progress.report({ message: `${STEP_TITLES[e.step]}…`, increment: 100 / 6 });
      if (e.type === 'detail') progress.report({ message: `${STEP_TITLES[e.step]}: ${e.message}` });
      deps.log.info(`[reproduce ${incident.id}] ${e.type === 'step' ? `${e.step} ${e.state}${e.ms !== undefined ? ` ${e.ms} ms` : ''}${e.note ? ` (${e.note})` : ''}` : `${e.step}: ${e.message}`}`);
      deps.sessions.reportStep(session, e);
      if (e.type === 'step' && e.step === 'stack') deps.sessions.refresh(200);
    };
    try {
      return { ok: await runReproduction({ incident, repo, docker: conn.docker, selfHealthCheck: selfHealthCheck(conn), home, session, signal: abort.signal, onEvent, secrets: (name) => secrets.get(name),
        log: (m) => deps.log.info(`[reproduce ${incident.id}] ${m}`), rulesFrom, cacheBytes }) };
    } catch (e) {
      return { error: e as unknown };
    } finally {
      sub.dispose();
      deps.sessions.endSteps(session);
    }
  });
  if ('ok' in outcome) { await reproduced(outcome.ok); return undefined; }
  const e = outcome.error;
  if (e instanceof ReproduceCancelledError) {
    void vscode.window.showInformationMessage(`Repro: the reproduction of ${incident.id} was cancelled; everything it had created was removed.`);
    return undefined;
  }
  if ((e as Error).cause instanceof SessionExistsError) {
    const p = await vscode.window.showWarningMessage(`Repro: incident ${incident.id} already has a session (${session}). Stop it first to reproduce it again.`, 'Show Sessions');
    if (p) await vscode.commands.executeCommand('repro.sessions.focus');
    return undefined;
  }
  const message = (e as Error).message;
  deps.log.error(`[reproduce ${incident.id}] ${message}`);
  // The commit's rules leave personal data uncovered and the checkout has other rules (workspaceRules.ts).
  const cause = (e as Error).cause;
  const coverage = cause instanceof CoverageError ? cause : undefined;
  const otherRules = rulesFrom === 'incident' && coverage !== undefined && coverage.checkoutHasOtherRules.length > 0;
  const retry = 'Retry with My Checkout\'s Rules';
  // The coverage report is many lines (the repro.yaml lines to add are in the log): its summary here.
  const what = coverage
    ? `${coverage.summary()}${otherRules ? ` That is repro.yaml at the incident's commit; your checkout's has other rules for ${coverage.checkoutHasOtherRules.join(', ')}.` : ' The log has the lines to add.'}`
    : message.split('\n')[0];
  const p = await vscode.window.showErrorMessage(`Repro could not reproduce ${incident.id}: ${what} Nothing was left behind.`, ...(otherRules ? [retry] : []), 'Show Log');
  if (p === retry) return 'retry with workspace rules';
  if (p) deps.log.show(true);
  return undefined;
}

async function reproduced(r: RunResult): Promise<void> {
  const http = r.receipt.published.find((p) => p.name === 'http');
  const pick = await vscode.window.showInformationMessage(
    `Repro: incident ${r.receipt.incident.id} reproduced in ${(r.receipt.totalMs / 1000).toFixed(1)} s at ${r.receipt.commit.slice(0, 12)}${http ? `: ${http.entry} at ${http.url}` : ''}.`,
    'Open Receipt', 'Open Worktree', ...(http ? ['Open in Browser'] : []),
  );
  if (pick === 'Open Receipt') await vscode.commands.executeCommand('markdown.showPreview', vscode.Uri.file(r.files.markdown));
  if (pick === 'Open Worktree') await vscode.commands.executeCommand('vscode.openFolder', vscode.Uri.file(r.receipt.worktree), { forceNewWindow: true });
  if (pick === 'Open in Browser' && http) await vscode.env.openExternal(vscode.Uri.parse(http.url));
}

/**
 * The workspace folder that is a clone of the incident's repository (or the only folder,
 * when the incident names none). Says what to open when there is none.
 */
async function findClone(incident: Incident): Promise<Repository | undefined> {
  const folders = vscode.workspace.workspaceFolders?.filter((f) => f.uri.scheme === 'file') ?? [];
  if (!folders.length) {
    const pick = await vscode.window.showErrorMessage(`Repro: open the clone of ${incident.repository ?? 'the project'} to reproduce incident ${incident.id}, then open the link again.`, 'Open Folder…');
    if (pick) await vscode.commands.executeCommand('workbench.action.files.openFolder');
    return undefined;
  }
  const repos: Repository[] = [];
  const problems: string[] = [];
  for (const f of folders) {
    try { repos.push(await openRepository(f.uri.fsPath)); } catch (e) { problems.push((e as Error).message); }
  }
  const wanted = incident.repository;
  const match = wanted ? repos.find((r) => r.remotes.some((x) => sameRepository(x.fetchUrl, wanted) || sameRepository(x.pushUrl, wanted))) : undefined;
  // Without a match the first clone goes on: the preview then says why it cannot be used.
  const repo = match ?? repos[0];
  if (!repo) {
    void vscode.window.showErrorMessage(`Repro: no workspace folder is a git clone: ${problems[0] ?? ''}`);
    return undefined;
  }
  return repo;
}
