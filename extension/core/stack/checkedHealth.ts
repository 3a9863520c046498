// The health of a session's containers where the engine's list does not tell it, or tells it
// late (listSessions' `conn`):
// - Podman. Its Docker-compatible container list carries no health (4.3 says "Up 4 seconds"
//   whatever the checks found); its inspect does. And it runs checks from systemd timers:
//   without systemd none runs, and the recorded status stays "starting" for good. So the
//   health of a running container with a check is read from inspect, and when its last check
//   is older than two intervals (nothing is running them), one is run now through libpod's
//   healthcheck endpoint, which records it.
// - Docker before API 1.44 has no start interval: its first check comes one steady interval
//   (5 s) after the start, and until then it says "starting" of a container the session
//   already found ready. The check is run through exec for such a container.
// The Sessions view and `repro ps` then show what they show on a recent Docker.
import type Docker from 'dockerode';
import { execIn } from './containerIo';
import { selfHealthCheck, type EngineConnection } from './engineConnection';
import type { ContainerHealth, SessionContainer, SessionSummary } from './teardown';

/** Podman serves its own API under any /v<version>/libpod prefix (none: 404 on 4.3). */
const LIBPOD = '/v4.0.0/libpod';

export type EngineInfo = Pick<EngineConnection, 'engine' | 'apiVersion'>;

/** Sets the health of the sessions' containers the engine's list says too little of (in place). */
export async function addCheckedHealth(docker: Docker, sessions: SessionSummary[], conn: EngineInfo, now = Date.now()): Promise<void> {
  const containers = sessions.flatMap((s) => s.containers);
  if (conn.engine === 'podman') await Promise.all(containers.filter((c) => c.health === 'running').map((c) => podmanHealth(docker, c, now)));
  else if (selfHealthCheck(conn)) await Promise.all(containers.filter((c) => c.health === 'starting' && c.state === 'running').map((c) => dockerStarting(docker, c)));
}

async function podmanHealth(docker: Docker, c: SessionContainer, now: number): Promise<void> {
  try {
    const info = await docker.getContainer(c.id).inspect();
    const check = info.Config.Healthcheck;
    if (!check?.Test?.length || check.Test[0] === 'NONE') return;
    const intervalMs = (check.Interval || 30e9) / 1e6;
    const last = info.State.Health?.Log?.at(-1);
    const fresh = last !== undefined && now - Date.parse(last.End) < Math.max(2 * intervalMs, 10_000);
    const status = fresh ? info.State.Health?.Status : await runPodmanCheck(docker, c.id);
    c.health = healthOfStatus(status) ?? c.health;
  } catch {
    // Removed meanwhile, or the check could not run: the list's "running" stands.
  }
}

function runPodmanCheck(docker: Docker, id: string): Promise<string | undefined> {
  return new Promise((resolve, reject) => {
    docker.modem.dial({ path: `${LIBPOD}/containers/${encodeURIComponent(id)}/healthcheck`, method: 'GET', statusCodes: { 200: true } },
      (err: unknown, body: unknown) => (err ? reject(err) : resolve((body as { Status?: string } | undefined)?.Status)));
  });
}

/** Docker says "starting" until its first check: the check, run now, says whether it is healthy. */
async function dockerStarting(docker: Docker, c: SessionContainer): Promise<void> {
  try {
    const test = (await docker.getContainer(c.id).inspect()).Config.Healthcheck?.Test ?? [];
    const argv = test[0] === 'CMD' ? test.slice(1) : test[0] === 'CMD-SHELL' && test[1] ? ['/bin/sh', '-c', test[1]] : undefined;
    if (argv?.length && (await execIn(docker, c.id, argv)).exitCode === 0) c.health = 'healthy';
  } catch {
    // The engine's word stands.
  }
}

function healthOfStatus(status: string | undefined): ContainerHealth | undefined {
  return status === 'healthy' || status === 'unhealthy' || status === 'starting' ? status : undefined;
}
