// A Python app's debugger, started by Repro as Node's inspector is (NODE_OPTIONS): no change to
// the app's `run` command. The container's shell writes a sitecustomize.py into a folder of its
// own and puts that folder first on PYTHONPATH for the app's command only; Python imports it at
// start-up, before the app, and it starts debugpy listening on the debug port.
//   - The address is taken out of the environment once debugpy listens, so processes the app
//     starts (a reloader's child, a worker) do not try to listen on the same port: debugpy
//     itself attaches them to the same debug session.
//   - An image without debugpy says so in the app's log, with the fix, and the app runs.
//   - The image's own sitecustomize (Debian's, a virtualenv's) is run after it, not hidden.
//   - An app that starts debugpy itself keeps working: a `run` that names debugpy
//     (`python -m debugpy --listen ...`) gets nothing from Repro, and a debugpy.listen() in the
//     app's code answers the endpoint Repro's call opened.
//   - `repro exec` and the readiness check run without it: PYTHONPATH is set in the app's shell
//     only, not in the container's environment.

/** The variable that carries host:port to the sitecustomize (and which it removes). */
export const DEBUGPY_LISTEN_VARIABLE = 'REPRO_DEBUGPY_LISTEN';
/** The variable that carries the sitecustomize's source to the container's shell. */
const SITE_VARIABLE = 'REPRO_DEBUGPY_SITE';
/** The variables the session adds to a Python app's environment: not the app's configuration. */
export const PYTHON_DEBUG_VARIABLES: readonly string[] = [DEBUGPY_LISTEN_VARIABLE, SITE_VARIABLE];
/** A folder of the container's own (not the app's code, which is mounted from the worktree). */
const SITE_DIR = '/tmp/.repro-debugpy';

const SITECUSTOMIZE = `# Written by Repro when the session started: starts debugpy for apps.<name>.debug in repro.yaml.
import os, sys


def _repro_debugpy():
    address = os.environ.pop(${JSON.stringify(DEBUGPY_LISTEN_VARIABLE)}, None)
    if not address:
        return
    host, _, port = address.rpartition(":")
    try:
        import debugpy
    except ImportError:
        print("repro: debugpy is not installed in this image, so the debugger cannot attach: "
              "add debugpy to the app's dependencies (pip install debugpy) and start the session again",
              file=sys.stderr, flush=True)
        return
    try:
        endpoint = debugpy.listen((host, int(port)))
    except Exception as e:
        print("repro: debugpy could not listen on %s: %s" % (address, e), file=sys.stderr, flush=True)
        return
    print("repro: debugpy listening on %s" % address, file=sys.stderr, flush=True)

    # An app that starts debugpy itself (debugpy.listen in its code) finds it started: its call
    # answers the same endpoint instead of failing on a second listen.
    def listen(*args, **kwargs):
        return endpoint
    debugpy.listen = listen


def _image_sitecustomize():
    import importlib.util
    here = os.path.dirname(os.path.abspath(__file__))
    for folder in sys.path:
        candidate = os.path.join(folder or ".", "sitecustomize.py")
        if os.path.abspath(folder or ".") != here and os.path.isfile(candidate):
            spec = importlib.util.spec_from_file_location("_image_sitecustomize", candidate)
            module = importlib.util.module_from_spec(spec)
            spec.loader.exec_module(module)
            return


_repro_debugpy()
_image_sitecustomize()
`;

/** Whether the app's own command starts debugpy (then Repro does not). */
export const startsOwnDebugpy = (run: string): boolean => /\bdebugpy\b/.test(run);

/** What a Python app's container needs for debugpy on `port`: its environment and a command prefix. */
export function pythonDebugStart(port: number): { env: Record<string, string>; prelude: string } {
  return {
    env: { [DEBUGPY_LISTEN_VARIABLE]: `0.0.0.0:${port}`, [SITE_VARIABLE]: SITECUSTOMIZE },
    prelude: `mkdir -p ${SITE_DIR} && printf '%s' "$${SITE_VARIABLE}" > ${SITE_DIR}/sitecustomize.py && ` +
      `export PYTHONPATH="${SITE_DIR}\${PYTHONPATH:+:$PYTHONPATH}" && unset ${SITE_VARIABLE} && ` +
      // debugpy warns at every start that breakpoints in the standard library's frozen modules
      // may be missed; the attach configuration debugs the app's own code (justMyCode).
      'export PYDEVD_DISABLE_FILE_VALIDATION=1',
  };
}
