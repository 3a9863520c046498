// repro reproduce / sessions / receipt: an incident from a link or a payload to a running
// reproduction, and the receipts reproductions leave.
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { RulesFrom } from '../core/data/workspaceRules';
import { openRepository } from '../core/git/repository';
import { incidentFromText, looksLikeLink } from '../core/incident/input';
import { MAX_PAYLOAD_BYTES } from '../core/incident/payloadJson';
import { hasErrors } from '../core/manifest/diagnostics';
import { readProject } from '../core/manifest/project';
import { listReceipts } from '../core/session/lifecycle';
import { previewReproduction } from '../core/session/preview';
import { readReceipt, receiptToMarkdown } from '../core/session/receipt';
import { ReproduceCancelledError, sessionNameFor, type ReproduceEvent } from '../core/session/reproduce';
import { runReproduction } from '../core/session/run';
import { waitForEngineCopies } from './data';
import { reproHome, sessionDir } from '../core/session/storage';
import { describeEndpoint, selfHealthCheck } from '../core/stack/engineConnection';
import { cliCacheSize } from './cacheSize';
import { cliEngine } from './engine';
import { SESSION_ID } from '../core/stack/plan';
import { listSessions } from '../core/stack/teardown';
import { CliError, EXIT } from './exitCodes';
import type { Io } from './output';

export interface ReproduceFlags {
  dir: string;
  yes: boolean;
  name?: string;
  remote?: string;
  rulesFrom?: RulesFrom;
}

/** REPRO_TRUSTED_ALERT_HOSTS: the CLI's repro.trustedAlertHosts, comma-separated. */
const trustedHosts = (): string[] => (process.env.REPRO_TRUSTED_ALERT_HOSTS ?? '').split(',').map((h) => h.trim()).filter(Boolean);

export async function reproduceCommand(io: Io, input: string, flags: ReproduceFlags, signal: AbortSignal): Promise<number> {
  const text = await readInput(io, input);
  const parsed = await incidentFromText(text, { trustedHosts: trustedHosts(), signal });
  if (!parsed.ok) throw new CliError(parsed.error, EXIT.error);
  for (const w of parsed.warnings) io.err(`warning: ${w}`);
  const incident = parsed.incident;

  const repo = await openRepository(flags.dir);
  const project = readProject(repo.root);
  const manifest = project.manifest && !hasErrors(project.diagnostics) ? project.manifest : undefined;
  const session = flags.name ?? sessionNameFor(manifest?.project.name ?? path.basename(repo.root), incident.id);
  if (!SESSION_ID.test(session)) throw new CliError(`invalid --name "${session}": use lower-case letters, digits, ".", "_" or "-" (at most 41).`, EXIT.usage);
  const home = reproHome();
  const size = cliCacheSize();
  const conn = await cliEngine();

  const preview = previewReproduction({
    incident, repo, home, session, engine: describeEndpoint(conn.endpoint, conn.engine),
    ...(manifest ? { manifest } : {}),
    from: parsed.from === 'link' ? 'a link' : parsed.from === 'payload-url' ? `the payload at ${parsed.payloadUrl}` : 'an alert payload',
  });
  io.err(preview.title);
  for (const l of preview.lines) io.err(`  ${l}`);
  if (preview.blockers.length) {
    throw new CliError(`cannot reproduce:\n${preview.blockers.map((b) => `  ${b}`).join('\n')}`, EXIT.error);
  }
  if (!flags.yes) {
    if (!io.ask) throw new CliError('nothing was started: confirm with --yes when there is no terminal to ask in', EXIT.usage);
    const answer = (await io.ask('Reproduce? [y/N] ')) ?? '';
    if (!/^y(es)?$/i.test(answer.trim())) { io.err('nothing was started'); return EXIT.ok; }
  }

  const started = performance.now();
  try {
    const r = await runReproduction({
      incident, repo, docker: conn.docker, selfHealthCheck: selfHealthCheck(conn), home, session, signal, cacheBytes: size.bytes,
      ...(flags.remote ? { remote: flags.remote } : {}),
      ...(flags.rulesFrom ? { rulesFrom: flags.rulesFrom } : {}),
      ...(process.env.REPRO_GATEWAY_IMAGE ? { gatewayImage: process.env.REPRO_GATEWAY_IMAGE } : {}),
      onEvent: (e) => printEvent(io, e),
      log: (m) => io.err(`    ${m}`),
    });
    io.err(`reproduced in ${((performance.now() - started) / 1000).toFixed(1)} s`);
    for (const p of r.receipt.published) io.out(`${p.entry} ${p.name}: ${p.url}`);
    io.out(`worktree: ${r.receipt.worktree}`);
    io.out(`receipt: ${r.files.markdown}`);
    io.err(`stop it with: repro down ${session}`);
    await waitForEngineCopies(io);
    return EXIT.ok;
  } catch (e) {
    if (e instanceof ReproduceCancelledError) { io.err(e.message); return EXIT.cancelled; }
    throw e;
  }
}

