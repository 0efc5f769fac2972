/**
 * What the dispatcher and the scheduler share for `idle()`: store work they started in the
 * background (tracked, its failure logged), and the callers waiting until nothing runs.
 */
export interface IdlenessOptions {
  /** A piece of background work failed (log it: nobody awaits it). */
  failed(what: string, error: unknown): void;
  /** Whether runs are in flight or a claim loop is under way. */
  busy(): boolean;
  /** A piece of background work ended: there may be work to claim now. */
  ended(): void;
}

export class Idleness {
  readonly background = new Set<Promise<unknown>>();
  readonly #o: IdlenessOptions;
  #waiters: Array<() => void> = [];

  constructor(options: IdlenessOptions) {
    this.#o = options;
  }

  track(work: Promise<unknown>, what: string): void {
    const tracked = work
      .catch((error: unknown) => this.#o.failed(what, error))
      .finally(() => {
        this.background.delete(tracked);
        this.#o.ended();
        this.check();
      });
    this.background.add(tracked);
  }

  /** Resolves when nothing runs, nothing can be claimed now and no background work is left. */
  wait(): Promise<void> {
    if (this.#idle()) return Promise.resolve();
    return new Promise((resolve) => this.#waiters.push(resolve));
  }

  /** Wakes the waiters if that moment has come. */
  check(): void {
    if (!this.#idle()) return;
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const resolve of waiters) resolve();
  }

  #idle(): boolean {
    return this.background.size === 0 && !this.#o.busy();
  }
}
