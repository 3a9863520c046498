// A minimal Debug Adapter Protocol client over TCP, for debugpy: what VS Code's Python Debugger
// extension does with Repro's attach configuration (connect to host:port, attach with its
// pathMappings, set breakpoints by local path, wait for a stop). That extension comes from a
// marketplace these machines cannot reach, so the integration test speaks the protocol itself,
// to the real debugpy in the session's container.
import * as net from 'node:net';

interface Message {
  seq: number;
  type: 'request' | 'response' | 'event';
  command?: string;
  event?: string;
  request_seq?: number;
  success?: boolean;
  message?: string;
  body?: Record<string, unknown>;
}

export class DapClient {
  private seq = 1;
  private buffer = Buffer.alloc(0);
  private readonly pending = new Map<number, { resolve: (m: Message) => void; reject: (e: Error) => void }>();
  private readonly events: Message[] = [];
  private readonly waiters: { event: string; resolve: (m: Message) => void }[] = [];

  private constructor(private readonly socket: net.Socket) {
    socket.on('data', (chunk: Buffer) => this.read(chunk));
    socket.on('close', () => {
      for (const p of this.pending.values()) p.reject(new Error('the debug adapter closed the connection'));
      this.pending.clear();
    });
  }

  static connect(host: string, port: number): Promise<DapClient> {
    return new Promise((resolve, reject) => {
      const socket = net.connect(port, host, () => resolve(new DapClient(socket)));
      socket.once('error', reject);
    });
  }

  /** Sends a request; its response (rejected when the adapter says it failed). */
  request(command: string, args: Record<string, unknown> = {}): Promise<Message> {
    const seq = this.seq++;
    const json = Buffer.from(JSON.stringify({ seq, type: 'request', command, arguments: args }));
    this.socket.write(Buffer.concat([Buffer.from(`Content-Length: ${json.length}\r\n\r\n`), json]));
    return new Promise((resolve, reject) => {
      this.pending.set(seq, {
        resolve: (m) => (m.success ? resolve(m) : reject(new Error(`${command} failed: ${m.message ?? 'no message'}`))),
        reject,
      });
    });
  }

  /** The next event of that name (one already received and not yet taken counts). */
  event(name: string, timeoutMs = 20000): Promise<Message> {
    const i = this.events.findIndex((m) => m.event === name);
    if (i >= 0) return Promise.resolve(this.events.splice(i, 1)[0]!);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no "${name}" event within ${timeoutMs} ms`)), timeoutMs);
      this.waiters.push({ event: name, resolve: (m) => { clearTimeout(timer); resolve(m); } });
    });
  }

  close(): void {
    this.socket.destroy();
  }

  private read(chunk: Buffer): void {
    this.buffer = Buffer.concat([this.buffer, chunk]);
    for (;;) {
      const headerEnd = this.buffer.indexOf('\r\n\r\n');
      if (headerEnd < 0) return;
      const length = Number(/Content-Length: *(\d+)/i.exec(this.buffer.subarray(0, headerEnd).toString())?.[1]);
      if (this.buffer.length < headerEnd + 4 + length) return;
      const m = JSON.parse(this.buffer.subarray(headerEnd + 4, headerEnd + 4 + length).toString()) as Message;
      this.buffer = this.buffer.subarray(headerEnd + 4 + length);
      if (m.type === 'response') {
        const p = this.pending.get(m.request_seq!);
        this.pending.delete(m.request_seq!);
        p?.resolve(m);
      } else if (m.type === 'event') {
        const i = this.waiters.findIndex((w) => w.event === m.event);
        if (i >= 0) this.waiters.splice(i, 1)[0]!.resolve(m);
        else this.events.push(m);
      }
    }
  }
}
