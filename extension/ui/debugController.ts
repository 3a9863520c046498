// The debugger of a session, in VS Code: attach with a configuration built from the engine
// and the receipt (core/debug), breakpoints at the alert's frames, re-attach when the app
// restarts, and everything undone when the session goes. One controller per window; the
// commands, the `repro` debug type and the tests all go through it.
import * as path from 'node:path';
import * as vscode from 'vscode';
import { attachConfiguration, DEBUGGER_EXTENSION, SESSION_KEY, type AttachConfiguration } from '../core/debug/attachConfig';
import { inspectorTarget, ProbeCancelledError, waitForDebugger } from '../core/debug/probe';
import { findDebugTarget, type LocalFrame, type SessionDebugInfo } from '../core/debug/target';
import { reproHome } from '../core/session/storage';
import { LABEL } from '../core/stack/labels';
import { listSessions, type SessionSummary } from '../core/stack/teardown';
import type { EngineProvider } from './engine';
import type { Logger } from './logger';

interface Attached {
  info: SessionDebugInfo;
  /** Breakpoints Repro added for this session (not the developer's own). */
  breakpoints: vscode.SourceBreakpoint[];
  debugSession?: vscode.DebugSession;
  /** Node: the inspector target attached to; another id after the debug session ends means a new process. */
  inspectorId?: string;
  events?: NodeJS.ReadableStream;
  reattaching?: boolean;
  /** Settles when the debugger has its breakpoints in the app (see whenReady). */
  ready?: Promise<boolean>;
}

/** How long to wait for the debugger to have its breakpoints in the app before going on anyway. */
const READY_MS = 20000;

export class DebugController implements vscode.Disposable {
  private readonly attached = new Map<string, Attached>();
  private readonly subscriptions: vscode.Disposable[] = [];
  /** Per session: called when the debugger is configured and a breakpoint is verified. */
  private readonly readyWaiters = new Map<string, () => void>();

  constructor(private readonly engine: EngineProvider, private readonly log: Logger) {
    this.subscriptions.push(
      // startDebugging resolves before the debugger is in the app: js-debug attaches in a
      // child session, which sets the breakpoints. Ready is that session's configurationDone
      // answered and a breakpoint verified (or no breakpoint to set).
      vscode.debug.registerDebugAdapterTrackerFactory('*', { createDebugAdapterTracker: (s) => this.readinessTracker(s) }),
      vscode.debug.onDidStartDebugSession((s) => {
        const a = this.ours(s);
        if (a) a.debugSession = s;
      }),
      vscode.debug.onDidTerminateDebugSession((s) => {
        const a = this.ours(s);
        if (!a || a.debugSession?.id !== s.id) return;
        delete a.debugSession;
        void this.afterDebugSessionEnded(String(s.configuration[SESSION_KEY]));
      }),
    );
  }

  private readinessTracker(s: vscode.DebugSession): vscode.DebugAdapterTracker | undefined {
    let root = s;
    while (root.parentSession) root = root.parentSession;
    const name = root.configuration[SESSION_KEY];
    if (typeof name !== 'string') return undefined;
    const a = this.attached.get(name);
    // js-debug's top session only launches the child that talks to the inspector.
    if (!a || (a.info.target.protocol === 'inspector' && s === root)) return undefined;
    let configured = false;
    let verified = !a.info.frames.length;
    const check = () => { if (configured && verified) { this.readyWaiters.get(name)?.(); this.readyWaiters.delete(name); } };
    return {
      onDidSendMessage: (m: { type?: string; command?: string; event?: string; success?: boolean; body?: { breakpoints?: { verified?: boolean }[]; breakpoint?: { verified?: boolean } } }) => {
        if (m.type === 'response' && m.command === 'configurationDone') configured = true;
        if (m.type === 'response' && m.command === 'setBreakpoints' && m.body?.breakpoints?.some((b) => b.verified)) verified = true;
        if (m.type === 'event' && m.event === 'breakpoint' && m.body?.breakpoint?.verified) verified = true;
        check();
      },
    };
  }

  /**
   * Resolves when the session's debugger has its breakpoints in the app (true), or after
   * READY_MS (false: the replay goes ahead, the breakpoint may bind late). Immediately when
   * nothing is being attached.
   */
  whenReady(session: string): Promise<boolean> {
    const ready = this.attached.get(session)?.ready;
    if (!ready) return Promise.resolve(true);
    return Promise.race([ready, new Promise<boolean>((r) => setTimeout(() => r(false), READY_MS))]);
  }

