// A fixed-capacity buffer that keeps the newest items. Items are addressed by a global index
// (0 for the first item ever pushed), so a reader that remembers where it stopped can tell how
// many items were evicted before it read them. Pure: used by the extension host and the webview.
export class RingBuffer<T> {
  private readonly items: (T | undefined)[];
  private total = 0;

  constructor(readonly capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError(`RingBuffer capacity must be a positive integer, not ${capacity}`);
    this.items = new Array<T | undefined>(capacity);
  }

  push(item: T): number {
    const index = this.total++;
    this.items[index % this.capacity] = item;
    return index;
  }

  /** The global index one past the newest item (= items ever pushed). */
  get end(): number {
    return this.total;
  }

  /** The global index of the oldest item still held (= items evicted so far). */
  get start(): number {
    return Math.max(0, this.total - this.capacity);
  }

  get size(): number {
    return this.total - this.start;
  }

  /** The item at a global index, or undefined when it was evicted or not pushed yet. */
  get(index: number): T | undefined {
    return index >= this.start && index < this.total ? this.items[index % this.capacity] : undefined;
  }

  /** Items from global index `from` (clamped to what is held) up to `to` (exclusive). */
  slice(from: number, to = this.total): T[] {
    const out: T[] = [];
    for (let i = Math.max(from, this.start); i < Math.min(to, this.total); i++) out.push(this.items[i % this.capacity] as T);
    return out;
  }

  clear(): void {
    this.items.fill(undefined);
    this.total = 0;
  }
}
