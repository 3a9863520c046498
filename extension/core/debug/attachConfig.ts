// The attach configuration of a session's app, per runtime, built from what the manifest and
// the engine say: no launch.json to write. Each protocol goes to the debugger VS Code users
// have for it (Node's built-in JavaScript debugger, debugpy, Delve through the Go extension,
// JDWP through the Java debugger), with the local code (worktree or workspace folder) mapped
// onto the path the app runs from in its container.
import { SESSION_ID } from '../stack/plan';

export const DEBUG_PROTOCOLS = ['inspector', 'debugpy', 'delve', 'jdwp'] as const;
export type DebugProtocol = (typeof DEBUG_PROTOCOLS)[number];

/** Where and how to attach to one app of one session. */
export interface AttachTarget {
  session: string;
  /** The app's name in repro.yaml. */
  app: string;
  protocol: DebugProtocol;
  /** The debug port as the host reaches it (published by the session's gateway on 127.0.0.1). */
  host: string;
  port: number;
  /** The code on this machine: the incident's worktree, or the workspace folder. */
  localRoot: string;
  /** Where that code is mounted in the app's container (apps.<name>.debug.remoteRoot, default /app). */
  remoteRoot: string;
}

/** A VS Code debug configuration, as plain data (core does not import `vscode`). */
export interface AttachConfiguration {
  type: string;
  request: 'attach';
  name: string;
  [key: string]: unknown;
}

/** The extension that provides each protocol's debug type, for a clear message when it is missing. */
export const DEBUGGER_EXTENSION: Record<DebugProtocol, { type: string; extension: string; label: string }> = {
  inspector: { type: 'node', extension: 'ms-vscode.js-debug', label: 'the built-in JavaScript debugger' },
  debugpy: { type: 'debugpy', extension: 'ms-python.debugpy', label: 'Python Debugger (ms-python.debugpy)' },
  delve: { type: 'go', extension: 'golang.go', label: 'Go (golang.go)' },
  jdwp: { type: 'java', extension: 'vscjava.vscode-java-debug', label: 'Debugger for Java (vscjava.vscode-java-debug)' },
};

/** The key every configuration Repro starts carries, so its debug sessions can be recognised. */
export const SESSION_KEY = 'reproSession';

export function attachName(t: Pick<AttachTarget, 'session' | 'app'>): string {
  return `Repro: ${t.app} in ${t.session}`;
}

export function attachConfiguration(t: AttachTarget): AttachConfiguration {
  const base = { request: 'attach' as const, name: attachName(t), [SESSION_KEY]: t.session };
  switch (t.protocol) {
    case 'inspector':
      return {
        ...base,
        type: 'node',
        address: t.host,
        port: t.port,
        localRoot: t.localRoot,
        remoteRoot: t.remoteRoot,
        // Repro re-attaches itself when the container restarts (it knows from the engine);
        // js-debug's own retry loop would race with it.
        restart: false,
        skipFiles: ['<node_internals>/**'],
        sourceMaps: true,
        // Source maps built inside the container point at remoteRoot: resolve them from there too.
        resolveSourceMapLocations: [`${t.localRoot}/**`, `${t.remoteRoot}/**`, '!**/node_modules/**'],
        timeout: 20000,
      };
    case 'debugpy':
      return {
        ...base,
        type: 'debugpy',
        connect: { host: t.host, port: t.port },
        pathMappings: [{ localRoot: t.localRoot, remoteRoot: t.remoteRoot }],
        justMyCode: true,
      };
    case 'delve':
      return {
        ...base,
        type: 'go',
        mode: 'remote',
        // Delve's own DAP server (Delve 1.7.3 and later) rather than the Go extension's legacy
        // adapter: the session's Delve is headless and multi-client, which both can reach, and
        // this one is the extension's default and maintained path.
        debugAdapter: 'dlv-dap',
        host: t.host,
        port: t.port,
        // Delve reports the container's paths; substitutePath maps local <-> remote both ways.
        substitutePath: [{ from: t.localRoot, to: t.remoteRoot }],
      };
    case 'jdwp':
      return {
        ...base,
        type: 'java',
        hostName: t.host,
        port: t.port,
        // JDWP speaks of classes, not files: the debugger finds sources under the local root.
        sourcePaths: [t.localRoot],
        projectName: t.app,
      };
  }
}

/** The `repro` debug type's own attributes (launch.json, the Run view): which session and app. */
export interface ReproDebugConfiguration {
  session?: string;
  app?: string;
}

const APP_NAME = /^[a-z][a-z0-9_-]{0,62}$/;

/**
 * Checks a `repro` configuration (it comes from a launch.json anyone may have written): the
 * problem in words, or undefined when it is usable. Both fields are optional: Repro asks.
 */
export function reproConfigProblem(c: Record<string, unknown>): string | undefined {
  if (c.request !== undefined && c.request !== 'attach') return `"request" is ${JSON.stringify(c.request)}; a repro configuration only attaches: use "attach"`;
  if (c.session !== undefined && (typeof c.session !== 'string' || !SESSION_ID.test(c.session))) {
    return `"session" is ${JSON.stringify(c.session)}; expected a session name as the Sessions view shows it (lower-case letters, digits, ".", "_", "-")`;
  }
  if (c.app !== undefined && (typeof c.app !== 'string' || !APP_NAME.test(c.app))) {
    return `"app" is ${JSON.stringify(c.app)}; expected an app name from repro.yaml's apps (e.g. "web")`;
  }
  return undefined;
}
