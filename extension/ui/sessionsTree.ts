// The Sessions view: every reproduction on the engine (found by label, so sessions started by
// the CLI or left by a crash show too), each with its containers' state, image and ports.
// It follows the engine's event stream while visible, so states change as they happen.
import * as vscode from 'vscode';
import { LABEL } from '../core/stack/labels';
import { readReceipt, type Receipt } from '../core/session/receipt';
import type { ReproduceEvent } from '../core/session/reproduce';
import { reproHome, sessionDir } from '../core/session/storage';
import { STEADY_HEALTH_INTERVAL_MS } from '../core/stack/plan';
import { listSessions, type ContainerHealth, type SessionContainer, type SessionSummary } from '../core/stack/teardown';
import type { EngineProvider } from './engine';
import type { Logger } from './logger';
import { LiveSteps, panelChildren, panelItem, stepChildren, type PanelNode } from './sessionPanel';
import { changesRows } from '../core/stack/engineEvents';

export type SessionNode =
  | { kind: 'session'; session: SessionSummary }
  | { kind: 'container'; session: SessionSummary; container: SessionContainer }
  | PanelNode;

const HEALTH_ICON: Record<ContainerHealth, vscode.ThemeIcon> = {
  healthy: new vscode.ThemeIcon('pass-filled', new vscode.ThemeColor('testing.iconPassed')),
  running: new vscode.ThemeIcon('circle-filled', new vscode.ThemeColor('testing.iconPassed')),
  starting: new vscode.ThemeIcon('loading~spin'),
  unhealthy: new vscode.ThemeIcon('warning', new vscode.ThemeColor('list.warningForeground')),
  exited: new vscode.ThemeIcon('error', new vscode.ThemeColor('list.errorForeground')),
};

