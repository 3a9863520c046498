// The scrubber's output in order while parts of it are still being made by scrub lanes: bytes
// ready behind a part still out wait for it, and the first part that failed stops the output.
import type { Output } from './chunkWriter';

interface Item {
  value?: Buffer;
  error?: unknown;
  settled: boolean;
}

export class OutputQueue {
  private readonly items: Item[] = [];
  private head = 0;
  private unsettled = 0;

  /** `push` receives the output in order; `changed` is called when a part out settles. */
  constructor(private readonly push: (b: Buffer) => void, private readonly changed: () => void) {}

  add(outputs: Output[]): void {
    for (const o of outputs) {
      if (Buffer.isBuffer(o)) {
        // Nothing ahead of it: no need to queue it.
        if (this.head === this.items.length) this.push(o);
        else this.items.push({ value: o, settled: true });
        continue;
      }
      const item: Item = { settled: false };
      this.items.push(item);
      this.unsettled++;
      o.then(
        (value) => { item.value = value; this.settle(item); },
        (error: unknown) => { item.error = error; this.settle(item); },
      );
    }
  }

  /** Parts still being made. */
  get waiting(): number {
    return this.unsettled;
  }

  get empty(): boolean {
    return this.head === this.items.length;
  }

  /** Pushes what is ready from the front; returns the error of a failed part it reached. */
  drain(): { error: unknown } | undefined {
    while (this.head < this.items.length) {
      const item = this.items[this.head]!;
      if (!item.settled) break;
      if (item.error !== undefined) return { error: item.error };
      this.items[this.head++] = { settled: true }; // let the bytes go
      this.push(item.value!);
    }
    if (this.head === this.items.length) {
      this.items.length = 0;
      this.head = 0;
    }
    return undefined;
  }

  private settle(item: Item): void {
    item.settled = true;
    this.unsettled--;
    this.changed();
  }
}
