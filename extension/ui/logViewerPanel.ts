// The log viewer's host side: one WebviewPanel per session, fed from a SessionLogStream with
// acknowledged batches (core/logs/logFeed.ts). The stream and its buffer live as long as the
// panel, visible or not; a hidden panel's webview is dropped (no retainContextWhenHidden: the
// host holds the lines) and gets the buffer again when it comes back and says `ready`. After a
// window reload VS Code brings the panel back through the serializer (restore), and the panel
// follows its session again from the engine.
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs/promises';
import type Docker from 'dockerode';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { filteredText } from '../core/logs/filter';
import { SESSION_ID } from '../core/stack/plan';
import { LogFeed } from '../core/logs/logFeed';
import { SessionLogStream } from '../core/logs/sessionLogStream';
import { isLogViewerMessage, type LogHostMessage, type LogViewerRequest } from '../../webview/logProtocol';
import type { EngineProvider } from './engine';
import type { Logger } from './logger';

export const LOG_VIEWER_TYPE = 'repro.logViewer';
/** Messages queued for a webview that has not said `ready` yet; the init message restates the rest. */
const MAX_QUEUED = 50;

export class LogViewers implements vscode.Disposable {
  private readonly panels = new Map<string, LogViewerPanel>();

  constructor(private readonly extensionUri: vscode.Uri, private readonly engine: EngineProvider, private readonly log: Logger) {}

  /** Shows the session's viewer, opening it (and following the session's containers) the first time. */
  async show(session: string): Promise<void> {
    const open = this.panels.get(session);
    if (open) { open.reveal(); return; }
    await this.open(session);
  }

  /**
   * A panel VS Code brings back after a reload: its webview's saved state names the session
   * (checked like any session name: the state is the webview's, not ours). Without a valid one,
   * or when the engine does not answer, the panel is closed rather than left blank.
   */
  async restore(panel: vscode.WebviewPanel, state: unknown): Promise<void> {
    const session = (state as { session?: unknown } | undefined)?.session;
    if (typeof session !== 'string' || !SESSION_ID.test(session) || this.panels.has(session)) { panel.dispose(); return; }
    try {
      await this.open(session, panel);
    } catch (e) {
      this.log.warn(`[logs ${session}] not reopened after the reload: ${(e as Error).message}`);
      panel.dispose();
    }
  }

  private async open(session: string, existing?: vscode.WebviewPanel): Promise<void> {
    const { docker } = await this.engine.get();
    const panel = new LogViewerPanel(this.extensionUri, session, docker, this.log, () => this.panels.delete(session), existing);
    this.panels.set(session, panel);
    await panel.start();
  }

  dispose(): void {
    for (const p of [...this.panels.values()]) p.dispose();
    this.panels.clear();
  }
}

class LogViewerPanel {
  private readonly panel: vscode.WebviewPanel;
  private readonly feed: LogFeed;
  private readonly stream: SessionLogStream;
  private ready = false;
  private queue: LogHostMessage[] = [];
  private disposed = false;

  constructor(extensionUri: vscode.Uri, private readonly session: string, docker: Docker, private readonly log: Logger, onDispose: () => void,
    existing?: vscode.WebviewPanel) {
    const media = vscode.Uri.joinPath(extensionUri, 'media');
    const dist = vscode.Uri.joinPath(extensionUri, 'dist');
    const options = { enableScripts: true, localResourceRoots: [media, dist] };
    if (existing) {
      this.panel = existing;
      this.panel.webview.options = options;
      this.panel.title = `Logs: ${session}`;
    } else {
      this.panel = vscode.window.createWebviewPanel(LOG_VIEWER_TYPE, `Logs: ${session}`, vscode.ViewColumn.Active, options);
    }
    this.panel.iconPath = vscode.Uri.joinPath(media, 'repro.svg');
    this.panel.webview.html = html(this.panel.webview, media, dist, session);
    this.stream = new SessionLogStream(docker, session, {
      onLines: () => { if (this.ready) this.feed.pump(); },
      onServices: (services) => this.post({ type: 'services', services }),
      onError: (message) => { this.log.warn(`[logs ${this.session}] ${message}`); this.post({ type: 'status', kind: 'error', text: message }); },
    });
    this.feed = new LogFeed({ buffer: this.stream.buffer, post: (b) => this.post({ type: 'batch', ...b }) });
    this.panel.webview.onDidReceiveMessage((m: unknown) => void this.onMessage(m));
    this.panel.onDidChangeViewState(() => { if (!this.panel.visible) this.ready = false; });
    this.panel.onDidDispose(() => { this.dispose(); onDispose(); });
  }

