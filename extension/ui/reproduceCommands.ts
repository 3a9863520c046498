// The ways into a reproduction: the vscode://reprokit.repro/reproduce link an alert carries
// (the URI handler), "Reproduce from Alert…" with a pasted link or payload or a payload file,
// and the tools around them: the link templates to put in alert rules, a session's receipt.
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { buildLinkTemplates, parseReproduceLink, TRUSTED_HOSTS_SETTING } from '../core/incident/deepLink';
import { incidentFromPayloadUrl, incidentFromText, type IncidentInput } from '../core/incident/input';
import { MAX_PAYLOAD_BYTES } from '../core/incident/payloadJson';
import { readProject } from '../core/manifest/project';
import { readReceipt } from '../core/session/receipt';
import { reproHome, sessionDir } from '../core/session/storage';
import { SESSION_ID } from '../core/stack/plan';
import { REPRODUCE_COMMANDS, type ReproduceCommandKey } from './commandIds';
import { reproduceIncident, type ReproduceDeps } from './reproduceFlow';

const trustedHosts = (): string[] => {
  const v = vscode.workspace.getConfiguration().inspect<unknown>(TRUSTED_HOSTS_SETTING);
  // Only the user's own (global) value: a workspace must not be able to trust hosts.
  const list = v?.globalValue ?? v?.defaultValue;
  return Array.isArray(list) ? list.filter((h): h is string => typeof h === 'string') : [];
};

export function registerReproduce(deps: ReproduceDeps): vscode.Disposable {
  const handlers: Record<ReproduceCommandKey, (...args: unknown[]) => unknown> = {
    reproduceFromAlert: (text) => reproduceFromAlert(deps, typeof text === 'string' ? text : undefined),
    copyLinkTemplates: () => copyLinkTemplates(),
    openReceipt: (node) => openReceipt(node),
  };
  return vscode.Disposable.from(
    ...(Object.keys(handlers) as ReproduceCommandKey[]).map((k) => vscode.commands.registerCommand(REPRODUCE_COMMANDS[k], handlers[k])),
    vscode.window.registerUriHandler({ handleUri: (uri) => handleUri(deps, uri) }),
  );
}

/** vscode://reprokit.repro/reproduce?... (the scheme is the editor's: vscode, vscode-insiders...). */
async function handleUri(deps: ReproduceDeps, uri: vscode.Uri): Promise<void> {
  deps.log.info(`[link] ${uri.path} (${uri.query.length} characters of query)`);
  const link = parseReproduceLink({ path: uri.path, query: uri.query }, { trustedHosts: trustedHosts() });
  if (link.kind === 'error') {
    deps.log.warn(`[link] refused: ${link.errors.join(' | ')}`);
    const pick = await vscode.window.showErrorMessage('Repro refused the link it was opened with', { modal: true, detail: link.errors.join('\n\n') }, 'Open Trusted Hosts Setting');
    if (pick) await vscode.commands.executeCommand('workbench.action.openSettings', TRUSTED_HOSTS_SETTING);
    return;
  }
  if (link.kind === 'incident') return reproduceIncident(deps, link.incident, link.warnings, 'a link', { via: 'link' });
  const input = await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: `Repro: fetching the alert from ${new URL(link.url).host}`, cancellable: true }, (_p, token) => {
    const abort = new AbortController();
    token.onCancellationRequested(() => abort.abort());
    return incidentFromPayloadUrl(link.url, link.warnings, { trustedHosts: trustedHosts(), signal: abort.signal });
  });
  return proceed(deps, input, `the payload at ${link.url}`);
}

async function proceed(deps: ReproduceDeps, input: IncidentInput, from: string): Promise<void> {
  if (!input.ok) {
    deps.log.warn(`[reproduce] refused: ${input.error}`);
    await vscode.window.showErrorMessage('Repro cannot reproduce this alert', { modal: true, detail: input.error });
    return;
  }
  return reproduceIncident(deps, input.incident, input.warnings, from, { via: input.from, ...(input.payloadUrl ? { payloadUrl: input.payloadUrl } : {}) });
}

