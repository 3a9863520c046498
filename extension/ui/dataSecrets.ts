// Connection strings of live data sources, kept in VS Code's secret storage (the OS keychain)
// under the variable name repro.yaml gives (services.<s>.data.source.live.env). A secret set
// here wins over the environment variable of the same name; neither is ever shown or logged.
import * as vscode from 'vscode';
import type { Manifest } from '../core/manifest/schema';

const KEY_PREFIX = 'repro.dataSource.';

/** The variable names the manifest's live sources read their connection string from. */
export function liveSourceVariables(m: Manifest | undefined): string[] {
  return [...new Set(Object.values(m?.services ?? {}).flatMap((s) => (s.data && 'live' in s.data.source ? [s.data.source.live.env] : [])))];
}

export async function readSourceSecrets(store: vscode.SecretStorage, m: Manifest | undefined): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (const name of liveSourceVariables(m)) {
    const v = await store.get(KEY_PREFIX + name);
    if (v) out.set(name, v);
  }
  return out;
}

/** "Repro: Set Data Source Connection…": asks for the connection string, stores it. */
export async function setSourceSecret(store: vscode.SecretStorage, m: Manifest | undefined): Promise<void> {
  const names = liveSourceVariables(m);
  if (!names.length) {
    void vscode.window.showInformationMessage('Repro: no service in repro.yaml reads a live database (data.source.live.env).');
    return;
  }
  const name = names.length === 1 ? names[0] : (await vscode.window.showQuickPick(names, { title: 'Which data source?' }));
  if (!name) return;
  const value = await vscode.window.showInputBox({
    title: `Connection string for ${name}`, password: true, ignoreFocusOut: true,
    prompt: 'A read-only connection to the source database, e.g. postgresql://reader:…@db.internal:5432/shop. Stored in the OS keychain; leave empty to remove it.',
  });
  if (value === undefined) return;
  if (value.trim()) await store.store(KEY_PREFIX + name, value.trim());
  else await store.delete(KEY_PREFIX + name);
  vscode.window.setStatusBarMessage(`Repro: ${value.trim() ? 'stored' : 'removed'} the connection string for ${name}`, 4000);
}
