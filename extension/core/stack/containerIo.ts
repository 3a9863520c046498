// Reading from containers: logs demultiplexed into lines (stdout and stderr kept apart, with
// the engine's timestamps), and exec with its exit code.
import type Docker from 'dockerode';
import { PassThrough } from 'node:stream';

export interface LogLine {
  stream: 'stdout' | 'stderr';
  /** Milliseconds since the epoch, from the engine's timestamp. */
  time: number;
  text: string;
}

export interface LogOptions {
  follow?: boolean;
  /** Only the last N lines ("all" by default). */
  tail?: number;
  signal?: AbortSignal;
}

/** Splits a byte stream into lines "2024-01-01T00:00:00.123456789Z text". */
function lineSplitter(stream: 'stdout' | 'stderr', onLine: (l: LogLine) => void): PassThrough {
  const out = new PassThrough();
  let rest = '';
  const emit = (raw: string) => {
    const sp = raw.indexOf(' ');
    const stamp = sp > 0 ? Date.parse(raw.slice(0, sp)) : NaN;
    const text = Number.isNaN(stamp) ? raw : raw.slice(sp + 1);
    onLine({ stream, time: Number.isNaN(stamp) ? Date.now() : stamp, text: text.replace(/\r$/, '') });
  };
  out.setEncoding('utf8');
  out.on('data', (chunk: string) => {
    rest += chunk;
    let i: number;
    while ((i = rest.indexOf('\n')) >= 0) {
      emit(rest.slice(0, i));
      rest = rest.slice(i + 1);
    }
  });
  out.on('end', () => { if (rest) emit(rest); rest = ''; });
  return out;
}

/**
 * Streams a container's logs line by line until the container stops (follow) or the history
 * is read. Resolves when the stream ends or the signal aborts.
 */
export async function streamLogs(docker: Docker, id: string, onLine: (l: LogLine) => void, opts: LogOptions = {}): Promise<void> {
  const container = docker.getContainer(id);
  const info = await container.inspect();
  const tty = Boolean(info.Config.Tty);
  const common = { stdout: true, stderr: true, timestamps: true, ...(opts.tail !== undefined ? { tail: opts.tail } : {}) };
  const out = lineSplitter('stdout', onLine);
  const err = lineSplitter('stderr', onLine);
  if (!opts.follow) {
    const buf = await container.logs({ ...common, follow: false }) as unknown as Buffer;
    await new Promise<void>((resolve) => {
      if (tty) { out.end(buf); } else { demuxBuffer(buf, out, err); out.end(); err.end(); }
      let ended = tty ? 1 : 0;
      const done = () => { if (++ended === 2) resolve(); };
      out.on('end', done); err.on('end', done);
      out.resume(); err.resume();
    });
    return;
  }
  const stream = await container.logs({ ...common, follow: true }) as NodeJS.ReadableStream;
  await new Promise<void>((resolve) => {
    // Resolve once both splitters have emitted their last (possibly unterminated) line.
    let ended = 0;
    const done = () => { if (++ended === 2) resolve(); };
    out.on('end', done);
    err.on('end', done);
    let finished = false;
    const finish = () => {
      if (finished) return;
      finished = true;
      opts.signal?.removeEventListener('abort', onAbort);
      out.end();
      err.end();
    };
    const onAbort = () => { (stream as unknown as { destroy: () => void }).destroy(); finish(); };
    if (tty) stream.pipe(out, { end: false }); else docker.modem.demuxStream(stream, out, err);
    stream.on('end', finish);
    stream.on('close', finish);
    stream.on('error', finish);
    if (opts.signal?.aborted) onAbort(); else opts.signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** Docker's multiplexed format: 8-byte headers [stream, 0, 0, 0, size(4 bytes BE)]. */
function demuxBuffer(buf: Buffer, out: PassThrough, err: PassThrough): void {
  let i = 0;
  while (i + 8 <= buf.length) {
    const kind = buf[i];
    const size = buf.readUInt32BE(i + 4);
    const payload = buf.subarray(i + 8, i + 8 + size);
    (kind === 2 ? err : out).write(payload);
    i += 8 + size;
  }
}

/** Collects the last `n` log lines of a container, for error messages. */
export async function lastLogLines(docker: Docker, id: string, n = 20): Promise<string[]> {
  const lines: string[] = [];
  try {
    await streamLogs(docker, id, (l) => lines.push(l.text), { tail: n });
  } catch {
    // A container that is already gone has no logs to show; the caller reports what it knows.
  }
  return lines.slice(-n);
}

export interface ExecResult {
  exitCode: number;
  stdout: string;
  stderr: string;
}

/** Runs `cmd` in a running container; an abort stops waiting for it and rejects with the signal's reason. */
export async function execIn(docker: Docker, id: string, cmd: string[], opts: { signal?: AbortSignal; env?: string[] } = {}): Promise<ExecResult> {
  opts.signal?.throwIfAborted();
  const exec = await docker.getContainer(id).exec({ Cmd: cmd, AttachStdout: true, AttachStderr: true, ...(opts.env ? { Env: opts.env } : {}) });
  const stream = await exec.start({ hijack: true, stdin: false });
  let stdout = '';
  let stderr = '';
  const o = new PassThrough();
  const e = new PassThrough();
  o.on('data', (d: Buffer) => { stdout += d.toString('utf8'); });
  e.on('data', (d: Buffer) => { stderr += d.toString('utf8'); });
  docker.modem.demuxStream(stream, o, e);
  await new Promise<void>((resolve, reject) => {
    const onAbort = () => { stream.destroy(); settle(() => reject(opts.signal?.reason)); };
    let settled = false;
    const settle = (fn: () => void) => {
      if (settled) return;
      settled = true;
      opts.signal?.removeEventListener('abort', onAbort);
      fn();
    };
    stream.on('end', () => settle(resolve));
    stream.on('close', () => settle(resolve));
    stream.on('error', (err) => settle(() => reject(err)));
    if (opts.signal?.aborted) onAbort(); else opts.signal?.addEventListener('abort', onAbort, { once: true });
  });
  // The exit code is recorded a moment after the stream closes.
  let info = await exec.inspect();
  for (let i = 0; info.Running && i < 100; i++) {
    await new Promise((r) => setTimeout(r, 20));
    info = await exec.inspect();
  }
  return { exitCode: info.ExitCode ?? -1, stdout, stderr };
}
