// Finding and removing what a session created, by label. Used by `down`, by `up` when it fails
// or is cancelled, and to collect sessions left behind by a crash.
import type Docker from 'dockerode';
import { LABEL, parsePublish } from './labels';
import { addCheckedHealth, type EngineInfo } from './checkedHealth';

/** What a person wants to know of a container at a glance. */
export type ContainerHealth = 'starting' | 'healthy' | 'unhealthy' | 'running' | 'exited';

export interface SessionContainer {
  id: string;
  name: string;
  service: string;
  role: string;
  image: string;
  /** The engine's state ("running", "exited", ...) and status text ("Up 3 minutes (healthy)"). */
  state: string;
  status: string;
  health: ContainerHealth;
  /** What the host reaches of this container, through the session's gateway. */
  ports: { name: string; targetPort: number; hostPort: number }[];
}

export interface SessionSummary {
  session: string;
  project: string;
  incident?: string;
  containers: SessionContainer[];
  created: number;
}

/**
 * How long a session may show containers created but not started (or only networks and
 * volumes) before it counts as left over: a start pulls images and, in a reproduction, clones
 * data before the apps start, which on large data takes minutes.
 */
export const STARTING_GRACE_MS = 10 * 60_000;

/**
 * A session left by a crash or a closed window: a container stopped, or one that was created
 * and never started (or none at all) past STARTING_GRACE_MS. `busyHere` is a session this
 * window is starting or reproducing now, which never is.
 */
export function isLeftOver(s: SessionSummary, busyHere: (session: string) => boolean = () => false, now = Date.now()): boolean {
  if (busyHere(s.session)) return false;
  if (s.containers.some((c) => c.state !== 'running' && c.state !== 'created' && c.state !== 'restarting')) return true;
  const starting = !s.containers.length || s.containers.some((c) => c.state !== 'running');
  return starting && now - s.created > STARTING_GRACE_MS;
}

export function healthOf(state: string, status: string): ContainerHealth {
  if (state === 'running') {
    if (/\(unhealthy\)/.test(status)) return 'unhealthy';
    if (/\(health: starting\)/.test(status)) return 'starting';
    return /\(healthy\)/.test(status) ? 'healthy' : 'running';
  }
  return state === 'created' || state === 'restarting' ? 'starting' : 'exited';
}

/**
 * Every session on the engine, from the labels of its containers, networks and volumes (a
 * session that crashed before its first container still left a network or a volume). Given
 * the engine (`conn`), health the engine's list lacks comes from the checks (checkedHealth.ts).
 */
