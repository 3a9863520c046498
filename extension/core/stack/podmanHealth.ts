// The health of a session's containers on Podman. Its Docker-compatible container list carries
// none (Podman 4.3 says "Up 4 seconds" whatever the checks found); its inspect does. And Podman
// runs checks from systemd timers: without systemd none runs, and the recorded status stays
// "starting" for good. So on Podman the health of a running container with a check is read
// from inspect, and when its last check is older than two intervals (nothing is running them),
// one is run now through libpod's healthcheck endpoint, which records it: the Sessions view
// and `repro ps` then show what they show on Docker, at about Docker's pace.
import type Docker from 'dockerode';
import type { ContainerHealth, SessionSummary } from './teardown';

/** Podman serves its own API under any /v<version>/libpod prefix (none: 404 on 4.3). */
const LIBPOD = '/v4.0.0/libpod';

/** Sets the health of the sessions' running containers that have a check (in place). */
export async function addPodmanHealth(docker: Docker, sessions: SessionSummary[], now = Date.now()): Promise<void> {
  const running = sessions.flatMap((s) => s.containers).filter((c) => c.health === 'running');
  await Promise.all(running.map(async (c) => {
    try {
      const info = await docker.getContainer(c.id).inspect();
      const check = info.Config.Healthcheck;
      if (!check?.Test?.length || check.Test[0] === 'NONE') return;
      const intervalMs = (check.Interval || 30e9) / 1e6;
      const last = info.State.Health?.Log?.at(-1);
      const fresh = last !== undefined && now - Date.parse(last.End) < Math.max(2 * intervalMs, 10_000);
      const status = fresh ? info.State.Health?.Status : await runCheck(docker, c.id);
      c.health = healthOfStatus(status) ?? c.health;
    } catch {
      // Removed meanwhile, or the check could not run: the list's "running" stands.
    }
  }));
}

function runCheck(docker: Docker, id: string): Promise<string | undefined> {
  return new Promise((resolve, reject) => {
    docker.modem.dial({ path: `${LIBPOD}/containers/${encodeURIComponent(id)}/healthcheck`, method: 'GET', statusCodes: { 200: true } },
      (err: unknown, body: unknown) => (err ? reject(err) : resolve((body as { Status?: string } | undefined)?.Status)));
  });
}

function healthOfStatus(status: string | undefined): ContainerHealth | undefined {
  return status === 'healthy' || status === 'unhealthy' || status === 'starting' ? status : undefined;
}
