// A session's merged log: follows every container of the session (found by label, the apps
// and services, not the gateway), and containers that start later or start again (a restart,
// a crash and a new start), merges their lines by the engine's timestamps, batches them and
// keeps the newest in a bounded ring buffer, so memory stays flat whatever the rate.
import type Docker from 'dockerode';
import { streamLogs } from '../stack/containerIo';
import { LABEL } from '../stack/labels';
import { Batcher } from './batcher';
import { toSessionLine, type ServiceLogState, type SessionLogLine } from './logLine';

export type { ServiceLogState } from './logLine';
import { RingBuffer } from './ringBuffer';

export interface SessionLogStreamOptions {
  /** Lines kept (the newest); older ones are dropped and counted. Default 20000. */
  bufferLines?: number;
  /** History read from each container running when the stream starts (one that starts later is read whole). Default 1000. */
  tail?: number;
  /** A batch every this many milliseconds at most... */
  batchMs?: number;
  /** ...or as soon as this many lines wait. */
  batchLines?: number;
  /** New lines are in the buffer (called once per batch). */
  onLines?: () => void;
  /** A service started or stopped. */
  onServices?: (services: ServiceLogState[]) => void;
  /** Something could not be read (the stream goes on with the other containers). */
  onError?: (message: string) => void;
}

interface Followed {
  id: string;
  service: string;
  role: string;
  active: boolean;
  /** The newest timestamp read from this container; a new run of it is read from there. */
  lastTime: number;
}

export class SessionLogStream {
  readonly buffer: RingBuffer<SessionLogLine>;
  /** Lines read from the engine so far (kept or not). */
  received = 0;
  private readonly containers = new Map<string, Followed>();
  private pending: SessionLogLine[] = [];
  private readonly batcher: Batcher;
  private readonly abort = new AbortController();
  private events: NodeJS.ReadableStream | undefined;
  private holding = false;
  private readonly opts: Required<Omit<SessionLogStreamOptions, 'onLines' | 'onServices' | 'onError'>> & SessionLogStreamOptions;

  constructor(private readonly docker: Docker, readonly session: string, opts: SessionLogStreamOptions = {}) {
    this.opts = { bufferLines: 20000, tail: 1000, batchMs: 50, batchLines: 1000, ...opts };
    this.buffer = new RingBuffer(this.opts.bufferLines);
    this.batcher = new Batcher({ intervalMs: this.opts.batchMs, maxPending: this.opts.batchLines, flush: () => this.flush() });
  }

  /** Starts following; resolves, with how many containers it found, once each is being read. */
  async start(): Promise<number> {
    const label = `${LABEL.session}=${this.session}`;
    // Events first, then the list: a container starting in between is seen by one of them.
    const events = await this.docker.getEvents({ filters: { label: [label], type: ['container'], event: ['start'] } });
    if (this.abort.signal.aborted) { destroy(events); return 0; }
    this.events = events;
    let rest = '';
    events.on('data', (chunk: Buffer) => {
      rest += chunk.toString('utf8');
      let i: number;
      while ((i = rest.indexOf('\n')) >= 0) {
        const raw = rest.slice(0, i).trim();
        rest = rest.slice(i + 1);
        if (raw) this.onEvent(raw);
      }
    });
    events.on('error', (e: Error) => { if (!this.abort.signal.aborted) this.opts.onError?.(`engine events stopped: ${e.message}`); });
    const list = await this.docker.listContainers({ all: true, filters: { label: [label] } });
    const followed = list.filter((c) => c.Labels[LABEL.role] !== 'gateway').sort((a, b) => a.Created - b.Created);
    // The containers' histories arrive one stream after another: hold them until each has
    // started (or a second has passed) so they are merged by time in one batch, not appended
    // in the order the engine answered.
    this.holding = true;
    const firsts = followed.map((c) => this.follow(c.Id, c.Labels));
    await Promise.race([Promise.all(firsts), new Promise((r) => setTimeout(r, 1000))]);
    await new Promise((r) => setTimeout(r, 150));
    this.holding = false;
    this.batcher.flushNow();
    this.flush();
    return followed.length;
  }

