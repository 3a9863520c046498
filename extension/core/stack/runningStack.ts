// A session already on the engine, as the RunningStack that up() returns: what later steps
// (a data clone from the command line, a restart) need to work on a session they did not start.
import type Docker from 'dockerode';
import type { SessionSummary } from './teardown';
import type { RunningStack } from './up';

export async function runningStackOf(docker: Docker, s: SessionSummary): Promise<RunningStack> {
  const containers = await Promise.all(s.containers.map(async (c) => {
    const info = await docker.getContainer(c.id).inspect();
    return { name: c.name, entry: c.service, role: c.role as RunningStack['containers'][number]['role'], id: c.id, image: { ref: c.image, id: info.Image } };
  }));
  const published = s.containers.flatMap((c) => c.ports.map((p) => ({
    entry: c.service, name: p.name, targetPort: p.targetPort, containerPort: 0, hostPort: p.hostPort, hostIp: '127.0.0.1' as const,
  })));
  return { session: s.session, containers, published, timings: [] };
}
