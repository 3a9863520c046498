// A minimal Chrome DevTools Protocol client over the Node inspector's WebSocket: what a
// debugger does to stop at a line (Debugger.enable, setBreakpointByUrl, paused, resume),
// for the integration test and the debugger bench, outside VS Code.
import WebSocket from 'ws';

export interface Paused { url: string; line: number; column: number; functionName: string }

export class CdpClient {
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  private readonly waiters: { method: string; resolve: (params: unknown) => void }[] = [];
  private readonly scripts = new Map<string, string>();

  private constructor(private readonly ws: WebSocket) {
    ws.on('message', (data: Buffer) => {
      const msg = JSON.parse(data.toString()) as { id?: number; result?: unknown; error?: { message: string }; method?: string; params?: Record<string, unknown> };
      if (msg.id !== undefined) {
        const p = this.pending.get(msg.id);
        this.pending.delete(msg.id);
        if (msg.error) p?.reject(new Error(msg.error.message)); else p?.resolve(msg.result);
        return;
      }
      if (msg.method === 'Debugger.scriptParsed') this.scripts.set(String(msg.params?.scriptId), String(msg.params?.url));
      const i = this.waiters.findIndex((w) => w.method === msg.method);
      if (i >= 0) this.waiters.splice(i, 1)[0]!.resolve(msg.params);
    });
  }

  static connect(url: string): Promise<CdpClient> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(url);
      ws.once('open', () => resolve(new CdpClient(ws)));
      ws.once('error', reject);
    });
  }

  send<T = unknown>(method: string, params: Record<string, unknown> = {}): Promise<T> {
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      this.ws.send(JSON.stringify({ id, method, params }));
    });
  }

  /** The next Debugger.paused event: where the app stopped (line 1-based). */
  async nextPause(): Promise<Paused> {
    const params = await new Promise<unknown>((resolve) => this.waiters.push({ method: 'Debugger.paused', resolve }));
    const top = (params as { callFrames: { functionName: string; location: { scriptId: string; lineNumber: number; columnNumber: number } }[] }).callFrames[0]!;
    return { url: this.scripts.get(top.location.scriptId) ?? '', line: top.location.lineNumber + 1, column: top.location.columnNumber + 1, functionName: top.functionName };
  }

  /** A breakpoint on `line` (1-based) of every script whose URL ends with `fileSuffix`. */
  async breakAt(fileSuffix: string, line: number): Promise<string> {
    const r = await this.send<{ breakpointId: string }>('Debugger.setBreakpointByUrl', { urlRegex: `${fileSuffix.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}$`, lineNumber: line - 1 });
    return r.breakpointId;
  }

  close(): void {
    this.ws.close();
  }
}
