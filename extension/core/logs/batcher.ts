// Coalesces a stream of "something arrived" signals into flushes: at most one every
// `intervalMs`, or at once when `maxPending` items are waiting. A chatty source then costs
// one message per interval, never one per line.
export interface BatcherOptions {
  intervalMs: number;
  maxPending: number;
  flush: () => void;
}

export class Batcher {
  private pending = 0;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private disposed = false;

  constructor(private readonly opts: BatcherOptions) {}

  /** Records `n` new items; flushes now when enough are waiting, else within the interval. */
  add(n = 1): void {
    if (this.disposed) return;
    this.pending += n;
    if (this.pending >= this.opts.maxPending) this.flushNow();
    else if (!this.timer) this.timer = setTimeout(() => this.flushNow(), this.opts.intervalMs);
  }

  flushNow(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    if (this.disposed || this.pending === 0) return;
    this.pending = 0;
    this.opts.flush();
  }

  dispose(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.disposed = true;
  }
}
