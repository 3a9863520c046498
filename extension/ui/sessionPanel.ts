// The session panel: what a reproduced session shows above its containers in the Sessions
// view: the incident (click: the alert), the reproduction's steps with their status and time
// (live while it runs, then from the receipt), the worktree and the receipt. It lives in the
// Sessions tree, under each session, rather than in a view of its own: a session and its
// containers, steps and files read as one thing, nothing has to follow a selection, and every
// session running shows its own story side by side.
import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { Receipt, StepName, StepRecord } from '../core/session/receipt';
import type { ReproduceEvent } from '../core/session/reproduce';
import type { SessionSummary } from '../core/stack/teardown';

/** A step as the panel shows it: a receipt's record, or one still running. */
export interface PanelStep { step: StepName; status: StepRecord['status'] | 'running'; ms?: number; note?: string }

export type PanelNode =
  | { kind: 'incident'; session: SessionSummary; receipt: Receipt }
  | { kind: 'steps'; session: SessionSummary; steps: PanelStep[]; totalMs?: number }
  | { kind: 'step'; session: SessionSummary; step: PanelStep }
  | { kind: 'worktree'; session: SessionSummary; path: string }
  | { kind: 'receipt'; session: SessionSummary; receipt: Receipt };

export const STEP_LABELS: Record<StepName, string> = {
  resolve: 'Resolve the commit', worktree: 'Check out the worktree', manifest: 'Read the manifest at the commit',
  stack: 'Start the stack', data: 'Clone and scrub the data', ready: 'Ready',
};

const STEP_ICON: Record<PanelStep['status'], vscode.ThemeIcon> = {
  done: new vscode.ThemeIcon('pass', new vscode.ThemeColor('testing.iconPassed')),
  running: new vscode.ThemeIcon('loading~spin'),
  skipped: new vscode.ThemeIcon('circle-slash', new vscode.ThemeColor('disabledForeground')),
  failed: new vscode.ThemeIcon('error', new vscode.ThemeColor('testing.iconFailed')),
  cancelled: new vscode.ThemeIcon('circle-slash', new vscode.ThemeColor('testing.iconSkipped')),
};

export const seconds = (ms: number): string => (ms < 10000 ? `${(ms / 1000).toFixed(2)} s` : `${(ms / 1000).toFixed(1)} s`);
const tilde = (p: string): string => (p.startsWith(os.homedir() + path.sep) ? `~${p.slice(os.homedir().length)}` : p);

/** Steps of reproductions still running in this window, fed by the reproduce flow's events. */
export class LiveSteps {
  private readonly bySession = new Map<string, PanelStep[]>();

  report(session: string, e: ReproduceEvent): void {
    if (e.type !== 'step') return;
    const steps = this.bySession.get(session) ?? [];
    this.bySession.set(session, steps);
    const status = e.state === 'start' ? 'running' : e.state;
    const next: PanelStep = { step: e.step, status, ...(e.ms !== undefined ? { ms: e.ms } : {}), ...(e.note ? { note: e.note } : {}) };
    const at = steps.findIndex((s) => s.step === e.step);
    if (at >= 0) steps[at] = next; else steps.push(next);
  }

  get(session: string): PanelStep[] | undefined {
    return this.bySession.get(session);
  }

  /** The run ended (its receipt now tells the story, or nothing was left). */
  end(session: string): void {
    this.bySession.delete(session);
  }
}

/** What the panel shows for `session`, above its containers. */
export function panelChildren(session: SessionSummary, receipt: Receipt | undefined, live: PanelStep[] | undefined): PanelNode[] {
  if (live?.length) return [{ kind: 'steps', session, steps: live }];
  if (!receipt) return [];
  return [
    { kind: 'incident', session, receipt },
    // Notes name files in the worktree, which has a row of its own: they are shown relative to it.
    { kind: 'steps', session, steps: receipt.steps.map((s) => (s.note ? { ...s, note: s.note.split(`${receipt.worktree}${path.sep}`).join('') } : s)), totalMs: receipt.totalMs },
    { kind: 'worktree', session, path: receipt.worktree },
    { kind: 'receipt', session, receipt },
  ];
}

export function stepChildren(node: Extract<PanelNode, { kind: 'steps' }>): PanelNode[] {
  return node.steps.map((step) => ({ kind: 'step', session: node.session, step }));
}