async function reproduceFromAlert(deps: ReproduceDeps, given: string | undefined): Promise<void> {
  let text = given;
  let from = 'pasted text';
  if (text === undefined) {
    const clip = (await vscode.env.clipboard.readText()).trim();
    const items: (vscode.QuickPickItem & { id: string })[] = [
      { id: 'paste', label: '$(clippy) Paste a link or payload…', detail: 'A reproduce link (vscode://reprokit.repro/reproduce?...) or an alert\'s JSON' },
      { id: 'file', label: '$(file) Open a payload file…', detail: 'JSON saved from Alertmanager, Grafana, PagerDuty, Sentry, Datadog or Opsgenie' },
      ...(clip ? [{ id: 'clipboard', label: '$(clippy) Use the clipboard', detail: clip.slice(0, 120).replace(/\s+/g, ' ') }] : []),
    ];
    const pick = await vscode.window.showQuickPick(items, { title: 'Reproduce from Alert', placeHolder: 'Where is the alert?' });
    if (!pick) return;
    if (pick.id === 'clipboard') { text = clip; from = 'the clipboard'; }
    if (pick.id === 'paste') {
      text = await vscode.window.showInputBox({
        title: 'Reproduce from Alert', prompt: 'Paste the reproduce link or the alert payload (JSON)', ignoreFocusOut: true,
        validateInput: (v) => (v.length > MAX_PAYLOAD_BYTES ? `At most ${MAX_PAYLOAD_BYTES} characters` : undefined),
      });
    }
    if (pick.id === 'file') {
      const uris = await vscode.window.showOpenDialog({ title: 'Open an alert payload', canSelectMany: false, filters: { 'Alert payload': ['json'], 'All files': ['*'] } });
      const file = uris?.[0]?.fsPath;
      if (!file) return;
      if (fs.statSync(file).size > MAX_PAYLOAD_BYTES) { void vscode.window.showErrorMessage(`Repro: ${path.basename(file)} is larger than ${MAX_PAYLOAD_BYTES} bytes; it is not an alert payload.`); return; }
      text = fs.readFileSync(file, 'utf8');
      from = path.basename(file);
    }
  }
  if (!text?.trim()) return;
  const input = await incidentFromText(text, { trustedHosts: trustedHosts() });
  return proceed(deps, input, input.ok && input.payloadUrl ? `the payload at ${input.payloadUrl}` : from);
}

async function copyLinkTemplates(): Promise<void> {
  const folder = vscode.workspace.workspaceFolders?.[0];
  const repository = folder ? readProject(folder.uri.fsPath).manifest?.project.repository : undefined;
  const templates = buildLinkTemplates(vscode.env.uriScheme, repository);
  const pick = await vscode.window.showQuickPick([
    ...templates.map((t) => ({ label: t.name, description: t.where, detail: t.template, template: t })),
    { label: 'All tools', description: 'as a Markdown document', detail: 'Every template with where it goes, an example and notes' },
  ], { title: 'Copy a reproduce link template', placeHolder: 'Which alert tool?', matchOnDetail: true });
  if (!pick) return;
  if ('template' in pick) {
    await vscode.env.clipboard.writeText(pick.template.template);
    void vscode.window.showInformationMessage(`Repro: the ${pick.label} link template is on the clipboard. Put it in ${pick.template.where}. ${pick.template.notes}`);
    return;
  }
  const md = [
    '# Reproduce links for alert tools',
    '',
    `Links open ${vscode.env.appName} (scheme \`${vscode.env.uriScheme}\`)${repository ? ` and name the repository ${repository}` : ''}.`,
    '',
    ...templates.flatMap((t) => [`## ${t.name}`, '', `Where: ${t.where}`, '', '```', t.template, '```', '', 'Renders as, for example:', '', '```', t.example, '```', '', t.notes, '']),
  ].join('\n');
  const doc = await vscode.workspace.openTextDocument({ language: 'markdown', content: md });
  await vscode.window.showTextDocument(doc);
}

async function openReceipt(node: unknown): Promise<void> {
  const session = typeof node === 'object' && node !== null && 'session' in node ? (node as { session: { session?: unknown } }).session.session : undefined;
  if (typeof session !== 'string' || !SESSION_ID.test(session)) { void vscode.window.showInformationMessage('Repro: pick a session in the Sessions view.'); return; }
  const dir = sessionDir(reproHome(), session);
  if (!readReceipt(dir)) {
    void vscode.window.showInformationMessage(`Repro: ${session} has no receipt: it was started from the workspace, not reproduced from an incident.`);
    return;
  }
  await vscode.commands.executeCommand('markdown.showPreview', vscode.Uri.file(path.join(dir, 'receipt.md')));
}
