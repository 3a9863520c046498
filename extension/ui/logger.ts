// The one log channel, injected where needed; lines are tagged by component ("[manifest] ...").
import * as vscode from 'vscode';

export type Logger = Pick<vscode.LogOutputChannel, 'info' | 'warn' | 'error' | 'debug' | 'show'>;

export const createLogger = (): vscode.LogOutputChannel => vscode.window.createOutputChannel('Repro', { log: true });
