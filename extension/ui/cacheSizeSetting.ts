// The repro.data.cacheSize setting (cacheSize.ts). A value that is not a size does not stop a
// reproduction over a disk budget: the default serves, and the user is told what to fix.
import * as vscode from 'vscode';
import { CACHE_SIZE_SETTING, cacheSize, CacheSizeError, DEFAULT_CACHE_BYTES } from '../core/data/cacheSize';
import { formatBytes } from '../core/data/cache';

/** Read once per reproduction: a bad value warns once, whatever the retries. */
export function dataCacheBytes(log: { warn(message: string): void }): number {
  const value = vscode.workspace.getConfiguration().get<string>(CACHE_SIZE_SETTING) ?? '';
  try {
    // Not the environment: REPRO_DATA_CACHE_SIZE is the command line's form of this setting.
    return cacheSize(value, {}).bytes;
  } catch (e) {
    if (!(e instanceof CacheSizeError)) throw e;
    log.warn(`[data] ${e.message}`);
    void vscode.window.showWarningMessage(`Repro: ${e.message}. Until then the data cache keeps ${formatBytes(DEFAULT_CACHE_BYTES)}.`, 'Open Settings').then((a) => {
      if (a) void vscode.commands.executeCommand('workbench.action.openSettings', CACHE_SIZE_SETTING);
    });
    return DEFAULT_CACHE_BYTES;
  }
}
