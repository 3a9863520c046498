// Feeds a viewer from a session's log buffer with flow control: at most `window` batches are
// in flight until the viewer acknowledges one, so a service writing faster than the viewer
// renders makes the buffer drop its oldest lines (counted, and said so) instead of piling up
// messages in the editor. Pure: the post function is the only way out.
import type { SessionLogLine } from './logLine';
import type { RingBuffer } from './ringBuffer';

export interface LogFeedBatch {
  /** Acknowledge with this id. */
  id: number;
  lines: SessionLogLine[];
  /** Lines of this session the viewer will never get: older than the buffer when it opened, or evicted before it caught up. */
  dropped: number;
}

export interface LogFeedOptions {
  buffer: RingBuffer<SessionLogLine>;
  post: (batch: LogFeedBatch) => void;
  maxBatchLines?: number;
  window?: number;
}

export class LogFeed {
  private next: number;
  private inFlight = new Set<number>();
  private lastId = 0;
  private dropped = 0;
  private readonly maxBatch: number;
  private readonly window: number;

  constructor(private readonly opts: LogFeedOptions) {
    this.maxBatch = opts.maxBatchLines ?? 2000;
    this.window = opts.window ?? 2;
    this.next = opts.buffer.start;
    this.dropped = opts.buffer.start;
  }

  /** Sends what is new, as far as the window allows. */
  pump(): void {
    const { buffer } = this.opts;
    while (this.inFlight.size < this.window && this.next < buffer.end) {
      if (this.next < buffer.start) {
        this.dropped += buffer.start - this.next;
        this.next = buffer.start;
      }
      const lines = buffer.slice(this.next, this.next + this.maxBatch);
      this.next += lines.length;
      const id = ++this.lastId;
      this.inFlight.add(id);
      this.opts.post({ id, lines, dropped: this.dropped });
    }
  }

  /** The viewer has taken batch `id`; unknown ids (a reloaded viewer's) are ignored. */
  ack(id: number): void {
    if (this.inFlight.delete(id)) this.pump();
  }

  /** A new viewer (the webview reloaded): start again from the oldest line held. */
  restart(): void {
    this.inFlight.clear();
    this.next = this.opts.buffer.start;
    this.dropped = this.opts.buffer.start;
    this.pump();
  }

  /** Lines sent so far (for figures). */
  get sent(): number {
    return this.next;
  }
}
