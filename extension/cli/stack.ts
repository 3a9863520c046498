// repro up / ps / logs / exec / down: the stack on a real engine.
import * as path from 'node:path';
import { hasErrors } from '../core/manifest/diagnostics';
import { readProject } from '../core/manifest/project';
import { streamLogs } from '../core/stack/containerIo';
import { execIn } from '../core/stack/containerIo';
import { execAttached } from '../core/stack/execAttached';
import { besideAppEnv } from '../core/stack/nodeDebug';
import { cliEngine } from './engine';
import { selfHealthCheck } from '../core/stack/engineConnection';
import { planSession, projectSessionName, SESSION_ID } from '../core/stack/plan';
import { listSessions } from '../core/stack/teardown';
import { endSession, listReceipts } from '../core/session/lifecycle';
import { reproHome } from '../core/session/storage';
import type Docker from 'dockerode';
import { CancelledError, up } from '../core/stack/up';
import { CliError, EXIT } from './exitCodes';
import { printDiagnostics, summary, type Io } from './output';
import { resolveSession } from './session';

export async function upCommand(io: Io, dir: string, flags: { name?: string; source?: string }, signal: AbortSignal): Promise<number> {
  const p = readProject(dir);
  if (p.origin === 'none') throw new CliError(`No repro.yaml in ${dir}, and nothing to import.`, EXIT.noInput);
  if (!p.manifest || hasErrors(p.diagnostics)) {
    printDiagnostics(io, p.diagnostics);
    io.err(`cannot start: ${summary(p.diagnostics)}`);
    return EXIT.error;
  }
  const session = flags.name ?? projectSessionName(p.manifest.project.name);
  if (!SESSION_ID.test(session)) throw new CliError(`invalid --name "${session}": use lower-case letters, digits, ".", "_" or "-" (at most 41).`, EXIT.usage);
  const plan = planSession(p.manifest, {
    session, sourceDir: path.resolve(flags.source ?? dir),
    ...(process.env.REPRO_GATEWAY_IMAGE ? { gatewayImage: process.env.REPRO_GATEWAY_IMAGE } : {}),
  });
  const conn = await cliEngine();
  const { docker, engine: kind, endpoint } = conn;
  io.err(`starting session ${session} on ${kind} at ${endpoint}`);
  const started = performance.now();
  try {
    const stack = await up(docker, plan, {
      signal,
      selfHealthCheck: selfHealthCheck(conn),
      onEvent: (e) => {
        if (e.type === 'container') io.err(`  ${e.entry.padEnd(12)} ${e.state}`);
        else if (e.type === 'step') io.err(`  ${e.message}`);
        else if (e.progress.status === 'pulling') io.err(`  pulling ${e.progress.image}`);
      },
    });
    io.err(`ready in ${((performance.now() - started) / 1000).toFixed(1)} s`);
    for (const p2 of stack.published) {
      io.out(`${p2.entry} ${p2.name}: ${p2.name === 'http' ? `http://127.0.0.1:${p2.hostPort}/` : `127.0.0.1:${p2.hostPort}`}`);
    }
    // up starts the services empty; the data the manifest declares is a step of its own.
    const withData = Object.entries(p.manifest.services ?? {}).filter(([, svc]) => svc.data).map(([name]) => name);
    if (withData.length) io.err(`${withData.join(', ')} ${withData.length === 1 ? 'starts' : 'start'} empty: load the declared data with: repro data clone --session ${session}`);
    io.err(`stop it with: repro down ${session}`);
    return EXIT.ok;
  } catch (e) {
    if (e instanceof CancelledError) { io.err(e.message); return EXIT.cancelled; }
    throw e;
  }
}

export async function psCommand(io: Io, flags: { json: boolean }): Promise<number> {
  const conn = await cliEngine();
  const sessions = await listSessions(conn.docker, { conn });
  if (flags.json) { io.out(JSON.stringify(sessions, null, 2)); return EXIT.ok; }
  if (!sessions.length) { io.out('no sessions'); return EXIT.ok; }
  for (const s of sessions) {
    io.out(`${s.session}  (project ${s.project || '?'}${s.incident ? `, incident ${s.incident}` : ''})`);
    for (const c of s.containers) {
      const ports = c.ports.map((p) => `${p.name} 127.0.0.1:${p.hostPort}`).join(', ');
      // The engine's status text without its own health word: before API 1.44 Repro runs the
      // check itself while a container starts, and the two would disagree on one line.
      io.out(`  ${c.service.padEnd(12)} ${c.health.padEnd(9)} ${c.image.padEnd(22)} ${ports || c.status.replace(/\s*\((?:healthy|unhealthy|health: [^)]*)\)$/, '')}`);
    }
  }
  return EXIT.ok;
}

export async function logsCommand(io: Io, dir: string, flags: { session?: string; follow: boolean; service?: string; tail?: number }, signal: AbortSignal): Promise<number> {
  const { docker } = await cliEngine();
  const s = await resolveSession(docker, dir, flags.session);
  const containers = s.containers.filter((c) => c.role !== 'gateway' && (!flags.service || c.service === flags.service));
  if (!containers.length) throw new CliError(`No service "${flags.service}" in session ${s.session}: ${s.containers.map((c) => c.service).join(', ')}.`, EXIT.usage);
  const width = Math.max(...containers.map((c) => c.service.length));
  await Promise.all(containers.map((c) => streamLogs(docker, c.id, (l) => {
    const line = `${c.service.padEnd(width)} | ${l.text}`;
    if (l.stream === 'stderr') io.err(line); else io.out(line);
  }, { follow: flags.follow, signal, ...(flags.tail !== undefined ? { tail: flags.tail } : {}) })));
  return EXIT.ok;
}

export async function execCommand(io: Io, dir: string, flags: { session?: string; service: string; cmd: string[] }, signal: AbortSignal): Promise<number> {
  if (!flags.cmd.length) throw new CliError('nothing to run: repro exec <service> -- <command...>', EXIT.usage);
  const { docker } = await cliEngine();
  const s = await resolveSession(docker, dir, flags.session);
  const c = s.containers.find((x) => x.service === flags.service);
  if (!c) throw new CliError(`No service "${flags.service}" in session ${s.session}: ${s.containers.map((x) => x.service).join(', ')}.`, EXIT.usage);
  // Without the app's debugger (Repro's --inspect), which the command would find taken.
  const env = besideAppEnv((await docker.getContainer(c.id).inspect()).Config.Env ?? []);
  // Attached to the terminal or pipes when there are some; in-process callers get the output.
  if (io.attach) return await execAttached(docker, c.id, flags.cmd, io.attach, { signal, env });
  const r = await execIn(docker, c.id, flags.cmd, { signal, ...(env.length ? { env } : {}) });
  if (r.stdout) io.out(r.stdout.replace(/\n$/, ''));
  if (r.stderr) io.err(r.stderr.replace(/\n$/, ''));
  return r.exitCode;
}

export async function downCommand(io: Io, dir: string, flags: { name?: string; all: boolean; discard: boolean }): Promise<number> {
  const { docker } = await cliEngine();
  const home = reproHome();
  const names = flags.all ? (await listSessions(docker)).map((s) => s.session) : [await downTarget(docker, dir, home, flags.name)];
  for (const name of names) {
    const started = performance.now();
    const e = await endSession(docker, name, home, { discardChanges: flags.discard });
    const r = e.removed;
    io.out(`removed session ${name}: ${r.containers} container(s), ${r.networks} network(s), ${r.volumes} volume(s)${e.worktreeRemoved ? ', its worktree' : ''} in ${((performance.now() - started) / 1000).toFixed(1)} s`);
    if (e.worktreeKept) io.err(`kept the worktree ${e.worktreeKept.path}: ${e.worktreeKept.reason}`);
  }
  if (!names.length) io.out('no sessions');
  return EXIT.ok;
}

/**
 * The session `down` means. A named session whose containers are gone but whose receipt says
 * it did not end (its worktree may still be there) can still be ended.
 */
async function downTarget(docker: Docker, dir: string, home: string, name: string | undefined): Promise<string> {
  if (name && listReceipts(home).some((r) => r.session === name && !r.endedAt)) return name;
  return (await resolveSession(docker, dir, name, '"repro down <name>"')).session;
}