export function panelItem(node: PanelNode): vscode.TreeItem {
  const id = `${node.session.session}:${node.kind}`;
  switch (node.kind) {
    case 'incident': {
      const i = node.receipt.incident;
      const item = new vscode.TreeItem(`Incident ${i.id}`);
      item.description = i.title ?? '';
      item.iconPath = new vscode.ThemeIcon('bell', new vscode.ThemeColor('charts.orange'));
      const md = new vscode.MarkdownString(`**${esc(i.id)}**${i.title ? `: ${esc(i.title)}` : ''}  \nfrom ${i.source}${i.environment ? `, ${esc(i.environment)}` : ''}${i.service ? `, service ${esc(i.service)}` : ''}${i.time ? `  \nat ${new Date(i.time).toLocaleString()}` : ''}`);
      md.appendMarkdown(`  \ncommit \`${node.receipt.commit.slice(0, 12)}\`${node.receipt.release ? ` (release ${esc(node.receipt.release)})` : ''}${i.url ? '  \nClick to open the alert.' : ''}`);
      item.tooltip = md;
      item.contextValue = i.url ? 'sessionIncident-url' : 'sessionIncident';
      if (i.url) item.command = { command: 'repro.openIncidentAlert', title: 'Open the Alert', arguments: [node] };
      item.id = id;
      return item;
    }
    case 'steps': {
      const item = new vscode.TreeItem('Reproduction', vscode.TreeItemCollapsibleState.Expanded);
      const running = node.steps.find((s) => s.status === 'running');
      const failed = node.steps.find((s) => s.status === 'failed');
      item.description = running ? `${STEP_LABELS[running.step].toLowerCase()}…` : node.totalMs !== undefined ? `${seconds(node.totalMs)} · ${node.steps.filter((s) => s.status === 'done').length} steps` : '';
      item.iconPath = running ? new vscode.ThemeIcon('loading~spin') : failed ? STEP_ICON.failed : new vscode.ThemeIcon('checklist', new vscode.ThemeColor('testing.iconPassed'));
      item.tooltip = running ? 'Reproducing: the steps fill in as they finish.' : 'The reproduction\'s steps, as its receipt records them';
      item.contextValue = 'sessionSteps';
      item.id = id;
      return item;
    }
    case 'step': {
      const s = node.step;
      const item = new vscode.TreeItem(STEP_LABELS[s.step]);
      const share = s.ms !== undefined ? seconds(s.ms) : s.status === 'running' ? 'running' : '';
      item.description = [share, s.status === 'skipped' || s.status === 'cancelled' ? s.status : '', s.note ?? ''].filter(Boolean).join(' · ');
      item.iconPath = STEP_ICON[s.status];
      item.tooltip = `${STEP_LABELS[s.step]}: ${s.status}${s.ms !== undefined ? ` in ${seconds(s.ms)}` : ''}${s.note ? `\n${s.note}` : ''}`;
      item.contextValue = 'sessionStep';
      item.id = `${id}:${s.step}`;
      return item;
    }
    case 'worktree': {
      const item = new vscode.TreeItem('Worktree');
      item.description = tilde(node.path);
      item.iconPath = new vscode.ThemeIcon('repo');
      item.tooltip = new vscode.MarkdownString(`The code at the incident's commit, checked out apart from your clone:  \n${code(node.path)}  \nClick to open it in a new window or add it to this workspace.`);
      item.contextValue = 'sessionWorktree';
      item.command = { command: 'repro.openWorktree', title: 'Open Worktree', arguments: [node] };
      item.id = id;
      return item;
    }
    case 'receipt': {
      const item = new vscode.TreeItem('Receipt');
      item.description = `receipt.md · ${new Date(node.receipt.finishedAt).toLocaleTimeString()}`;
      item.iconPath = new vscode.ThemeIcon('file-text');
      item.tooltip = 'What was reproduced (commit, manifest hash, image digests, data snapshot) and how long each step took, for the postmortem';
      item.contextValue = 'sessionReceipt';
      item.command = { command: 'repro.openReceipt', title: 'Open Receipt', arguments: [node] };
      item.id = id;
      return item;
    }
  }
}

/** Markdown-escapes text that came from outside (an alert's title, a path), $(icon) syntax included. */
export const esc = (s: string): string => s.replace(/[\\`*_{}[\]()#+\-.!|<>$]/g, '\\$&');
/** Text from outside as inline code (escapes do not work inside a code span: one with a backtick is escaped text instead). */
export const code = (s: string): string => (/[`\r\n]/.test(s) ? esc(s) : `\`${s}\``);