  /** The Repro session a debug session belongs to (its configuration carries the name). */
  private ours(s: vscode.DebugSession): Attached | undefined {
    const name = s.configuration[SESSION_KEY];
    return typeof name === 'string' && !s.parentSession ? this.attached.get(name) : undefined;
  }

  /** The sessions on the engine, as the Sessions view shows them. */
  async sessions(): Promise<SessionSummary[]> {
    const { docker } = await this.engine.get();
    return listSessions(docker);
  }

  /** What attaching to `session` needs (engine, receipt); throws NoDebugTargetError with what to do. */
  async target(session: string, app?: string): Promise<SessionDebugInfo> {
    const { docker } = await this.engine.get();
    const s = (await listSessions(docker)).find((x) => x.session === session);
    if (!s) throw new Error(`There is no session named ${session} on the container engine (see the Sessions view).`);
    return findDebugTarget(docker, s, { home: reproHome(), ...(app ? { app } : {}) });
  }

  /**
   * Waits for the app's debugger, sets the frames' breakpoints and returns the configuration
   * to start (what the `repro` debug type resolves to). Follows the app's container from now on.
   */
  async prepare(session: string, app: string | undefined, token?: vscode.CancellationToken): Promise<AttachConfiguration | undefined> {
    const info = await this.target(session, app);
    for (const n of info.notes) this.log.warn(`[debug ${session}] ${n}`);
    const t = info.target;
    const provider = DEBUGGER_EXTENSION[t.protocol];
    if (t.protocol !== 'inspector' && !vscode.extensions.getExtension(provider.extension)) {
      const pick = await vscode.window.showErrorMessage(`Repro: attaching to ${t.app} (${t.protocol}) needs ${provider.label}, which is not installed.`, 'Show Extension');
      if (pick) await vscode.commands.executeCommand('workbench.extensions.search', provider.extension);
      return undefined;
    }
    const abort = new AbortController();
    const sub = token?.onCancellationRequested(() => abort.abort());
    try {
      const probe = await waitForDebugger(t.protocol, t.host, t.port, { signal: abort.signal, timeoutMs: 60000 });
      this.log.info(`[debug ${session}] ${t.protocol} at ${t.host}:${t.port} answered after ${probe.ms.toFixed(0)} ms (${probe.attempts} attempt(s))`);
      const prev = this.attached.get(session);
      const a: Attached = prev ?? { info, breakpoints: [] };
      a.info = info;
      if (probe.target) a.inspectorId = probe.target.id;
      this.attached.set(session, a);
      a.ready = new Promise<boolean>((resolve) => this.readyWaiters.set(session, () => resolve(true)));
      this.setBreakpoints(a, info.frames);
      this.follow(session, a);
      return attachConfiguration(t);
    } catch (e) {
      if (e instanceof ProbeCancelledError) return undefined;
      throw e;
    } finally {
      sub?.dispose();
    }
  }

  /** Attaches the debugger to `session` (no launch.json): true when the debug session started. */
  async attach(session: string, app?: string, token?: vscode.CancellationToken): Promise<boolean> {
    const running = this.attached.get(session)?.debugSession;
    if (running) { this.log.info(`[debug ${session}] already attached`); return true; }
    const config = await this.prepare(session, app, token);
    if (!config) return false;
    const a = this.attached.get(session)!;
    const folder = vscode.workspace.getWorkspaceFolder(vscode.Uri.file(a.info.target.localRoot));
    const ok = await vscode.debug.startDebugging(folder, config);
    if (ok && !(await this.whenReady(session))) this.log.warn(`[debug ${session}] the debugger did not confirm its breakpoints within ${READY_MS / 1000} s`);
    this.log.info(`[debug ${session}] ${ok ? 'attached' : 'the debugger did not start'} (${config.type} ${a.info.target.host}:${a.info.target.port}, ${a.info.target.localRoot} -> ${a.info.target.remoteRoot})`);
    return ok;
  }

  /** The session's state, if attached (tests and the replay read it). */
  state(session: string): Readonly<Attached> | undefined {
    return this.attached.get(session);
  }

