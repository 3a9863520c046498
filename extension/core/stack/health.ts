// Waiting until a container is ready: the engine's health status where it runs health checks
// (Docker), or the same check run through exec where it does not (Podman without systemd).
// A container that exits, or never gets healthy, fails with its last log lines.
import type Docker from 'dockerode';
import { execIn, lastLogLines } from './containerIo';

export class ContainerFailedError extends Error {
  constructor(
    readonly container: string,
    readonly reason: 'exited' | 'unhealthy',
    readonly logs: string[],
    detail: string,
  ) {
    super(`${detail}${logs.length ? `\nLast log lines of ${container}:\n${logs.map((l) => `  ${l}`).join('\n')}` : `\n(${container} wrote no log lines)`}`);
    this.name = 'ContainerFailedError';
  }
}

export interface HealthOptions {
  /** The check, exec form; undefined = "running" is enough. */
  test?: string[];
  timeoutMs: number;
  /** Run `test` through exec instead of trusting the engine's health status. */
  selfCheck: boolean;
  signal?: AbortSignal;
  /** A name for messages: 'service "db" (postgres:15)'. */
  label: string;
  /** What a failing check means, in the manifest's words ("nothing listened on port 3000 ..."). */
  failing?: string;
}

/** Resolves after `ms`, or at once when the signal aborts; never leaves a listener behind. */
const sleep = (ms: number, signal?: AbortSignal) => new Promise<void>((resolve) => {
  const done = () => { clearTimeout(t); signal?.removeEventListener('abort', done); resolve(); };
  const t = setTimeout(done, ms);
  signal?.addEventListener('abort', done, { once: true });
});

export async function waitReady(docker: Docker, id: string, name: string, opts: HealthOptions): Promise<void> {
  const deadline = Date.now() + opts.timeoutMs;
  const container = docker.getContainer(id);
  let lastCheck = '';
  for (let attempt = 0; ; attempt++) {
    opts.signal?.throwIfAborted();
    const info = await container.inspect();
    if (!info.State.Running) {
      const logs = await lastLogLines(docker, id);
      throw new ContainerFailedError(name, 'exited', logs,
        `${opts.label} exited with code ${info.State.ExitCode}${info.State.Error ? ` (${info.State.Error})` : ''} while starting.`);
    }
    if (!opts.test) return;
    if (!opts.selfCheck) {
      const status = info.State.Health?.Status;
      if (status === 'healthy') return;
      const lastLog = info.State.Health?.Log?.at(-1);
      if (lastLog) lastCheck = checkResult(lastLog.ExitCode, lastLog.Output);
    } else {
      try {
        const r = await execIn(docker, id, opts.test, opts.signal ? { signal: opts.signal } : {});
        if (r.exitCode === 0) return;
        lastCheck = checkResult(r.exitCode, r.stderr || r.stdout);
      } catch (e) {
        lastCheck = e instanceof Error ? e.message : String(e);
      }
    }
    if (Date.now() > deadline) {
      const logs = await lastLogLines(docker, id);
      throw new ContainerFailedError(name, 'unhealthy', logs,
        `${opts.label} did not become healthy within ${Math.round(opts.timeoutMs / 1000)} s${opts.failing ? `: ${opts.failing}` : ''} (check: ${opts.test.join(' ')}${lastCheck ? `; last result ${lastCheck}` : ''}).`);
    }
    // Poll quickly at first (most services are ready in a second or two), then back off.
    await sleep(attempt < 20 ? 100 : 300, opts.signal);
  }
}

/** "exit 1: connection refused", or "exit 1 (no output)" rather than a dangling colon. */
function checkResult(code: number, output: string): string {
  const last = output.trim().split('\n').at(-1)?.trim();
  return last ? `exit ${code}: ${last}` : `exit ${code}, no output`;
}
