// What attaching to a session needs, found from the engine and the session's receipt alone
// (so sessions started by the CLI, another window or before a reload work the same): the app's
// published debug port, the folder mounted into it (the incident's worktree, or the workspace
// folder for a session started from the Sessions view) and where, the protocol from the
// manifest in that folder, and for an incident the alert's frames and its failing request.
import * as path from 'node:path';
import type Docker from 'dockerode';
import type { IncidentRequest } from '../incident/model';
import { runtimeKind } from '../manifest/catalogue';
import { readProject } from '../manifest/project';
import { readReceipt } from '../session/receipt';
import { sessionDir } from '../session/storage';
import type { SessionContainer, SessionSummary } from '../stack/teardown';
import { DEBUG_PROTOCOLS, type AttachTarget, type DebugProtocol } from './attachConfig';
import { replayProblem } from './replay';

/** A frame of the alert on a file of this machine: where a breakpoint goes. */
export interface LocalFrame {
  /** Absolute, inside the target's localRoot. */
  file: string;
  /** 1-based. */
  line: number;
  column?: number;
  function?: string;
}

export interface SessionDebugInfo {
  target: AttachTarget;
  /** The app's container, whose start and stop events drive re-attaching. */
  containerId: string;
  /** http://127.0.0.1:<port>/ when the app publishes an HTTP port. */
  httpUrl?: string;
  /** Innermost first; only frames mapped onto a file of the local root. */
  frames: LocalFrame[];
  request?: IncidentRequest;
  incident?: string;
  /** Why a receipt's frames or request are not used, for the log. */
  notes: string[];
}

export class NoDebugTargetError extends Error {
  constructor(message: string) { super(message); this.name = 'NoDebugTargetError'; }
}

/** The session's apps that publish a debug port. */
export const debuggableApps = (s: SessionSummary): SessionContainer[] =>
  s.containers.filter((c) => c.role === 'app' && c.ports.some((p) => p.name === 'debug'));

/**
 * Everything needed to attach to `app` (default: the only debuggable app) of session `s`.
 * Throws NoDebugTargetError with what to do when the session cannot be debugged.
 */
export async function findDebugTarget(docker: Docker, s: SessionSummary, opts: { home: string; app?: string }): Promise<SessionDebugInfo> {
  const apps = debuggableApps(s);
  if (!apps.length) {
    const names = s.containers.filter((c) => c.role === 'app').map((c) => c.service);
    throw new NoDebugTargetError(names.length
      ? `Session ${s.session} publishes no debug port for ${names.join(', ')}. Add "debug: { port: 9229 }" (the port the app's debugger listens on) to apps.${names[0]} in repro.yaml and start the session again.`
      : `Session ${s.session} has no app container to debug.`);
  }
  const app = opts.app ? apps.find((c) => c.service === opts.app) : apps[0];
  if (!app) throw new NoDebugTargetError(`Session ${s.session} has no app "${opts.app}" with a debug port; it has ${apps.map((c) => c.service).join(', ')}.`);
  if (app.state !== 'running') throw new NoDebugTargetError(`${app.service} in session ${s.session} is ${app.state}, not running: see its logs in the Sessions view, or restart it.`);
  const debugPort = app.ports.find((p) => p.name === 'debug')!;
  const http = app.ports.find((p) => p.name === 'http');

  const info = await docker.getContainer(app.id).inspect();
  const binds = (info.Mounts ?? []).filter((m) => m.Type === 'bind' && m.Source && m.Destination);
  const workingDir = info.Config?.WorkingDir ?? '';
  const mount = binds.find((m) => workingDir === m.Destination || workingDir.startsWith(`${m.Destination}/`)) ?? binds[0];
  if (!mount) throw new NoDebugTargetError(`${app.service} in session ${s.session} has no source folder mounted, so there is no local code to map the debugger onto.`);
  const localRoot = mount.Source;
  const remoteRoot = mount.Destination;
  const protocol = debugProtocolOf(localRoot, app, info.Config?.Env ?? []);

  const notes: string[] = [];
  const receipt = readReceipt(sessionDir(opts.home, s.session));
  const ours = receipt && !receipt.endedAt && path.resolve(receipt.worktree) === path.resolve(localRoot) ? receipt : undefined;
  if (receipt && !ours) notes.push(`the receipt of ${s.session} is for ${receipt.endedAt ? 'an ended session' : `another folder (${receipt.worktree})`}; no frames or request from it`);
  const frames: LocalFrame[] = [];
  for (const f of ours?.frames ?? []) {
    if (!f.path) continue;
    const file = path.resolve(localRoot, f.path);
    const rel = path.relative(localRoot, file);
    if (!rel || rel.startsWith('..') || path.isAbsolute(rel) || !Number.isInteger(f.line) || f.line < 1) { notes.push(`frame ${f.path}:${f.line} is not a line of a file in ${localRoot}; skipped`); continue; }
    frames.push({ file, line: f.line, ...(f.column ? { column: f.column } : {}), ...(f.function ? { function: f.function } : {}) });
  }
  let request: IncidentRequest | undefined;
  if (ours?.request) {
    const problem = replayProblem(ours.request);
    if (problem) notes.push(`the receipt's request is not replayable: ${problem}`);
    else request = ours.request;
  }
  return {
    target: { session: s.session, app: app.service, protocol, host: '127.0.0.1', port: debugPort.hostPort, localRoot, remoteRoot },
    containerId: app.id,
    ...(http ? { httpUrl: `http://127.0.0.1:${http.hostPort}/` } : {}),
    frames,
    ...(request ? { request } : {}),
    ...(ours ? { incident: ours.incident.id } : {}),
    notes,
  };
}

/** The manifest's apps.<name>.debug.protocol, else the runtime's default, else what the app's environment shows. */
export function debugProtocolOf(localRoot: string, app: Pick<SessionContainer, 'service'>, env: readonly string[]): DebugProtocol {
  const a = readProject(localRoot).manifest?.apps?.[app.service];
  const runtime = a ? a.runtime.split(':')[0]! : undefined;
  const kind = runtime ? runtimeKind(runtime) : undefined;
  const declared = a?.debug?.protocol ?? kind?.debug.protocol;
  if (declared && (DEBUG_PROTOCOLS as readonly string[]).includes(declared)) return declared;
  if (env.some((e) => /^NODE_OPTIONS=.*--inspect/.test(e))) return 'inspector';
  if (kind) {
    throw new NoDebugTargetError(`Repro does not attach a debugger to ${kind.type} apps (${app.service}): it attaches to the V8 inspector (Node, Deno), ` +
      `debugpy (Python), Delve (Go) and JDWP (Java). Attach your own debugger to the published debug port (the Sessions view lists it), ` +
      `or, if ${app.service} speaks one of those, set apps.${app.service}.debug.protocol in ${path.join(localRoot, 'repro.yaml')}.`);
  }
  throw new NoDebugTargetError(`Repro cannot tell which debugger ${app.service} speaks: set apps.${app.service}.debug.protocol (inspector, debugpy, delve or jdwp) in ${path.join(localRoot, 'repro.yaml')}.`);
}
