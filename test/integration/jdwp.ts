// A minimal JDWP client over TCP: what VS Code's Debugger for Java does underneath with Repro's
// attach configuration (connect to host:port, set a line breakpoint, wait for the stop, read
// where it stopped, resume). That extension comes from a marketplace these machines cannot
// reach, so the integration test speaks the protocol itself, to the real JVM's agent.
// Packets: length (4), id (4), flags (1); a command has command set (1) and command (1), a
// reply (flags 0x80) an error code (2); then the data. IDs are 8 bytes on HotSpot (checked).
import * as net from 'node:net';

const HANDSHAKE = 'JDWP-Handshake';

export interface Location { classId: bigint; methodId: bigint; index: bigint }
export interface BreakpointHit { threadId: bigint; location: Location }

export class JdwpClient {
  private id = 1;
  private buffer = Buffer.alloc(0);
  private readonly replies = new Map<number, { resolve: (b: Buffer) => void; reject: (e: Error) => void }>();
  private readonly events: Buffer[] = [];
  private eventWaiter: ((b: Buffer) => void) | undefined;

  private constructor(private readonly socket: net.Socket) {
    socket.on('data', (c: Buffer) => this.read(c));
    socket.on('close', () => {
      for (const r of this.replies.values()) r.reject(new Error('the JVM closed the connection'));
      this.replies.clear();
    });
  }

  static async connect(host: string, port: number): Promise<JdwpClient> {
    const socket = await new Promise<net.Socket>((resolve, reject) => {
      const s = net.connect(port, host, () => resolve(s));
      s.once('error', reject);
    });
    socket.write(HANDSHAKE);
    const answer = await new Promise<Buffer>((resolve, reject) => {
      let got = Buffer.alloc(0);
      const onData = (c: Buffer) => {
        got = Buffer.concat([got, c]);
        if (got.length >= HANDSHAKE.length) { socket.off('data', onData); resolve(got); }
      };
      socket.on('data', onData);
      socket.once('close', () => reject(new Error('closed during the handshake')));
    });
    if (answer.subarray(0, HANDSHAKE.length).toString() !== HANDSHAKE) throw new Error('not a JDWP agent');
    const client = new JdwpClient(socket);
    if (answer.length > HANDSHAKE.length) client.read(answer.subarray(HANDSHAKE.length));
    const sizes = await client.command(1, 7); // VirtualMachine.IDSizes
    for (let i = 0; i < 5; i++) if (sizes.readInt32BE(i * 4) !== 8) throw new Error('this client reads 8-byte ids only');
    return client;
  }

  /** VirtualMachine.Version: the JVM's description. */
  async version(): Promise<string> {
    const r = await this.command(1, 1);
    return readString(r, 0).value;
  }

  /** Sets a breakpoint on `line` of method `method` in the loaded class `signature` ("LBadges;"); returns its request id. */
  async breakOnLine(signature: string, method: string, line: number): Promise<number> {
    const classes = await this.command(1, 2, str(signature)); // VirtualMachine.ClassesBySignature
    if (classes.readInt32BE(0) < 1) throw new Error(`class ${signature} is not loaded`);
    const classId = classes.readBigUInt64BE(5);
    const methods = await this.command(2, 5, u64(classId)); // ReferenceType.Methods
    let at = 4;
    let methodId: bigint | undefined;
    for (let n = methods.readInt32BE(0); n > 0; n--) {
      const id = methods.readBigUInt64BE(at);
      const name = readString(methods, at + 8);
      const sig = readString(methods, name.end);
      at = sig.end + 4;
      if (name.value === method) methodId = id;
    }
    if (methodId === undefined) throw new Error(`no method ${method} in ${signature}`);
    const table = await this.command(6, 1, Buffer.concat([u64(classId), u64(methodId)])); // Method.LineTable
    let index: bigint | undefined;
    for (let i = 0, n = table.readInt32BE(16); i < n; i++) {
      if (table.readInt32BE(20 + i * 12 + 8) === line) { index = table.readBigUInt64BE(20 + i * 12); break; }
    }
    if (index === undefined) throw new Error(`no code at line ${line} of ${method}`);
    // EventRequest.Set: BREAKPOINT (2), suspend all (2), one modifier: LocationOnly (7).
    const location = Buffer.concat([Buffer.from([1]), u64(classId), u64(methodId), u64(index)]);
    const set = await this.command(15, 1, Buffer.concat([Buffer.from([2, 2]), i32(1), Buffer.from([7]), location]));
    return set.readInt32BE(0);
  }

