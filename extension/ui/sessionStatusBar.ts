// The status bar item of the active session: its name and overall health, the services and
// their ports in the tooltip, a click for the session's actions. It follows the Sessions tree's
// data (which follows the engine's event stream), so it never polls; hidden when no session runs.
import * as vscode from 'vscode';
import type { ContainerHealth, SessionSummary } from '../core/stack/teardown';
import { esc } from './sessionPanel';
import type { SessionsTreeProvider } from './sessionsTree';

export type OverallHealth = 'healthy' | 'starting' | 'unhealthy' | 'exited';

/** The worst state among a session's containers: what the status bar says of the session. */
export function overallHealth(s: SessionSummary): OverallHealth {
  const hs = new Set<ContainerHealth>(s.containers.map((c) => c.health));
  if (hs.has('exited') || !s.containers.length) return 'exited';
  if (hs.has('unhealthy')) return 'unhealthy';
  if (hs.has('starting')) return 'starting';
  return 'healthy';
}

/** A session is running while every one of its containers is (a left-over one is not). */
const isRunning = (s: SessionSummary): boolean => s.containers.length > 0 && s.containers.every((c) => c.state === 'running' || c.health === 'starting');

const LOOK: Record<OverallHealth, { icon: string; background?: string; words: string }> = {
  healthy: { icon: '$(vm-running)', words: 'healthy' },
  starting: { icon: '$(loading~spin)', words: 'starting' },
  unhealthy: { icon: '$(warning)', background: 'statusBarItem.warningBackground', words: 'a service is unhealthy' },
  exited: { icon: '$(error)', background: 'statusBarItem.errorBackground', words: 'a service has exited' },
};

export class SessionStatusBar implements vscode.Disposable {
  private readonly item = vscode.window.createStatusBarItem('repro.session', vscode.StatusBarAlignment.Left, 50);
  private readonly subscription: vscode.Disposable;
  /** The click's command, kept while the session shown is the same one (see update). */
  private command: vscode.Command | undefined;

  constructor(private readonly sessions: SessionsTreeProvider) {
    this.item.name = 'Repro Session';
    this.subscription = sessions.onDidChangeTreeData(() => this.update());
  }

  /**
   * The session shown: the one this window started last while it is there, else the newest
   * running reproduction of this workspace's clone, else the newest running session.
   */
  active(): SessionSummary | undefined {
    const all = this.sessions.current();
    const startedHere = all.find((s) => s.session === this.sessions.lastStartedHere());
    if (startedHere) return startedHere;
    const running = [...all].filter(isRunning).sort((a, b) => b.created - a.created);
    const folders = (vscode.workspace.workspaceFolders ?? []).map((f) => f.uri.fsPath);
    const ofThisClone = running.find((s) => { const clone = this.sessions.receipt(s.session)?.clone; return clone !== undefined && folders.includes(clone); });
    return ofThisClone ?? running[0];
  }

  private update(): void {
    const s = this.active();
    if (!s) { this.item.hide(); return; }
    const health = overallHealth(s);
    const look = LOOK[health];
    const others = this.sessions.current().filter((x) => x !== s && isRunning(x)).length;
    this.item.text = `${look.icon} ${s.session}${others ? ` +${others}` : ''}`;
    this.item.backgroundColor = look.background ? new vscode.ThemeColor(look.background) : undefined;
    this.item.accessibilityInformation = { label: `Repro session ${s.session}: ${look.words}`, role: 'button' };
    this.item.tooltip = tooltip(s, look.words, this.sessions.receipt(s.session)?.incident.title, others);
    // A command with arguments is registered anew under a fresh id each time a new object is
    // assigned, and the previous id is dropped: a click that lands just after a health or log
    // update would then fail with "Actual command not found". The same object is left alone.
    if (this.command?.arguments?.[0] !== s.session) {
      this.command = { command: 'repro.showSessionActions', title: 'Session Actions', arguments: [s.session] };
      this.item.command = this.command;
    }
    this.item.show();
  }

  dispose(): void {
    this.subscription.dispose();
    this.item.dispose();
  }
}

function tooltip(s: SessionSummary, words: string, title: string | undefined, others: number): vscode.MarkdownString {
  const md = new vscode.MarkdownString('', true);
  md.appendMarkdown(`**Repro: ${esc(s.session)}** · ${words}  \n`);
  if (s.incident) md.appendMarkdown(`Incident ${esc(s.incident)}${title ? `: ${esc(title)}` : ''}  \n`);
  md.appendMarkdown('\n| | service | state | ports |\n|:-:|---|---|---|\n');
  for (const c of s.containers.filter((x) => x.role !== 'gateway')) {
    const icon = { healthy: '$(pass-filled)', running: '$(circle-filled)', starting: '$(loading~spin)', unhealthy: '$(warning)', exited: '$(error)' }[c.health];
    const ports = c.ports.map((p) => `${p.name} 127.0.0.1:${p.hostPort}`).join(', ') || '—';
    md.appendMarkdown(`| ${icon} | ${esc(c.service || c.name)} | ${c.health} | ${ports} |\n`);
  }
  md.appendMarkdown(`\n${others ? `${others} more session${others > 1 ? 's' : ''} running. ` : ''}Click for the session's actions.`);
  return md;
}
