// A virtualised list with a fixed row height: only the rows in view (plus one) exist in the
// DOM, reused as the list scrolls, so 20,000 lines cost what 50 do. Following keeps the newest
// row in view; scrolling up pauses it, scrolling back to the end resumes it. Browser code only.
export interface LogListOptions {
  /** Fills a row element with item `index` of the current view. */
  renderRow: (row: HTMLElement, index: number) => void;
  onFollowChange: (following: boolean) => void;
}

export class LogList {
  readonly viewport: HTMLElement;
  private readonly spacer: HTMLElement;
  private readonly rows: HTMLElement;
  private readonly pool: HTMLElement[] = [];
  private count = 0;
  private rowHeight = 18;
  private following = true;
  private frame = 0;
  /** The scrollTop this list set last; a scroll event elsewhere is the user's. */
  private ownScrollTop = -1;
  /** Rows rendered (for figures). */
  rendered = 0;

  constructor(parent: HTMLElement, private readonly opts: LogListOptions) {
    this.viewport = el('div', 'viewport');
    this.viewport.tabIndex = 0;
    this.viewport.setAttribute('role', 'log');
    this.viewport.setAttribute('aria-label', 'Session log');
    this.spacer = el('div', 'spacer');
    this.rows = el('div', 'rows');
    this.viewport.append(this.spacer, this.rows);
    parent.append(this.viewport);
    this.viewport.addEventListener('scroll', () => this.onScroll(), { passive: true });
    new ResizeObserver(() => this.schedule()).observe(this.viewport);
    // The row height follows the editor font: measured once from a real row.
    const probe = el('div', 'row');
    probe.textContent = 'Mg';
    this.rows.append(probe);
    this.rowHeight = probe.getBoundingClientRect().height || 18;
    probe.remove();
  }

  get isFollowing(): boolean {
    return this.following;
  }

  setCount(n: number): void {
    this.count = n;
    this.schedule();
  }

  setFollow(follow: boolean): void {
    if (this.following !== follow) {
      this.following = follow;
      this.opts.onFollowChange(follow);
    }
    this.schedule();
  }

  scrollToTop(): void {
    this.setFollow(false);
    this.viewport.scrollTop = 0;
  }

  /** Redraws on the next animation frame (many batches between two frames cost one redraw). */
  schedule(): void {
    if (!this.frame) this.frame = requestAnimationFrame(() => { this.frame = 0; this.draw(); });
  }

  private onScroll(): void {
    const top = this.viewport.scrollTop;
    if (Math.abs(top - this.ownScrollTop) > 1) {
      const atEnd = top + this.viewport.clientHeight >= this.viewport.scrollHeight - this.rowHeight / 2;
      if (atEnd !== this.following) this.setFollow(atEnd);
    }
    this.schedule();
  }

  private draw(): void {
    const total = this.count * this.rowHeight;
    this.spacer.style.height = `${total}px`;
    const height = this.viewport.clientHeight;
    if (this.following) {
      const end = Math.max(0, total - height);
      if (Math.abs(this.viewport.scrollTop - end) > 1) this.viewport.scrollTop = end;
      this.ownScrollTop = this.viewport.scrollTop;
    }
    const first = Math.max(0, Math.min(this.count, Math.floor(this.viewport.scrollTop / this.rowHeight)));
    const visible = Math.min(this.count - first, Math.ceil(height / this.rowHeight) + 1);
    while (this.pool.length < visible) {
      const row = el('div', 'row');
      this.pool.push(row);
      this.rows.append(row);
    }
    for (let i = 0; i < this.pool.length; i++) {
      const row = this.pool[i]!;
      if (i < visible) {
        row.hidden = false;
        this.opts.renderRow(row, first + i);
      } else row.hidden = true;
    }
    this.rendered += visible;
    this.rows.style.transform = `translateY(${first * this.rowHeight}px)`;
  }
}

export function el<K extends keyof HTMLElementTagNameMap>(tag: K, className?: string, text?: string): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  if (className) e.className = className;
  if (text !== undefined) e.textContent = text;
  return e;
}
