// A Go app's debugger, started by Repro as Node's inspector and Python's debugpy are: Delve,
// headless on the debug port, serving several clients in turn (--accept-multiclient), the app
// running meanwhile (--continue). VS Code's Go extension attaches to it in "remote" mode.
//   - `go run <package> [args]`: the app is started by `dlv debug` instead, which builds it
//     with optimisations off (every variable readable) into a file of the container's own
//     (not the mounted worktree) and runs it with the same arguments. `go run` itself builds
//     without debug information, so nothing could attach to it.
//   - Any other `run` (a binary `go build` made, a script that starts one): the app starts as
//     it is, and Delve attaches to the process that listens on the app's port once it does
//     (the container gets SYS_PTRACE for that). A binary built with -ldflags="-s -w" cannot be
//     debugged: the app's log says so, and how to build it.
//   - An image without dlv says so in the app's log, with the fix, and the app runs as written.
//   - A `run` that names dlv starts its own Delve: Repro adds nothing.
// Delve listens without authentication: the gateway publishes the port on 127.0.0.1 only.

import { procNetPort } from '../manifest/catalogue';
import { shellQuote } from './shellQuote';

/** The capability Delve needs to attach to a process it did not start. */
export const GO_DEBUG_CAPABILITY = 'SYS_PTRACE';

/** Where `dlv debug` writes the binary it builds: a folder of the container's own. */
const DEBUG_BINARY = '/tmp/.repro-dlv/app';

const NO_DLV = "repro: dlv (Delve) is not in this image, so the debugger cannot attach: use an image with dlv (go install github.com/go-delve/delve/cmd/dlv@latest in the app's image) and start the session again";

/** Whether the app's own command starts Delve (then Repro does not). */
export const startsOwnDelve = (run: string): boolean => /(^|[\s/;&|(])dlv(\s|$)/.test(run);

/** `go run <package or files> [program arguments]` with no build flags: what `dlv debug` can take over. */
const GO_RUN = /^go\s+run\s+([^\s-]\S*\.go(?:\s+[^\s-]\S*\.go)*|[^\s-]\S*)(?:\s+(.*))?$/s;

/** Whether `run` is a `go run` that the session starts under `dlv debug` instead. */
export const startsUnderDlvDebug = (run: string): boolean => GO_RUN.test(run.trim());

/**
 * How long an app started by `dlv debug` may take to become ready: its first build compiles the
 * standard library again, with optimisations off (28.8 s against 2.6 s for a hello-world app on
 * 2 vCPU), and a larger app's may outlast the usual minute.
 */
export const GO_DEBUG_BUILD_TIMEOUT_MS = 5 * 60_000;

/** Delve's server options: all interfaces inside the container (the gateway publishes it). */
const serverOptions = (port: number): string =>
  `--headless --listen=0.0.0.0:${port} --accept-multiclient --api-version=2 --continue`;

/**
 * The shell command that starts a Go app with Delve on `debugPort`, replacing `exec <run>`: one
 * compound command, so that it can follow the build step's `&&`. `appPort` is where the app
 * listens: how the attaching Delve finds the app's process.
 */
export function goDebugCommand(run: string, debugPort: number, appPort: number | undefined): string {
  const plain = `exec ${run}`;
  const haveDlv = 'command -v dlv >/dev/null 2>&1';
  const goRun = GO_RUN.exec(run.trim());
  if (goRun) {
    const args = goRun[2] ? ` -- ${goRun[2]}` : '';
    const building = 'repro: building the app for Delve with optimisations off (dlv debug): the first build compiles the standard library again and can take a few minutes';
    return `if ${haveDlv}; then echo ${shellQuote(building)} >&2 && mkdir -p ${DEBUG_BINARY.replace(/\/[^/]+$/, '')} && ` +
      `exec dlv debug ${goRun[1]} ${serverOptions(debugPort)} --output ${DEBUG_BINARY}${args}; ` +
      `else echo ${shellQuote(NO_DLV)} >&2; ${plain}; fi`;
  }
  if (appPort === undefined) {
    const why = 'repro: Delve attaches to the process that listens on the app port, and this app has no port in repro.yaml: ' +
      `start the app under dlv in its run command (dlv exec <binary> ${serverOptions(debugPort)}), or give it a port`;
    return `{ echo ${shellQuote(why)} >&2; ${plain}; }`;
  }
  return `{ { if ${haveDlv}; then ${attacher(debugPort, appPort)}; else echo ${shellQuote(NO_DLV)} >&2; fi; } & ${plain}; }`;
}

/**
 * Waits for a process to listen on appPort (the kernel's socket tables, then the process whose
 * descriptor is that socket), then attaches Delve to it. Runs beside the app, in the background.
 */
function attacher(debugPort: number, appPort: number): string {
  const portHex = procNetPort(appPort);
  const failed = 'repro: Delve could not attach to the app (see above). A binary linked with -ldflags="-s -w", or built by go run, ' +
    'has no debug information: build it with go build without -s and -w (and with -gcflags="all=-N -l" to read every variable), then start the session again';
  return [
    'pid=',
    // The app may take long to build and start: wait as long as it runs ($$ is the shell that
    // becomes the app). One `ls` lists every process's descriptors, headed by their folder.
    'while [ -z "$pid" ] && kill -0 $$ 2>/dev/null; do',
    `  for ino in $(awk '$2 ~ /:${portHex}$/ && $4 == "0A" { print $10 }' /proc/net/tcp /proc/net/tcp6 2>/dev/null); do`,
    `    pid=$(ls -l /proc/[0-9]*/fd 2>/dev/null | awk -v s="socket:[$ino]" '$0 ~ "^/proc/[0-9]+/fd:$" { split($0, p, "/"); at = p[3] } index($0, "-> " s) { print at; exit }')`,
    '    [ -z "$pid" ] || break',
    '  done',
    '  [ -n "$pid" ] || sleep 0.5',
    'done',
    '[ -n "$pid" ] || exit 0',
    `echo "repro: attaching Delve to the app (process $pid, listening on port ${appPort})" >&2`,
    `dlv attach "$pid" ${serverOptions(debugPort)} || echo ${shellQuote(failed)} >&2`,
  ].join('\n');
}