  services(): ServiceLogState[] {
    const byService = new Map<string, ServiceLogState>();
    for (const c of this.containers.values()) {
      const prev = byService.get(c.service);
      if (!prev || c.active) byService.set(c.service, { service: c.service, role: c.role, state: c.active ? 'following' : 'stopped' });
    }
    return [...byService.values()].sort((a, b) => roleOrder(a.role) - roleOrder(b.role) || a.service.localeCompare(b.service));
  }

  dispose(): void {
    this.abort.abort();
    this.batcher.dispose();
    if (this.events) destroy(this.events);
    this.events = undefined;
  }

  private onEvent(raw: string): void {
    let e: { id?: unknown; Actor?: { ID?: unknown; Attributes?: Record<string, unknown> } };
    try { e = JSON.parse(raw) as typeof e; } catch { return; }
    const id = typeof e.id === 'string' ? e.id : typeof e.Actor?.ID === 'string' ? e.Actor.ID : undefined;
    const attrs = e.Actor?.Attributes ?? {};
    const labels: Record<string, string> = {};
    for (const [k, v] of Object.entries(attrs)) if (typeof v === 'string') labels[k] = v;
    if (id) void this.follow(id, labels, true);
  }

  /** Reads a container's log; resolves at its first line or when the stream ends (whichever is first). */
  private follow(id: string, labels: Record<string, string>, fromStart = false): Promise<void> {
    if (this.abort.signal.aborted) return Promise.resolve();
    const role = labels[LABEL.role] ?? '';
    if (role === 'gateway') return Promise.resolve();
    let c = this.containers.get(id);
    if (c?.active) return Promise.resolve();
    let started!: () => void;
    const first = new Promise<void>((r) => { started = r; });
    const again = Boolean(c);
    if (!c) {
      c = { id, service: labels[LABEL.service] || labels.name || id.slice(0, 12), role, active: false, lastTime: 0 };
      this.containers.set(id, c);
    }
    const entry = c;
    entry.active = true;
    this.opts.onServices?.(this.services());
    // A new run of a container is read from the last second seen, without what was already read.
    const cutoff = entry.lastTime;
    const onLine = (l: { stream: 'stdout' | 'stderr'; time: number; text: string }) => {
      started();
      if (again && l.time <= cutoff) return;
      entry.lastTime = Math.max(entry.lastTime, l.time);
      this.received++;
      this.pending.push(toSessionLine(entry.service, l.stream, l.time, l.text));
      this.batcher.add();
    };
    const opts = again ? { follow: true, since: Math.floor(cutoff / 1000), signal: this.abort.signal }
      : { follow: true, signal: this.abort.signal, ...(fromStart ? {} : { tail: this.opts.tail }) };
    streamLogs(this.docker, id, onLine, opts)
      .catch((e: unknown) => {
        if (!this.abort.signal.aborted && (e as { statusCode?: number }).statusCode !== 404) this.opts.onError?.(`cannot read the logs of ${entry.service}: ${(e as Error).message}`);
      })
      .finally(() => {
        started();
        entry.active = false;
        if (this.abort.signal.aborted) return;
        this.batcher.flushNow();
        this.opts.onServices?.(this.services());
        // Restarted before this stream noticed the stop: the start event found it still active.
        void this.docker.getContainer(id).inspect().then((info) => {
          if (info.State.Running) setTimeout(() => void this.follow(id, labels), 100);
        }, () => undefined);
      });
    return first;
  }

  /** Sorts what arrived since the last batch by time (the containers' streams interleave) and keeps it. */
  private flush(): void {
    // While the first histories are read, only a full buffer's worth of lines forces a batch.
    if (this.holding && this.pending.length < this.buffer.capacity) return;
    if (!this.pending.length) return;
    const lines = this.pending;
    this.pending = [];
    lines.sort((a, b) => a.time - b.time);
    for (const l of lines) this.buffer.push(l);
    this.opts.onLines?.();
  }
}

const roleOrder = (role: string): number => (role === 'app' ? 0 : role === 'service' ? 1 : 2);

function destroy(stream: NodeJS.ReadableStream): void {
  (stream as unknown as { destroy?: () => void }).destroy?.();
}
