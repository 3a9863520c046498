// The extension's one connection to the container engine, made on first use (never during
// activation) from the repro.engine.host setting, and made again when the setting changes.
import * as vscode from 'vscode';
import { connectEngine, type EngineConnection } from '../core/stack/engineConnection';
import type { Logger } from './logger';

export class EngineProvider implements vscode.Disposable {
  private pending: Promise<EngineConnection> | undefined;
  private readonly changed = new vscode.EventEmitter<void>();
  /** Fires when the setting changes: views should ask again. */
  readonly onDidChange = this.changed.event;
  private readonly watch: vscode.Disposable;

  constructor(private readonly log: Logger) {
    this.watch = vscode.workspace.onDidChangeConfiguration((e) => {
      if (!e.affectsConfiguration('repro.engine.host')) return;
      this.pending = undefined;
      this.changed.fire();
    });
  }

  /** The connection; rejects with EngineUnavailableError (whose message says how to start one). */
  get(): Promise<EngineConnection> {
    if (!this.pending) {
      const host = vscode.workspace.getConfiguration('repro').get<string>('engine.host')?.trim();
      this.pending = connectEngine(host ? { host } : {}).then((c) => {
        this.log.info(`[engine] ${c.engine} ${c.version} at ${c.endpoint} (from ${c.source})`);
        return c;
      });
      // A failed attempt is not cached: the user may start the engine and retry.
      this.pending.catch(() => { this.pending = undefined; });
    }
    return this.pending;
  }

  dispose(): void {
    this.watch.dispose();
    this.changed.dispose();
  }
}
