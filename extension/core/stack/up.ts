// Executes a plan on an engine: images, networks, volumes, then containers wave by wave (the
// containers of a wave in parallel), each waited on until healthy. Whatever goes wrong, or a
// cancel, removes everything the session created before the error reaches the caller.
import type Docker from 'dockerode';
import { shellQuote } from './shellQuote';
import { ensureImage, type ImageInfo, type PullProgress } from './images';
import { ContainerFailedError, waitReady } from './health';
import type { Plan, PlannedContainer, PlannedPort } from './plan';
import { leftovers, removeSession } from './teardown';

/** Docker's bridge option that leaves the host without an address on the network. */
const INHIBIT_HOST_ADDRESS = 'com.docker.network.bridge.inhibit_ipv4';

export type ContainerState = 'pending' | 'creating' | 'starting' | 'healthy' | 'running' | 'unhealthy' | 'exited' | 'removed';

export type StackEvent =
  | { type: 'image'; progress: PullProgress }
  | { type: 'step'; message: string }
  | { type: 'container'; name: string; entry: string; state: ContainerState; detail?: string };

export interface UpOptions {
  signal?: AbortSignal;
  onEvent?: (e: StackEvent) => void;
  /**
   * The engine does not check health at start-up pace (Podman without systemd runs no checks;
   * Docker before API 1.44 has no start interval): readiness is checked through exec instead
   * (engineConnection.selfHealthCheck).
   */
  selfHealthCheck?: boolean;
  serviceTimeoutMs?: number;
  appTimeoutMs?: number;
  /**
   * Runs once a container is created and on its networks, before its first start (e.g. data
   * put into its volume). A failure fails the session like a failed start.
   */
  beforeStart?: (c: PlannedContainer, id: string, signal?: AbortSignal) => Promise<void>;
}

export interface PublishedPort extends PlannedPort {
  hostPort: number;
}

export interface RunningStack {
  session: string;
  containers: { name: string; entry: string; role: PlannedContainer['role']; id: string; image: ImageInfo }[];
  published: PublishedPort[];
  timings: { step: string; ms: number }[];
}

export class SessionExistsError extends Error {
  constructor(readonly session: string) {
    super(`A session named "${session}" already exists on this engine. Stop it first (repro down ${session}), or pick another name (--name).`);
    this.name = 'SessionExistsError';
  }
}

export class CancelledError extends Error {
  /** @param cleanupProblem why removing what the session had created failed, if it did */
  constructor(readonly cleanupProblem?: string) {
    super(cleanupProblem === undefined
      ? 'Cancelled; everything the session had created was removed.'
      : `Cancelled, but removing what the session had created failed: ${cleanupProblem}`);
    this.name = 'CancelledError';
  }
}