  /**
   * The innermost frame (where the error was raised) gets an enabled breakpoint; the outer
   * frames get disabled ones, listed in the Breakpoints view to enable with a click, so the
   * first stop is where production failed. A breakpoint already on a line is reused, never
   * doubled (re-attaching calls this again).
   */
  private setBreakpoints(a: Attached, frames: readonly LocalFrame[]): void {
    const existing = vscode.debug.breakpoints.filter((b): b is vscode.SourceBreakpoint => b instanceof vscode.SourceBreakpoint);
    const add: vscode.SourceBreakpoint[] = [];
    const seen = new Set<string>();
    frames.forEach((f, i) => {
      const key = `${path.resolve(f.file)}:${f.line}`;
      if (seen.has(key)) return;
      seen.add(key);
      const there = existing.some((b) => b.location.uri.fsPath === path.resolve(f.file) && b.location.range.start.line === f.line - 1);
      if (there) return;
      const at = new vscode.Location(vscode.Uri.file(f.file), new vscode.Position(f.line - 1, 0));
      add.push(new vscode.SourceBreakpoint(at, i === 0));
    });
    if (!add.length) return;
    vscode.debug.addBreakpoints(add);
    a.breakpoints.push(...add);
    this.log.info(`[debug ${a.info.target.session}] breakpoints at ${add.map((b) => `${path.relative(a.info.target.localRoot, b.location.uri.fsPath)}:${b.location.range.start.line + 1}${b.enabled ? '' : ' (disabled)'}`).join(', ')}`);
  }

  /** The engine's events for the app's container: re-attach on start, clean up when it is removed. */
  private follow(session: string, a: Attached): void {
    if (a.events) return;
    void this.engine.get().then(({ docker }) => docker.getEvents({ filters: { type: ['container'], label: [`${LABEL.session}=${session}`], container: [a.info.containerId] } })).then((stream) => {
      if (this.attached.get(session) !== a) { (stream as unknown as { destroy(): void }).destroy(); return; }
      a.events = stream;
      let buf = '';
      stream.on('data', (d: Buffer) => {
        buf += d.toString();
        let nl;
        while ((nl = buf.indexOf('\n')) >= 0) {
          const line = buf.slice(0, nl).trim();
          buf = buf.slice(nl + 1);
          let action: unknown;
          try { action = (JSON.parse(line) as { Action?: unknown }).Action; } catch { continue; }
          if (action === 'start') void this.reattach(session, 'the app container started again');
          if (action === 'destroy') void this.forget(session, 'the session was removed');
        }
      });
      stream.on('error', () => { if (a.events === stream) delete a.events; });
      stream.on('end', () => { if (a.events === stream) delete a.events; });
    }, (e: unknown) => this.log.warn(`[debug ${session}] no engine events, so no re-attach on restart: ${(e as Error).message}`));
  }

  /**
   * A debug session of ours ended. If the app's process was replaced (another inspector
   * target: a restart inside the container), attach again; if the same process is still
   * there, the developer disconnected and it stays so. A stopped container re-attaches on start.
   */
  private async afterDebugSessionEnded(session: string): Promise<void> {
    const a = this.attached.get(session);
    if (!a) return;
    await new Promise((r) => setTimeout(r, 500));
    if (this.attached.get(session) !== a || a.debugSession || a.info.target.protocol !== 'inspector') return;
    try {
      const now = await inspectorTarget(a.info.target.host, a.info.target.port);
      if (now.id !== a.inspectorId) await this.reattach(session, 'the app\'s process was replaced');
    } catch {
      // Not answering: the container is stopping or restarting; its start event re-attaches.
    }
  }

  private async reattach(session: string, why: string): Promise<void> {
    const a = this.attached.get(session);
    if (!a || a.debugSession || a.reattaching) return;
    a.reattaching = true;
    try {
      this.log.info(`[debug ${session}] re-attaching: ${why}`);
      await this.attach(session, a.info.target.app);
    } catch (e) {
      this.log.warn(`[debug ${session}] re-attach failed: ${(e as Error).message}`);
    } finally {
      a.reattaching = false;
    }
  }

  /** The session is gone: stop its debug session and remove the breakpoints Repro added. */
  async forget(session: string, why: string): Promise<void> {
    const a = this.attached.get(session);
    if (!a) return;
    this.attached.delete(session);
    (a.events as unknown as { destroy?: () => void } | undefined)?.destroy?.();
    if (a.debugSession) await vscode.debug.stopDebugging(a.debugSession).then(undefined, () => undefined);
    if (a.breakpoints.length) vscode.debug.removeBreakpoints(a.breakpoints);
    this.log.info(`[debug ${session}] detached and ${a.breakpoints.length} breakpoint(s) removed: ${why}`);
  }

  dispose(): void {
    for (const name of [...this.attached.keys()]) void this.forget(name, 'the window closed');
    for (const d of this.subscriptions) d.dispose();
  }
}