function printEvent(io: Io, e: ReproduceEvent): void {
  if (e.type === 'detail') { io.err(`    ${e.message}`); return; }
  if (e.state === 'start') return;
  const time = e.ms !== undefined ? ` ${(e.ms / 1000).toFixed(2)} s` : '';
  io.err(`  ${e.step.padEnd(9)} ${e.state}${time}${e.note ? `  ${e.note}` : ''}`);
}

/** A link as it is, "-" for standard input, otherwise a file holding a link or a payload. */
async function readInput(io: Io, input: string): Promise<string> {
  if (looksLikeLink(input)) return input;
  if (input === '-') {
    if (!io.readStdin) throw new CliError('no standard input to read the payload from', EXIT.usage);
    return io.readStdin(MAX_PAYLOAD_BYTES);
  }
  const file = path.resolve(io.cwd, input);
  let size: number;
  try {
    size = fs.statSync(file).size;
  } catch {
    throw new CliError(`"${input}" is neither a reproduce link (vscode://reprokit.repro/reproduce?...) nor a file; give a link, an alert payload file, or - for standard input`, EXIT.noInput);
  }
  if (size > MAX_PAYLOAD_BYTES) throw new CliError(`${file} is ${size} bytes; an alert payload is at most ${MAX_PAYLOAD_BYTES}`, EXIT.error);
  return fs.readFileSync(file, 'utf8');
}

export async function sessionsCommand(io: Io, flags: { json: boolean }): Promise<number> {
  const receipts = listReceipts(reproHome());
  // Which are still running, when the engine answers; the receipts are listed either way.
  let running: Set<string> | undefined;
  try {
    const { docker } = await cliEngine();
    running = new Set((await listSessions(docker)).map((s) => s.session));
  } catch {
    running = undefined;
  }
  const rows = receipts.map((r) => ({
    session: r.session, incident: r.incident.id, commit: r.commit, startedAt: r.startedAt, totalMs: r.totalMs,
    state: r.endedAt ? 'ended' : running === undefined ? 'unknown (engine not reachable)' : running.has(r.session) ? 'running' : 'gone',
  }));
  if (flags.json) { io.out(JSON.stringify(rows, null, 2)); return EXIT.ok; }
  if (!rows.length) { io.out('no reproductions yet (start one with: repro reproduce <link|payload-file>); sessions started by repro up are listed by repro ps'); return EXIT.ok; }
  for (const r of rows) {
    io.out(`${r.session.padEnd(28)} ${r.state.padEnd(8)} incident ${r.incident}, commit ${r.commit.slice(0, 12)}, ${r.startedAt}, ${(r.totalMs / 1000).toFixed(1)} s`);
  }
  return EXIT.ok;
}

export function receiptCommand(io: Io, session: string, flags: { json: boolean }): number {
  if (!SESSION_ID.test(session)) throw new CliError(`"${session}" is not a session name`, EXIT.usage);
  const r = readReceipt(sessionDir(reproHome(), session));
  if (!r) {
    const known = listReceipts(reproHome()).map((x) => x.session);
    throw new CliError(`no receipt for session "${session}"${known.length ? `; receipts exist for: ${known.join(', ')}` : ''}`, EXIT.noInput);
  }
  io.out(flags.json ? JSON.stringify(r, null, 2) : receiptToMarkdown(r));
  return EXIT.ok;
}