export async function up(docker: Docker, plan: Plan, opts: UpOptions = {}): Promise<RunningStack> {
  const emit = opts.onEvent ?? (() => undefined);
  const timings: RunningStack['timings'] = [];
  const timed = async <T>(step: string, fn: () => Promise<T>): Promise<T> => {
    const t = performance.now();
    try { return await fn(); } finally { timings.push({ step, ms: Math.round(performance.now() - t) }); }
  };
  const existing = await leftovers(docker, plan.session);
  if (existing.containers || existing.networks || existing.volumes) throw new SessionExistsError(plan.session);

  try {
    const refs = [...new Set(plan.containers.map((c) => c.image))];
    const images = new Map<string, ImageInfo>();
    await timed('images', () => Promise.all(refs.map(async (ref) => {
      images.set(ref, await ensureImage(docker, ref, { ...(opts.signal ? { signal: opts.signal } : {}), onProgress: (progress) => emit({ type: 'image', progress }) }));
    })));

    await timed('networks and volumes', async () => {
      opts.signal?.throwIfAborted();
      await allSettledOrFirstError([
        ...plan.networks.map((n) => () => docker.createNetwork({
          Name: n.name, Driver: 'bridge', Internal: n.internal, CheckDuplicate: true, Labels: n.labels,
          // An internal network still gives the host an address on its bridge, and through it
          // every server of the host listening on all interfaces (a local database, a tunnel to
          // production) is in reach of the clone. Without that address the host is unreachable.
          ...(n.internal ? { Options: { [INHIBIT_HOST_ADDRESS]: 'true' } } : {}),
        })),
        ...plan.volumes.map((v) => () => docker.createVolume({ Name: v.name, Labels: v.labels })),
      ], opts.signal);
    });

    const ids = new Map<string, string>();
    for (const [i, wave] of plan.waves.entries()) {
      await timed(`wave ${i + 1}: ${wave.map((n) => n.replace(`repro-${plan.session}-`, '')).join(', ')}`, () =>
        allSettledOrFirstError(wave.map((name) => async (signal) => {
          const c = plan.containers.find((x) => x.name === name)!;
          ids.set(name, await startContainer(docker, c, { ...opts, signal }, emit));
        }), opts.signal));
    }

    const gateway = plan.containers.find((c) => c.role === 'gateway');
    const published = gateway ? await hostPorts(docker, ids.get(gateway.name)!, plan.published) : [];
    // A cancel that arrives after the last container started still cancels.
    opts.signal?.throwIfAborted();
    return {
      session: plan.session,
      containers: plan.containers.map((c) => ({ name: c.name, entry: c.entry, role: c.role, id: ids.get(c.name)!, image: images.get(c.image)! })),
      published,
      timings,
    };
  } catch (e) {
    emit({ type: 'step', message: 'removing what the session created' });
    let cleanupProblem: string | undefined;
    try {
      // Nothing of a failed start is worth a graceful stop: kill and remove at once.
      await removeSession(docker, plan.session, { graceSeconds: 0 });
    } catch (cleanup) {
      cleanupProblem = `${cleanup instanceof Error ? cleanup.message : String(cleanup)} (repro down ${plan.session} retries it)`;
    }
    if (opts.signal?.aborted) throw new CancelledError(cleanupProblem);
    if (cleanupProblem && e instanceof Error) e.message += `\nRemoving what the session created failed too: ${cleanupProblem}`;
    throw e;
  }
}

/**
 * Runs tasks in parallel and waits until every one has settled, so that nothing is still
 * creating engine objects when the caller cleans up. The first failure (or the outer signal)
 * aborts the signal the others get, and is what is thrown.
 */
async function allSettledOrFirstError(tasks: ((signal: AbortSignal) => Promise<unknown>)[], outer?: AbortSignal): Promise<void> {
  const ctl = new AbortController();
  const onAbort = () => ctl.abort(outer?.reason);
  if (outer?.aborted) ctl.abort(outer.reason);
  else outer?.addEventListener('abort', onAbort, { once: true });
  let failure: { error: unknown } | undefined;
  try {
    await Promise.allSettled(tasks.map(async (task) => {
      try {
        await task(ctl.signal);
      } catch (error) {
        failure ??= { error };
        ctl.abort(error);
      }
    }));
  } finally {
    outer?.removeEventListener('abort', onAbort);
  }
  if (failure) throw failure.error;
}

/**
 * The check as the engine stores it. Podman 4.3 splits every argument of a CMD test at its
 * spaces (`sh -c "a b"` became `sh -c a b`: the gateway's check failed, the app's passed
 * whatever its port did); a CMD-SHELL string it keeps. So a check with an argument holding
 * whitespace goes as CMD-SHELL, which Docker runs the same way (/bin/sh -c).
 */
export function healthTest(test: string[]): string[] {
  if (!test.some((a) => /\s/.test(a))) return ['CMD', ...test];
  if (test.length === 3 && test[0] === 'sh' && test[1] === '-c') return ['CMD-SHELL', test[2]!];
  return ['CMD-SHELL', test.map(shellQuote).join(' ')];
}

/**
 * A planned container as the Engine API's create body: on its first network with its host name
 * as alias (up() connects the others after creation), ports bound on 127.0.0.1 (0 = the engine
 * picks), health check in nanoseconds, no restart.
 */
