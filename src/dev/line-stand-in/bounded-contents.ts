/** What an entry of content holds in memory: its bytes, and a preview when it has one. */
export interface SizedContent {
  bytes?: Uint8Array;
  preview?: Uint8Array;
}

/** How much content is kept: the newest entries, at most this many and this many bytes in all. */
export interface ContentBudget {
  maxEntries: number;
  maxBytes: number;
}

/** Room for several of the simulator's largest uploads (20 MiB each) and many small ones. */
export const DEFAULT_CONTENT_BUDGET: ContentBudget = {
  maxEntries: 100,
  maxBytes: 128 * 1024 * 1024,
};

const sizeOf = (content: SizedContent | undefined) =>
  (content?.bytes?.byteLength ?? 0) + (content?.preview?.byteLength ?? 0);

/**
 * Message content held in memory (the stand-in's copy of what users sent, the simulator's
 * uploads), by message id: a Map that keeps its newest entries within a budget and drops the
 * oldest first, as LINE lets content expire. Whatever is uploaded, memory stays bounded. Setting
 * an entry makes it the newest; the newest is kept even when it alone is over the budget.
 */
export class BoundedContents<V extends SizedContent> extends Map<string, V> {
  readonly #budget: ContentBudget;
  #bytes = 0;

  constructor(budget: ContentBudget = DEFAULT_CONTENT_BUDGET) {
    super();
    this.#budget = budget;
  }

  /** The bytes held by all entries. */
  get bytes(): number {
    return this.#bytes;
  }

  override set(key: string, value: V): this {
    this.delete(key);
    super.set(key, value);
    this.#bytes += sizeOf(value);
    for (const oldest of this.keys()) {
      if (this.size <= 1 || !this.#overBudget()) break;
      this.delete(oldest);
    }
    return this;
  }

  override delete(key: string): boolean {
    const content = super.get(key);
    if (!super.delete(key)) return false;
    this.#bytes -= sizeOf(content);
    return true;
  }

  override clear(): void {
    super.clear();
    this.#bytes = 0;
  }

  #overBudget(): boolean {
    return this.size > this.#budget.maxEntries || this.#bytes > this.#budget.maxBytes;
  }
}