  async start(): Promise<void> {
    try {
      if (!await this.stream.start()) {
        this.post({ type: 'status', kind: 'info', text: `no container of ${this.session} is on the engine yet; its lines appear when one starts` });
      }
      this.log.info(`[logs ${this.session}] following ${this.stream.services().map((s) => s.service).join(', ') || 'no container yet'}`);
    } catch (e) {
      const message = `cannot follow the session's containers: ${(e as Error).message}`;
      this.log.error(`[logs ${this.session}] ${message}`);
      this.post({ type: 'status', kind: 'error', text: message });
    }
  }

  reveal(): void {
    this.panel.reveal();
  }

  private post(m: LogHostMessage): void {
    if (this.disposed) return;
    if (!this.ready) {
      if (m.type !== 'batch' && this.queue.length < MAX_QUEUED) this.queue.push(m);
      return;
    }
    void this.panel.webview.postMessage(m);
  }

  private async onMessage(m: unknown): Promise<void> {
    if (!isLogViewerMessage(m)) { this.log.warn(`[logs ${this.session}] ignored a malformed message from the log viewer`); return; }
    switch (m.type) {
      case 'ready': {
        this.ready = true;
        void this.panel.webview.postMessage({ type: 'init', session: this.session, bufferLines: this.stream.buffer.capacity, services: this.stream.services() } satisfies LogHostMessage);
        const queued = this.queue;
        this.queue = [];
        for (const q of queued) this.post(q);
        this.feed.restart();
        break;
      }
      case 'ack':
        this.feed.ack(m.id);
        break;
      case 'request':
        await this.onRequest(m);
        break;
    }
  }

  private async onRequest(r: LogViewerRequest): Promise<void> {
    const picked = filteredText(this.stream.buffer, r.params.filter, { timestamps: r.params.timestamps });
    if ('error' in picked) { this.post({ type: 'reply', id: r.id, method: r.method, error: picked.error }); return; }
    if (r.method === 'copy') {
      await vscode.env.clipboard.writeText(picked.text);
      this.post({ type: 'reply', id: r.id, method: 'copy', result: { lines: picked.lines } });
      return;
    }
    const folder = vscode.workspace.workspaceFolders?.find((f) => f.uri.scheme === 'file')?.uri;
    const name = `${this.session}-${new Date().toISOString().replace(/[:.]/g, '-').slice(0, 19)}.log`;
    const target = await vscode.window.showSaveDialog({
      title: `Export the log of ${this.session}`,
      saveLabel: 'Export',
      filters: { 'Log files': ['log', 'txt'] },
      ...(folder ? { defaultUri: vscode.Uri.joinPath(folder, name) } : {}),
    });
    if (!target) { this.post({ type: 'reply', id: r.id, method: 'export', result: { lines: 0 } }); return; }
    try {
      await fs.writeFile(target.fsPath, picked.text);
      this.log.info(`[logs ${this.session}] exported ${picked.lines} lines to ${target.fsPath}`);
      this.post({ type: 'reply', id: r.id, method: 'export', result: { lines: picked.lines, path: target.fsPath } });
      vscode.window.setStatusBarMessage(`Repro: ${picked.lines} lines of ${this.session} saved to ${path.basename(target.fsPath)}`, 5000);
    } catch (e) {
      this.post({ type: 'reply', id: r.id, method: 'export', error: `cannot write ${target.fsPath}: ${(e as Error).message}` });
    }
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.stream.dispose();
    this.panel.dispose();
  }
}

function html(webview: vscode.Webview, media: vscode.Uri, dist: vscode.Uri, session: string): string {
  const nonce = randomBytes(18).toString('base64');
  const css = webview.asWebviewUri(vscode.Uri.joinPath(media, 'logViewer.css'));
  const js = webview.asWebviewUri(vscode.Uri.joinPath(dist, 'logViewer.js'));
  const csp = [`default-src 'none'`, `style-src ${webview.cspSource}`, `font-src ${webview.cspSource}`, `img-src ${webview.cspSource}`, `script-src 'nonce-${nonce}'`].join('; ');
  const title = session.replace(/[^a-z0-9_.-]/gi, '');
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<link rel="stylesheet" href="${css.toString()}">
<title>Logs: ${title}</title>
</head>
<body>
<div id="root"></div>
<script nonce="${nonce}" src="${js.toString()}"></script>
</body>
</html>`;
}