export class SessionsTreeProvider implements vscode.TreeDataProvider<SessionNode>, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<SessionNode | undefined>();
  readonly onDidChangeTreeData = this.changed.event;
  private sessions: SessionSummary[] = [];
  /** The receipts of the sessions listed (a session started from the workspace has none). */
  private receipts = new Map<string, Receipt>();
  private readonly live = new LiveSteps();
  /** Sessions this window is starting (Start Session). */
  private readonly starting = new Set<string>();
  /** The session this window last started or reproduced. */
  private startedHere: string | undefined;
  private error: string | undefined;
  private events: NodeJS.ReadableStream | undefined;
  private refreshTimer: NodeJS.Timeout | undefined;
  /** Counts loads: an answer is applied only if no load started after it (see load()). */
  private generation = 0;
  private subscribing = false;
  /** A load since the last one must redraw the view (anything but a poll asked for it). */
  private redraw = true;
  /** What the view last drew, to skip a poll's redraw when nothing changed. */
  private shown = '';
  private readonly subscriptions: vscode.Disposable[] = [];

  constructor(private readonly engine: EngineProvider, private readonly log: Logger) {
    this.subscriptions.push(engine.onDidChange(() => { this.stopEvents(); this.refresh(); }));
  }

  /** The sessions as last read. */
  current(): readonly SessionSummary[] {
    return this.sessions;
  }

  /** The receipt of a listed session that is still running (not ended). */
  receipt(session: string): Receipt | undefined {
    return this.receipts.get(session);
  }

  /** Why the engine did not answer the last time it was asked, if it did not. */
  engineError(): string | undefined {
    return this.error;
  }

  /** This window started `session`: it is the active one (status bar) while it runs. */
  markStarted(session: string): void {
    this.startedHere = session;
    this.starting.add(session);
  }

  /** The start of `session` in this window ended (ready, failed or cancelled). */
  markStartEnded(session: string): void {
    this.starting.delete(session);
  }

  /** This window is starting or reproducing `session` now: it is not left over, whatever its state. */
  busyHere(session: string): boolean {
    return this.starting.has(session) || this.live.get(session) !== undefined;
  }

  lastStartedHere(): string | undefined {
    return this.startedHere;
  }

  /** A reproduction's progress in this window: its steps show under its session as they run. */
  reportStep(session: string, e: ReproduceEvent): void {
    this.startedHere = session;
    this.live.report(session, e);
    if (e.type === 'step') this.refresh(100);
  }

  /** The reproduction ended: its receipt (or nothing) tells the story from now on. */
  endSteps(session: string): void {
    this.live.end(session);
    this.refresh();
  }

  /**
   * Re-reads the engine soon (coalesces bursts of engine events). A `poll` (Podman's health,
   * below) redraws the view only if what it shows changed.
   */
  refresh(delayMs = 0, poll = false): void {
    if (!poll) this.redraw = true;
    if (this.refreshTimer) clearTimeout(this.refreshTimer);
    this.refreshTimer = setTimeout(() => { this.refreshTimer = undefined; void this.load(); }, delayMs);
  }

  async load(): Promise<readonly SessionSummary[]> {
    // Loads overlap when events come while the engine answers slowly; only the newest may
    // apply, or an older answer ("db starting") lands last and stays until the next event.
    const generation = ++this.generation;
    const redraw = this.redraw;
    this.redraw = false;
    try {
      const conn = await this.engine.get();
      const { docker, engine } = conn;
      const sessions = await listSessions(docker, { conn });
      if (generation !== this.generation) { this.redraw ||= redraw; return this.sessions; }
      // Podman runs no checks by itself without systemd, and says nothing when one changes:
      // the view asks again at Docker's pace while a session with checks runs (checkedHealth.ts).
      if (engine === 'podman' && sessions.some((x) => x.containers.some((c) => c.health === 'healthy' || c.health === 'starting' || c.health === 'unhealthy'))) {
        this.refresh(STEADY_HEALTH_INTERVAL_MS, true);
      }
      this.sessions = sessions;
      this.error = undefined;
      const home = reproHome();
      this.receipts = new Map();
      for (const s of this.sessions) {
        const r = readReceipt(sessionDir(home, s.session));
        if (r && !r.endedAt && r.session === s.session) this.receipts.set(s.session, r);
      }
      this.followEvents(docker);
    } catch (e) {
      if (generation !== this.generation) { this.redraw ||= redraw; return this.sessions; }
      this.sessions = [];
      this.error = (e as Error).message;
    }
    const shown = JSON.stringify([this.sessions, [...this.receipts], this.error]);
    if (!redraw && shown === this.shown) return this.sessions;
    this.shown = shown;
    void vscode.commands.executeCommand('setContext', 'repro.hasSessions', this.sessions.length > 0);
    void vscode.commands.executeCommand('setContext', 'repro.engineUnavailable', this.error !== undefined);
    this.changed.fire(undefined);
    return this.sessions;
  }

  private followEvents(docker: import('dockerode')): void {
    if (this.events || this.subscribing) return;
    this.subscribing = true; // one stream, however many loads finish before the engine answers
    docker.getEvents({ filters: { label: [LABEL.session], type: ['container'] } }).then((stream) => {
      this.subscribing = false;
      this.events = stream;
      stream.on('data', (chunk: Buffer) => { if (changesRows(chunk)) this.refresh(150); });
      stream.on('error', () => { this.events = undefined; });
      stream.on('end', () => { this.events = undefined; });
      // What changed while the stream was being opened had no event to announce it.
      this.refresh();
    }, (e: unknown) => {
      this.subscribing = false;
      this.log.warn(`[sessions] no engine events: ${(e as Error).message}`);
    });
  }

  private stopEvents(): void {
    (this.events as unknown as { destroy?: () => void } | undefined)?.destroy?.();
    this.events = undefined;
  }

  async getChildren(node?: SessionNode): Promise<SessionNode[]> {
    if (!node) {
      if (!this.sessions.length && !this.error) await this.load();
      // Empty, so the welcome view says how to start an engine (the view's message says why).
      if (this.error) return [];
      return this.sessions.map((session) => ({ kind: 'session', session }));
    }
    if (node.kind === 'steps') return stepChildren(node);
    if (node.kind !== 'session') return [];
    const panel = panelChildren(node.session, this.receipts.get(node.session.session), this.live.get(node.session.session));
    const order = { app: 0, service: 1, gateway: 2 } as Record<string, number>;
    const containers = [...node.session.containers]
      .sort((a, b) => (order[a.role] ?? 3) - (order[b.role] ?? 3) || a.service.localeCompare(b.service))
      .map((container): SessionNode => ({ kind: 'container', session: node.session, container }));
    return [...panel, ...containers];
  }

  getTreeItem(node: SessionNode): vscode.TreeItem {
    if (node.kind !== 'session' && node.kind !== 'container') return panelItem(node);
    if (node.kind === 'session') {
      const s = node.session;
      const item = new vscode.TreeItem(s.session, vscode.TreeItemCollapsibleState.Expanded);
      const counts = summarise(s.containers);
      item.description = [s.project === s.session ? '' : s.project, s.incident ? `incident ${s.incident}` : '', counts].filter(Boolean).join(' · ');
      item.iconPath = new vscode.ThemeIcon(s.containers.some((c) => c.health === 'exited' || c.health === 'unhealthy') ? 'debug-disconnect' : 'vm-running');
      // session, or session-reproduced when a receipt tells how it was reproduced.
      item.contextValue = this.receipts.has(s.session) ? 'session-reproduced' : 'session';
      item.id = `session:${s.session}`;
      item.tooltip = new vscode.MarkdownString(`**${s.session}**  \nproject \`${s.project}\`${s.incident ? `  \nincident \`${s.incident}\`` : ''}  \nstarted ${new Date(s.created).toLocaleString()}  \n${counts}`);
      return item;
    }
    const c = node.container;
    const item = new vscode.TreeItem(c.service || c.name);
    const ports = c.ports.map((p) => `${p.name} 127.0.0.1:${p.hostPort}`).join(', ');
    item.description = [c.health, c.image, ports].filter(Boolean).join(' · ');
    item.iconPath = HEALTH_ICON[c.health];
    item.id = `container:${c.id}`;
    item.contextValue = `container-${c.state === 'running' ? 'running' : 'stopped'}`;
    const md = new vscode.MarkdownString(`**${c.service}** (${c.role}) in session \`${node.session.session}\`  \n`);
    md.appendMarkdown(`image \`${c.image}\`  \n${c.status}  \ncontainer \`${c.name}\``);
    for (const p of c.ports) md.appendMarkdown(`  \n${p.name}: 127.0.0.1:${p.hostPort} → ${c.service}:${p.targetPort}`);
    item.tooltip = md;
    item.command = { command: 'repro.showContainerLogs', title: 'Show Logs', arguments: [node] };
    return item;
  }

  dispose(): void {
    this.stopEvents();
    if (this.refreshTimer) clearTimeout(this.refreshTimer);
    for (const d of this.subscriptions) d.dispose();
    this.changed.dispose();
  }
}

function summarise(cs: readonly SessionContainer[]): string {
  const n = (h: ContainerHealth) => cs.filter((c) => c.health === h).length;
  const parts = [
    n('healthy') + n('running') ? `${n('healthy') + n('running')} up` : '',
    n('starting') ? `${n('starting')} starting` : '',
    n('unhealthy') ? `${n('unhealthy')} unhealthy` : '',
    n('exited') ? `${n('exited')} exited` : '',
  ].filter(Boolean);
  return parts.join(', ') || 'no containers';
}
