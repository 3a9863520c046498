// A command in a container with the caller's terminal or pipes attached, as `docker compose
// exec` does: standard input goes in (a piped file, or the keyboard), output comes out as it is
// written, and the command's exit code comes back. With a terminal on both ends the command
// gets a TTY of the terminal's size (raw mode: Ctrl-C, Ctrl-D and arrow keys reach the shell
// or psql inside); otherwise stdout and stderr stay apart and the end of the input is passed
// on, so `repro exec db -- psql < file.sql` reads the whole file and then ends.
import type Docker from 'dockerode';
import type { Duplex, Readable, Writable } from 'node:stream';
import { execExitCode, execStreamEnded } from './containerIo';

/** What the command is attached to: process.stdin/stdout/stderr for the CLI. */
export interface Attachment {
  stdin: Readable & { isTTY?: boolean; setRawMode?: (raw: boolean) => unknown };
  stdout: Writable & { isTTY?: boolean; columns?: number; rows?: number };
  stderr: Writable;
}

/** Runs `cmd` in container `id` attached to `io`; resolves to its exit code. */
export async function execAttached(docker: Docker, id: string, cmd: string[], io: Attachment, opts: { signal?: AbortSignal; env?: string[] } = {}): Promise<number> {
  opts.signal?.throwIfAborted();
  const tty = io.stdin.isTTY === true && io.stdout.isTTY === true;
  const exec = await docker.getContainer(id).exec({ Cmd: cmd, AttachStdin: true, AttachStdout: true, AttachStderr: true, Tty: tty, ...(opts.env?.length ? { Env: opts.env } : {}) });
  const stream = (await exec.start({ hijack: true, stdin: true, Tty: tty })) as Duplex;
  if (tty) stream.pipe(io.stdout, { end: false });
  else docker.modem.demuxStream(stream, io.stdout, io.stderr);

  const resize = () => {
    if (io.stdout.columns && io.stdout.rows) void exec.resize({ h: io.stdout.rows, w: io.stdout.columns }).catch(() => undefined);
  };
  const endInput = () => stream.end(); // the command sees the end of its input (EOF)
  if (tty) {
    io.stdin.setRawMode?.(true);
    resize();
    io.stdout.on('resize', resize);
  }
  io.stdin.on('end', endInput);
  io.stdin.pipe(stream, { end: false });
  try {
    await execStreamEnded(stream, opts.signal);
  } finally {
    // The command ended (or was cancelled) before its input did: stop reading the keyboard,
    // so that the process can exit.
    io.stdin.unpipe(stream);
    io.stdin.off('end', endInput);
    io.stdin.pause();
    if (tty) {
      io.stdin.setRawMode?.(false);
      io.stdout.off('resize', resize);
    }
  }
  return await execExitCode(exec);
}
