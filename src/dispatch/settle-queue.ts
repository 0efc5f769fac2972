import type { Clock } from "../core/clock.ts";
import type { SettledDelivery, Store } from "../storage/store.ts";

interface Waiting {
  settled: SettledDelivery;
  resolve(): void;
  reject(error: unknown): void;
}

/**
 * Settlements made in one turn of the event loop go to the store together: one write (one round
 * trip, on a remote database) for every delivery that finished meanwhile. Each caller resumes once
 * its own settlement is recorded.
 */
export class SettleQueue {
  readonly #store: Store;
  readonly #clock: Clock;
  #waiting: Waiting[] = [];
  readonly #writing = new Set<Promise<void>>();

  constructor(store: Store, clock: Clock) {
    this.#store = store;
    this.#clock = clock;
  }

  add(settled: SettledDelivery): Promise<void> {
    return new Promise((resolve, reject) => {
      this.#waiting.push({ settled, resolve, reject });
      if (this.#waiting.length === 1) queueMicrotask(() => this.#flush());
    });
  }

  /** Resolves once everything added so far is recorded (or has failed). */
  async drain(): Promise<void> {
    while (this.#waiting.length > 0 || this.#writing.size > 0) {
      if (this.#waiting.length > 0) this.#flush();
      await Promise.allSettled([...this.#writing]);
    }
  }

  #flush(): void {
    const batch = this.#waiting;
    if (batch.length === 0) return;
    this.#waiting = [];
    const write = this.#store
      .settle(
        batch.map((waiting) => waiting.settled),
        this.#clock.now(),
      )
      .then(
        () => {
          for (const waiting of batch) waiting.resolve();
        },
        (error: unknown) => {
          for (const waiting of batch) waiting.reject(error);
        },
      )
      .finally(() => this.#writing.delete(write));
    this.#writing.add(write);
  }
}
