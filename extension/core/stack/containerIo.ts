// Reading from containers: logs demultiplexed into lines (stdout and stderr kept apart, with
// the engine's timestamps), and exec with its exit code.
import type Docker from 'dockerode';
import { PassThrough, Writable } from 'node:stream';
import { finished } from 'node:stream/promises';
import { StringDecoder } from 'node:string_decoder';

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
  /** Only lines logged at or after this time (seconds since the epoch). */
  since?: number;
  signal?: AbortSignal;
}

/** The engine's timestamp at the start of a log message: RFC 3339, nanoseconds (Docker) or seconds (Podman). */
const STAMP = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d:\d\d) /;

/**
 * Splits one stream of a container's log into lines "2024-01-01T00:00:00.123456789Z text".
 * With `frames`, each write is one frame of the engine's multiplexed stream, i.e. one log
 * message, and the engine stamps every message, not every line: a line written in pieces
 * (`printf 'loading... '; sleep 1; echo done`: Podman keeps each piece a message of its own)
 * or longer than 16 KB (Docker and Podman cut it into several messages) arrives as several
 * frames, each starting with its own timestamp. A frame that continues an unterminated line
 * has its timestamp dropped (before decoding: a cut may fall inside a UTF-8 character), so
 * the line reads as the program wrote it, with the time its first piece was logged. Without
 * frames (a TTY: one raw stream) the bytes are split as they come.
 */
function lineSplitter(stream: 'stdout' | 'stderr', onLine: (l: LogLine) => void, frames: boolean): Writable {
  const decoder = new StringDecoder('utf8');
  let rest = '';
  let lineOpen = false; // the last frame did not end with a newline
  const emit = (raw: string) => {
    const sp = raw.indexOf(' ');
    const stamp = sp > 0 ? Date.parse(raw.slice(0, sp)) : NaN;
    const text = Number.isNaN(stamp) ? raw : raw.slice(sp + 1);
    onLine({ stream, time: Number.isNaN(stamp) ? Date.now() : stamp, text: text.replace(/\r$/, '') });
  };
  const take = (text: string) => {
    rest += text;
    let i: number;
    while ((i = rest.indexOf('\n')) >= 0) {
      emit(rest.slice(0, i));
      rest = rest.slice(i + 1);
    }
  };
  return new Writable({
    write(chunk: Buffer, _encoding, callback) {
      let bytes = chunk;
      if (frames && lineOpen) {
        const m = STAMP.exec(bytes.subarray(0, 48).toString('latin1'));
        if (m) bytes = bytes.subarray(m[0].length);
      }
      if (chunk.length) lineOpen = chunk[chunk.length - 1] !== 0x0a;
      take(decoder.write(bytes));
      callback();
    },
    final(callback) {
      take(decoder.end());
      if (rest) emit(rest);
      rest = '';
      callback();
    },
  });
}

/**
 * Streams a container's logs line by line until the container stops (follow) or the history
 * is read. Resolves when the stream ends or the signal aborts.
 */
export async function streamLogs(docker: Docker, id: string, onLine: (l: LogLine) => void, opts: LogOptions = {}): Promise<void> {
  const container = docker.getContainer(id);
  const info = await container.inspect();
  const tty = Boolean(info.Config.Tty);
  const common = {
    stdout: true, stderr: true, timestamps: true,
    ...(opts.tail !== undefined ? { tail: opts.tail } : {}),
    ...(opts.since !== undefined ? { since: opts.since } : {}),
  };
  const out = lineSplitter('stdout', onLine, !tty);
  const err = lineSplitter('stderr', onLine, !tty);
  if (!opts.follow) {
    const buf = await container.logs({ ...common, follow: false }) as unknown as Buffer;
    if (tty) out.write(buf); else demuxBuffer(buf, out, err);
    out.end();
    err.end();
    await Promise.all([finished(out), finished(err)]);
    return;
  }
  const stream = await container.logs({ ...common, follow: true }) as NodeJS.ReadableStream;
  await new Promise<void>((resolve) => {
    // Resolve once both splitters have emitted their last (possibly unterminated) line.
    void Promise.all([finished(out), finished(err)]).then(() => resolve(), () => resolve());
    let done = false;
    const finish = () => {
      if (done) return;
      done = true;
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
function demuxBuffer(buf: Buffer, out: Writable, err: Writable): void {
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
  await execStreamEnded(stream, opts.signal);
  return { exitCode: await execExitCode(exec), stdout, stderr };
}

/** Resolves when an exec's stream ends or closes; a cancel destroys it and rejects with the reason. */
export function execStreamEnded(stream: NodeJS.ReadableStream & { destroy(): void }, signal?: AbortSignal): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const onAbort = () => { stream.destroy(); settle(() => reject(signal?.reason)); };
    let settled = false;
    const settle = (fn: () => void) => {
      if (settled) return;
      settled = true;
      signal?.removeEventListener('abort', onAbort);
      fn();
    };
    stream.on('end', () => settle(resolve));
    stream.on('close', () => settle(resolve));
    stream.on('error', (err: Error) => settle(() => reject(err)));
    if (signal?.aborted) onAbort(); else signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** An exec's exit code, once its stream has ended (-1 if the engine does not say). */
export async function execExitCode(exec: Docker.Exec): Promise<number> {
  // The exit code is recorded a moment after the stream closes.
  let info = await exec.inspect();
  for (let i = 0; info.Running && i < 100; i++) {
    await new Promise((r) => setTimeout(r, 20));
    info = await exec.inspect();
  }
  return info.ExitCode ?? -1;
}
