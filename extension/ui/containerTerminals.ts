// Terminals on a session's containers, through the Engine API (no docker CLI needed, so they
// work with Podman and remote engines): a read-only log tail, and an interactive shell.
import type Docker from 'dockerode';
import * as vscode from 'vscode';
import { streamLogs } from '../core/stack/containerIo';
import { besideAppEnv } from '../core/stack/nodeDebug';

const DIM = '\x1b[2m';
const RED = '\x1b[31m';
const RESET = '\x1b[0m';

export function logTerminal(docker: Docker, id: string, title: string): vscode.Terminal {
  const write = new vscode.EventEmitter<string>();
  const close = new vscode.EventEmitter<void>();
  const abort = new AbortController();
  const pty: vscode.Pseudoterminal = {
    onDidWrite: write.event,
    onDidClose: close.event,
    open: () => {
      streamLogs(docker, id, (l) => {
        const time = new Date(l.time).toISOString().slice(11, 23);
        write.fire(`${DIM}${time}${RESET} ${l.stream === 'stderr' ? RED : ''}${l.text}${l.stream === 'stderr' ? RESET : ''}\r\n`);
      }, { follow: true, tail: 500, signal: abort.signal })
        .then(() => write.fire(`${DIM}-- the container stopped; its log ends here --${RESET}\r\n`))
        .catch((e: unknown) => { if (!abort.signal.aborted) write.fire(`${RED}cannot read the logs: ${(e as Error).message}${RESET}\r\n`); });
    },
    close: () => { abort.abort(); write.dispose(); close.dispose(); },
  };
  return vscode.window.createTerminal({ name: title, pty, iconPath: new vscode.ThemeIcon('output') });
}

export function shellTerminal(docker: Docker, id: string, title: string): vscode.Terminal {
  const write = new vscode.EventEmitter<string>();
  const close = new vscode.EventEmitter<number | void>();
  let stream: NodeJS.ReadWriteStream | undefined;
  let exec: Docker.Exec | undefined;
  let size: vscode.TerminalDimensions | undefined;
  const resize = () => { if (exec && size) exec.resize({ h: size.rows, w: size.columns }).catch(() => undefined); };
  const pty: vscode.Pseudoterminal = {
    onDidWrite: write.event,
    onDidClose: close.event,
    open: (dims) => {
      size = dims;
      void (async () => {
        try {
          const container = docker.getContainer(id);
          exec = await container.exec({
            // bash where the image has it, sh everywhere else
            Cmd: ['sh', '-c', 'if command -v bash >/dev/null 2>&1; then exec bash; else exec sh; fi'],
            AttachStdin: true, AttachStdout: true, AttachStderr: true, Tty: true,
            // node and npm in the shell run without the app's inspector (its port is taken).
            Env: ['TERM=xterm-256color', ...besideAppEnv((await container.inspect()).Config.Env ?? [])],
          });
          stream = await exec.start({ hijack: true, stdin: true, Tty: true });
          resize();
          stream.on('data', (d: Buffer) => write.fire(d.toString('utf8')));
          stream.on('end', () => {
            void exec?.inspect().then((i) => close.fire(i.ExitCode ?? 0), () => close.fire(0));
          });
        } catch (e) {
          write.fire(`${RED}cannot open a shell: ${(e as Error).message}${RESET}\r\n`);
        }
      })();
    },
    handleInput: (data) => { stream?.write(data); },
    setDimensions: (dims) => { size = dims; resize(); },
    close: () => { stream?.end(); write.dispose(); close.dispose(); },
  };
  return vscode.window.createTerminal({ name: title, pty, iconPath: new vscode.ThemeIcon('terminal') });
}
