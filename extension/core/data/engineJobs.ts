// Processes the data clone runs on the engine: an exec inside a session's container with its
// stdin and stdout as streams (psql reading a dump, COPY TO STDOUT), and throwaway containers
// (pg_dump, pg_restore) that are labelled with the session so that a crash leaves nothing the
// session's teardown does not collect, and that are removed as soon as they exit.
import { randomBytes } from 'node:crypto';
import type { Duplex, Readable } from 'node:stream';
import type Docker from 'dockerode';
import { LABEL } from '../stack/labels';
import { Demux, Tail } from './streams';

export interface ExecHandle {
  /** The exec's stdin (write, then end() to close it); undefined without stdin. */
  stdin?: Duplex;
  /** The exec's stdout, demultiplexed, with backpressure. */
  stdout: Readable;
  /** The last 64 KiB of its stderr. */
  stderr: Tail;
  /** Resolves with the exit code once the exec has ended (-1 when the engine cannot tell). */
  exit: Promise<number>;
  /** Closes the connection to the exec (it may run on without stdin; see the callers). */
  destroy(): void;
}

/** Starts `cmd` in a running container with its output (and optionally stdin) as streams. */
export async function startExec(
  docker: Docker, id: string, cmd: string[], opts: { stdin?: boolean; env?: string[] } = {},
): Promise<ExecHandle> {
  const exec = await docker.getContainer(id).exec({
    Cmd: cmd, AttachStdout: true, AttachStderr: true, AttachStdin: Boolean(opts.stdin), ...(opts.env ? { Env: opts.env } : {}),
  });
  const socket = await exec.start({ hijack: true, stdin: Boolean(opts.stdin) }) as Duplex;
  const stderr = new Tail();
  const demux = new Demux((b) => stderr.push(b));
  socket.on('error', (e) => demux.destroy(e));
  socket.pipe(demux);
  const closed = new Promise<void>((resolve) => {
    let done = false;
    const finish = () => { if (!done) { done = true; resolve(); } };
    socket.once('close', finish);
    socket.once('end', finish);
    socket.once('error', finish);
    demux.once('close', finish);
  });
  const exit = closed.then(async () => {
    // The exit code is recorded a moment after the stream closes.
    try {
      let info = await exec.inspect();
      for (let i = 0; info.Running && i < 250; i++) {
        await new Promise((r) => setTimeout(r, 20));
        info = await exec.inspect();
      }
      return info.Running ? -1 : info.ExitCode ?? -1;
    } catch {
      return -1;
    }
  });
  return { ...(opts.stdin ? { stdin: socket } : {}), stdout: demux, stderr, exit, destroy: () => socket.destroy() };
}

export interface JobOptions {
  /** The image, by id or reference: never pulled (the clone's own image is on the engine). */
  image: string;
  cmd: string[];
  /** Non-secret environment; secrets go through `stdinLine`. */
  env?: Record<string, string>;
  /** Labels of the session the job belongs to (session, project); role "data-job" is added. */
  labels: Record<string, string>;
  /** The network to join; "none" (default) for a job that needs none. */
  network?: string;
  /** One line written to the job's stdin, then stdin is closed: how a secret reaches it. */
  stdinLine?: string;
  /** Files to put into the container before it starts: a tar stream extracted at `path`. */
  archive?: { path: string; tar: Readable };
  /** Memory limit in bytes. */
  memoryBytes?: number;
  /** Replaces the image's entrypoint (a job that must not run the image's own start script). */
  entrypoint?: string[];
  /** Named volumes to mount (a job on a service's data folder). */
  volumes?: { name: string; target: string; readOnly?: boolean }[];
}

export interface Job {
  id: string;
  stdout: Readable;
  stderr: Tail;
  /** The exit code, once the job has exited; the container is removed once its output is read too. */
  exit: Promise<number>;
  /** Resolves once the container is removed (after it exited and its output was read). */
  gone: Promise<void>;
  /** Kills and removes the job at once (idempotent); `exit` then resolves. */
  dispose(): Promise<void>;
}

export const JOB_ROLE = 'data-job';

/** Creates, starts and streams a throwaway container; it is removed when it exits or on dispose(). */
export async function runJob(docker: Docker, o: JobOptions): Promise<Job> {
  const name = `repro-job-${randomBytes(6).toString('hex')}`;
  const withStdin = o.stdinLine !== undefined;
  const container = await docker.createContainer({
    name,
    Image: o.image,
    Cmd: o.cmd,
    ...(o.entrypoint ? { Entrypoint: o.entrypoint } : {}),
    Env: Object.entries(o.env ?? {}).map(([k, v]) => `${k}=${v}`),
    Labels: { ...o.labels, [LABEL.role]: JOB_ROLE },
    AttachStdout: true,
    AttachStderr: true,
    ...(withStdin ? { AttachStdin: true, OpenStdin: true, StdinOnce: true } : {}),
    HostConfig: {
      NetworkMode: o.network ?? 'none',
      RestartPolicy: { Name: 'no' },
      ...(o.memoryBytes ? { Memory: o.memoryBytes } : {}),
      ...(o.volumes ? { Mounts: o.volumes.map((v) => ({ Type: 'volume' as const, Source: v.name, Target: v.target, ReadOnly: Boolean(v.readOnly) })) } : {}),
    },
  });
  let removed: Promise<void> | undefined;
  const remove = () => (removed ??= container.remove({ force: true, v: true }).then(() => undefined, (e: { statusCode?: number }) => {
    if (e.statusCode !== 404 && e.statusCode !== 409) throw e;
  }));
  try {
    if (o.archive) await container.putArchive(o.archive.tar, { path: o.archive.path });
    const socket = await container.attach({ stream: true, stdin: withStdin, stdout: true, stderr: true, hijack: true }) as unknown as Duplex;
    const stderr = new Tail();
    const demux = new Demux((b) => stderr.push(b));
    socket.on('error', (e) => demux.destroy(e));
    socket.pipe(demux);
    await container.start();
    if (withStdin) {
      socket.write(`${o.stdinLine}\n`);
      socket.end();
    }
    const exit = container.wait().then((r: { StatusCode?: number }) => r.StatusCode ?? -1, () => -1);
    // Removed once it has exited and its output is read to the end (or on dispose()).
    const drained = new Promise<void>((resolve) => {
      if (socket.destroyed) resolve(); else socket.once('close', () => resolve());
    });
    const gone = Promise.all([exit, drained]).then(() => remove()).catch(() => undefined);
    return {
      id: container.id, stdout: demux, stderr, exit, gone,
      dispose: async () => { socket.destroy(); await remove(); },
    };
  } catch (e) {
    await remove().catch(() => undefined);
    throw e;
  }
}