export function containerCreateOptions(c: PlannedContainer, opts: { selfHealthCheck?: boolean } = {}): Docker.ContainerCreateOptions {
  const first = c.networks[0]!;
  return {
    name: c.name,
    Image: c.image,
    Hostname: c.hostname,
    Env: Object.entries(c.env).map(([k, v]) => `${k}=${v}`),
    ...(c.cmd ? { Cmd: c.cmd } : {}),
    ...(c.workingDir ? { WorkingDir: c.workingDir } : {}),
    Labels: c.labels,
    ExposedPorts: Object.fromEntries(c.ports.map((p) => [`${p.containerPort}/tcp`, {}])),
    ...(c.health ? {
      Healthcheck: {
        Test: healthTest(c.health.test),
        Interval: c.health.intervalMs * 1e6,
        Timeout: c.health.timeoutMs * 1e6,
        Retries: c.health.retries,
        StartPeriod: c.health.startPeriodMs * 1e6,
        // API 1.44: only for an engine that has it (an older one ignores an unknown field, but
        // then checks at the steady pace only, and readiness is checked through exec).
        ...(opts.selfHealthCheck ? {} : { StartInterval: c.health.startIntervalMs * 1e6 }),
      },
    } : {}),
    HostConfig: {
      NetworkMode: first,
      PortBindings: Object.fromEntries(c.ports.map((p) => [`${p.containerPort}/tcp`, [{ HostIp: p.hostIp, HostPort: p.hostPort ? String(p.hostPort) : '' }]])),
      Mounts: c.mounts.map((m) => ({ Type: m.type, Source: m.source, Target: m.target, ReadOnly: m.readOnly })),
      ...(c.resources.memoryBytes ? { Memory: c.resources.memoryBytes } : {}),
      ...(c.resources.nanoCpus ? { NanoCpus: c.resources.nanoCpus } : {}),
      RestartPolicy: { Name: 'no' },
      ...(c.capAdd ? { CapAdd: c.capAdd } : {}),
    },
    NetworkingConfig: { EndpointsConfig: { [first]: { Aliases: [c.hostname] } } },
  };
}

async function startContainer(docker: Docker, c: PlannedContainer, opts: UpOptions, emit: (e: StackEvent) => void): Promise<string> {
  opts.signal?.throwIfAborted();
  emit({ type: 'container', name: c.name, entry: c.entry, state: 'creating' });
  const others = c.networks.slice(1);
  const container = await docker.createContainer(containerCreateOptions(c, { selfHealthCheck: Boolean(opts.selfHealthCheck) }));
  for (const n of others) await docker.getNetwork(n).connect({ Container: container.id, EndpointConfig: { Aliases: [c.hostname] } });
  opts.signal?.throwIfAborted();
  await opts.beforeStart?.(c, container.id, opts.signal);
  opts.signal?.throwIfAborted();
  emit({ type: 'container', name: c.name, entry: c.entry, state: 'starting' });
  const label = `${c.role === 'app' ? 'app' : c.role === 'gateway' ? 'the gateway' : 'service'} "${c.entry}" (${c.image})`;
  try {
    await container.start();
    await waitReady(docker, container.id, c.name, {
      ...(c.health ? { test: c.health.test } : {}),
      ...(c.health?.failing ? { failing: c.health.failing } : {}),
      timeoutMs: c.role === 'app' ? Math.max(opts.appTimeoutMs ?? 60_000, c.readyTimeoutMs ?? 0) : opts.serviceTimeoutMs ?? 120_000,
      selfCheck: Boolean(opts.selfHealthCheck),
      label,
      ...(opts.signal ? { signal: opts.signal } : {}),
    });
  } catch (e) {
    // Stopped because the start was cancelled or another container failed: not its own fault.
    if (!opts.signal?.aborted) {
      emit({ type: 'container', name: c.name, entry: c.entry, state: e instanceof ContainerFailedError ? e.reason : 'unhealthy', detail: e instanceof Error ? e.message : String(e) });
    }
    throw e;
  }
  emit({ type: 'container', name: c.name, entry: c.entry, state: c.health ? 'healthy' : 'running' });
  return container.id;
}

async function hostPorts(docker: Docker, gatewayId: string, planned: PlannedPort[]): Promise<PublishedPort[]> {
  const info = await docker.getContainer(gatewayId).inspect();
  return planned.map((p) => {
    const bindings = info.NetworkSettings.Ports?.[`${p.containerPort}/tcp`] ?? [];
    const binding = bindings.find((b) => b.HostIp === p.hostIp);
    const hostPort = Number(binding?.HostPort ?? 0);
    if (!hostPort) {
      throw new Error(`The engine did not publish ${p.entry}'s ${p.name} port (${p.containerPort}/tcp) on ${p.hostIp}: ` +
        `bindings ${JSON.stringify(bindings)}.`);
    }
    return { ...p, hostPort };
  });
}