export async function listSessions(docker: Docker, opts: { conn?: EngineInfo } = {}): Promise<SessionSummary[]> {
  const [containers, networks, volumes] = await Promise.all([
    docker.listContainers({ all: true, filters: { label: [LABEL.session] } }),
    docker.listNetworks({ filters: { label: [LABEL.session] } }),
    docker.listVolumes({ filters: { label: [LABEL.session] } }),
  ]);
  const sessions = new Map<string, SessionSummary>();
  const get = (labels: Record<string, string>, created: number) => {
    const id = labels[LABEL.session]!;
    let s = sessions.get(id);
    if (!s) {
      s = { session: id, project: labels[LABEL.project] ?? '', containers: [], created, ...(labels[LABEL.incident] ? { incident: labels[LABEL.incident] } : {}) };
      sessions.set(id, s);
    }
    s.created = Math.min(s.created, created);
    return s;
  };
  for (const c of containers) {
    get(c.Labels, c.Created * 1000).containers.push({
      id: c.Id, name: (c.Names[0] ?? c.Id).replace(/^\//, ''), service: c.Labels[LABEL.service] ?? '', role: c.Labels[LABEL.role] ?? '',
      image: c.Image, state: c.State, status: c.Status, health: healthOf(c.State, c.Status), ports: [],
    });
  }
  // The gateway publishes the apps' ports; show each on the app it leads to.
  for (const g of containers.filter((c) => c.Labels[LABEL.role] === 'gateway')) {
    const s = sessions.get(g.Labels[LABEL.session]!);
    for (const p of parsePublish(g.Labels[LABEL.publish])) {
      const bound = g.Ports.find((x) => x.PrivatePort === p.containerPort && x.PublicPort);
      const app = s?.containers.find((c) => c.service === p.entry && c.role === 'app');
      if (bound && app) app.ports.push({ name: p.name, targetPort: p.targetPort, hostPort: bound.PublicPort });
    }
  }
  for (const n of networks) get(n.Labels ?? {}, Date.parse(n.Created ?? '') || Date.now());
  for (const v of volumes.Volumes ?? []) {
    const created = (v as { CreatedAt?: string }).CreatedAt;
    get(v.Labels ?? {}, Date.parse(created ?? '') || Date.now());
  }
  const list = [...sessions.values()].sort((a, b) => a.session.localeCompare(b.session));
  // What the engine's list says too little of, or too late (checkedHealth.ts).
  if (opts.conn) await addCheckedHealth(docker, list, opts.conn);
  return list;
}

export interface Removed {
  containers: number;
  networks: number;
  volumes: number;
}

const statusOf = (e: unknown) => (e as { statusCode?: number } | undefined)?.statusCode;

const ignoreMissing = (e: unknown) => {
  const code = statusOf(e);
  // 404: already gone; 409: another removal of the same container is in progress.
  if (code !== 404 && code !== 409) throw e;
};

export interface RemoveOptions {
  /**
   * Seconds a running container gets to stop (SIGTERM, or the image's stop signal) before it
   * is killed; 0 kills at once (what a failed or cancelled start uses). Default 3.
   */
  graceSeconds?: number;
}

/**
 * Removes every container, network and volume labelled with the session. Idempotent. Sweeps
 * again while it still finds something (a container created by a start that was still
 * running when the first sweep listed them), at most three times.
 */
export async function removeSession(docker: Docker, session: string, opts: RemoveOptions = {}): Promise<Removed> {
  const total: Removed = { containers: 0, networks: 0, volumes: 0 };
  for (let round = 0; round < 3; round++) {
    const r = await sweep(docker, session, opts.graceSeconds ?? 3);
    total.containers += r.containers;
    total.networks += r.networks;
    total.volumes += r.volumes;
    const left = await leftovers(docker, session);
    if (!left.containers && !left.networks && !left.volumes) return total;
  }
  const left = await leftovers(docker, session);
  throw new Error(`Could not remove everything of session ${session}: ${left.containers} container(s), ${left.networks} network(s), ` +
    `${left.volumes} volume(s) are left. Run "repro down ${session}" again, or remove what carries the label ${LABEL.session}=${session}.`);
}

async function sweep(docker: Docker, session: string, graceSeconds: number): Promise<Removed> {
  const filter = { label: [`${LABEL.session}=${session}`] };
  const containers = await docker.listContainers({ all: true, filters: filter });
  // Stop with a short grace period (or not at all), then remove; all containers in parallel.
  await Promise.all(containers.map(async (c) => {
    const ct = docker.getContainer(c.Id);
    if (graceSeconds > 0 && c.State === 'running') await ct.stop({ t: graceSeconds }).catch(ignoreMissing);
    await ct.remove({ force: true, v: true }).catch(ignoreMissing);
  }));
  const networks = await docker.listNetworks({ filters: filter });
  await Promise.all(networks.map((n) => retryWhileBusy(() => docker.getNetwork(n.Id).remove())));
  const { Volumes: volumes } = await docker.listVolumes({ filters: filter });
  await Promise.all((volumes ?? []).map((v) => retryWhileBusy(() => docker.getVolume(v.Name).remove())));
  return { containers: containers.length, networks: networks.length, volumes: (volumes ?? []).length };
}

/**
 * A network or volume can still count a container for a moment after the container is removed
 * (or while another removal of it is in progress): retry for about two seconds. Gone is done.
 */
async function retryWhileBusy(remove: () => Promise<unknown>): Promise<void> {
  for (let i = 0; ; i++) {
    try {
      await remove();
      return;
    } catch (e) {
      if (statusOf(e) === 404) return;
      if (i >= 20) throw e;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

/** Counts what is left of a session (for checks after down and after a failed up). */
export async function leftovers(docker: Docker, session: string): Promise<Removed> {
  const filter = { label: [`${LABEL.session}=${session}`] };
  const [c, n, v] = await Promise.all([
    docker.listContainers({ all: true, filters: filter }),
    docker.listNetworks({ filters: filter }),
    docker.listVolumes({ filters: filter }),
  ]);
  return { containers: c.length, networks: n.length, volumes: (v.Volumes ?? []).length };
}
