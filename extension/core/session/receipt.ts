// The receipt a reproduction leaves for the postmortem: what was reproduced (incident, commit,
// manifest hash, image digests, data snapshot and scrub rules identity) and how long each step
// took. JSON for tools, Markdown for people; both written next to each other.
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { IncidentRequest } from '../incident/model';

export type StepName = 'resolve' | 'worktree' | 'manifest' | 'stack' | 'data' | 'ready';
export type StepStatus = 'done' | 'skipped' | 'failed' | 'cancelled';

export interface StepRecord {
  step: StepName;
  status: StepStatus;
  ms: number;
  note?: string;
}

export interface Receipt {
  version: 1;
  session: string;
  project: string;
  incident: { id: string; source: string; title?: string; environment?: string; service?: string; time?: string; url?: string };
  repository?: string;
  /** The developer's clone the worktree belongs to. */
  clone: string;
  commit: string;
  release?: string;
  worktree: string;
  manifest: { file: string; sha256: string };
  images: { entry: string; ref: string; id: string; digest?: string }[];
  /** The data clone: absent until a data source is cloned. */
  /** rulesFrom: the scrub rules came from the checkout's repro.yaml, not the commit's (workspaceRules.ts). */
  data?: { snapshot: string; rules: string; rulesFrom?: 'workspace' };
  /** The alert's stack frames, innermost first, with the worktree file each maps to (path) or why none. */
  frames?: { file: string; line: number; column?: number; function?: string; path?: string; reason?: string }[];
  /**
   * The incident's failing request, to replay against the clone ("Replay Request"). Already
   * sanitized where the incident was made: credential headers dropped, JSON secrets redacted.
   */
  request?: IncidentRequest;
  published: { entry: string; name: string; url: string }[];
  steps: StepRecord[];
  startedAt: string;
  finishedAt: string;
  totalMs: number;
  /** Set when the session is stopped: its containers and worktree are gone, the receipt stays. */
  endedAt?: string;
}

export function receiptToMarkdown(r: Receipt): string {
  const rows = r.steps.map((s) => `| ${s.step} | ${s.status} | ${(s.ms / 1000).toFixed(2)} s | ${s.note ?? ''} |`);
  const share = (ms: number) => (r.totalMs ? `${Math.round((ms / r.totalMs) * 100)}%` : '');
  return [
    `# Reproduction of incident ${r.incident.id}`,
    '',
    r.incident.title ? `> ${r.incident.title.replace(/\n/g, ' ')}` : '',
    '',
    `- Session: \`${r.session}\` (project \`${r.project}\`)`,
    `- Incident: ${r.incident.source}${r.incident.environment ? `, environment ${r.incident.environment}` : ''}${r.incident.service ? `, service ${r.incident.service}` : ''}${r.incident.time ? `, at ${r.incident.time}` : ''}${r.incident.url ? ` ([alert](${r.incident.url}))` : ''}`,
    `- Commit: \`${r.commit}\`${r.release ? ` (release ${r.release})` : ''}${r.repository ? ` of ${r.repository}` : ''}`,
    `- Worktree: \`${r.worktree}\``,
    `- Manifest: \`${r.manifest.file}\`, sha256 \`${r.manifest.sha256}\``,
    `- Data: ${r.data ? `snapshot \`${r.data.snapshot}\`, scrub rules \`${r.data.rules}\`${r.data.rulesFrom === 'workspace' ? ' (from the checkout\'s repro.yaml, not the commit\'s)' : ''}` : 'no data cloned'}`,
    `- Started ${r.startedAt}, ready ${r.finishedAt}: **${(r.totalMs / 1000).toFixed(1)} s** to reproduce`,
    '',
    '## Images',
    '',
    '| entry | image | id | digest |',
    '| --- | --- | --- | --- |',
    ...r.images.map((i) => `| ${i.entry} | \`${i.ref}\` | \`${i.id.slice(0, 19)}\` | ${i.digest ? `\`${i.digest}\`` : 'none (not pulled from a registry)'} |`),
    '',
    '## Steps',
    '',
    '| step | status | time | note |',
    '| --- | --- | --- | --- |',
    ...rows,
    '',
    `Share of the total: ${r.steps.filter((s) => s.ms > 0).map((s) => `${s.step} ${share(s.ms)}`).join(', ')}.`,
    '',
    ...(r.frames?.length ? ['## Stack frames', '', ...r.frames.map((f) => `- ${f.function ? `\`${f.function}\` ` : ''}${f.path ? `\`${f.path}:${f.line}\`` : `${f.file}:${f.line} (not mapped: ${f.reason ?? 'unknown'})`}`), ''] : []),
    ...(r.request ? ['## Failing request', '', `\`${r.request.method} ${r.request.path}\`${Object.keys(r.request.headers).length ? ` with headers ${Object.keys(r.request.headers).map((h) => `\`${h}\``).join(', ')}` : ''}${r.request.body !== undefined ? `, a ${Buffer.byteLength(r.request.body, 'utf8')}-byte body` : ''}`, ''] : []),
    ...(r.published.length ? ['## Reachable', '', ...r.published.map((p) => `- ${p.entry} ${p.name}: ${p.url}`), ''] : []),
  ].join('\n');
}

/** Writes receipt.json and receipt.md into `dir`; returns their paths. */
export function writeReceipt(dir: string, r: Receipt): { json: string; markdown: string } {
  fs.mkdirSync(dir, { recursive: true });
  const json = path.join(dir, 'receipt.json');
  const markdown = path.join(dir, 'receipt.md');
  fs.writeFileSync(json, JSON.stringify(r, null, 2) + '\n');
  fs.writeFileSync(markdown, receiptToMarkdown(r));
  return { json, markdown };
}

export function readReceipt(dir: string): Receipt | undefined {
  try {
    const r = JSON.parse(fs.readFileSync(path.join(dir, 'receipt.json'), 'utf8')) as Receipt;
    return r.version === 1 ? r : undefined;
  } catch {
    return undefined;
  }
}