  /** The next breakpoint event. */
  async breakpointHit(timeoutMs = 20000): Promise<BreakpointHit> {
    for (;;) {
      const e = this.events.shift() ?? await new Promise<Buffer>((resolve, reject) => {
        const timer = setTimeout(() => { this.eventWaiter = undefined; reject(new Error(`no event within ${timeoutMs} ms`)); }, timeoutMs);
        this.eventWaiter = (b) => { clearTimeout(timer); resolve(b); };
      });
      // Composite: suspend policy (1), count (4), then kind (1), request id (4), thread (8), location.
      if (e.readInt32BE(1) >= 1 && e[5] === 2) {
        return { threadId: e.readBigUInt64BE(10), location: { classId: e.readBigUInt64BE(19), methodId: e.readBigUInt64BE(27), index: e.readBigUInt64BE(35) } };
      }
    }
  }

  /** The source line of a location (Method.LineTable: the last entry at or before its index). */
  async lineOf(l: Location): Promise<number> {
    const table = await this.command(6, 1, Buffer.concat([u64(l.classId), u64(l.methodId)]));
    let line = -1;
    for (let i = 0, n = table.readInt32BE(16); i < n; i++) {
      if (table.readBigUInt64BE(20 + i * 12) <= l.index) line = table.readInt32BE(20 + i * 12 + 8);
    }
    return line;
  }

  /** EventRequest.Clear of a breakpoint. */
  async clearBreakpoint(requestId: number): Promise<void> {
    await this.command(15, 2, Buffer.concat([Buffer.from([2]), i32(requestId)]));
  }

  /** VirtualMachine.Resume. */
  async resume(): Promise<void> {
    await this.command(1, 9);
  }

  /** VirtualMachine.Dispose: detaches, the JVM runs on. */
  async dispose(): Promise<void> {
    await this.command(1, 6).catch(() => undefined);
    this.socket.destroy();
  }

  close(): void {
    this.socket.destroy();
  }

  private command(set: number, cmd: number, data: Buffer = Buffer.alloc(0)): Promise<Buffer> {
    const id = this.id++;
    const head = Buffer.alloc(11);
    head.writeInt32BE(11 + data.length, 0);
    head.writeInt32BE(id, 4);
    head[8] = 0;
    head[9] = set;
    head[10] = cmd;
    this.socket.write(Buffer.concat([head, data]));
    return new Promise((resolve, reject) => this.replies.set(id, { resolve, reject }));
  }

  private read(chunk: Buffer): void {
    this.buffer = Buffer.concat([this.buffer, chunk]);
    while (this.buffer.length >= 11) {
      const length = this.buffer.readInt32BE(0);
      if (this.buffer.length < length) return;
      const packet = this.buffer.subarray(0, length);
      this.buffer = this.buffer.subarray(length);
      if (packet[8] === 0x80) {
        const r = this.replies.get(packet.readInt32BE(4));
        this.replies.delete(packet.readInt32BE(4));
        const error = packet.readUInt16BE(9);
        if (error) r?.reject(new Error(`JDWP error ${error}`));
        else r?.resolve(Buffer.from(packet.subarray(11)));
      } else if (packet[9] === 64 && packet[10] === 100) {
        const data = Buffer.from(packet.subarray(11));
        if (this.eventWaiter) { const w = this.eventWaiter; this.eventWaiter = undefined; w(data); } else this.events.push(data);
      }
    }
  }
}

function u64(v: bigint): Buffer { const b = Buffer.alloc(8); b.writeBigUInt64BE(v); return b; }
function i32(v: number): Buffer { const b = Buffer.alloc(4); b.writeInt32BE(v); return b; }
function str(s: string): Buffer { const v = Buffer.from(s, 'utf8'); return Buffer.concat([i32(v.length), v]); }
function readString(b: Buffer, at: number): { value: string; end: number } {
  const n = b.readInt32BE(at);
  return { value: b.toString('utf8', at + 4, at + 4 + n), end: at + 4 + n };
}
