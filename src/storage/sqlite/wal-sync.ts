import { closeSync, fsync, openSync } from "node:fs";

/**
 * Durability for a connection with `synchronous=NORMAL`: its commits reach the WAL file without an
 * fsync, and `flushed()` resolves once an fsync that began after the call has finished, on a
 * background thread. Calls made while one runs share the next: one fsync covers everything
 * committed meanwhile, and the event loop never waits for the disk (see `WriteQueue`).
 */
export class WalSync {
  readonly #fd: number;
  #syncing = false;
  #waiting: Array<{ resolve(): void; reject(error: Error): void }> = [];

  constructor(walFile: string) {
    this.#fd = openSync(walFile, "r");
  }

  flushed(): Promise<void> {
    return new Promise((resolve, reject) => {
      this.#waiting.push({ resolve, reject });
      this.#start();
    });
  }

  /** After a last flush: nothing is left waiting for the file. */
  async close(): Promise<void> {
    await this.flushed().catch(() => undefined);
    closeSync(this.#fd);
  }

  #start(): void {
    if (this.#syncing || this.#waiting.length === 0) return;
    this.#syncing = true;
    const covered = this.#waiting;
    this.#waiting = [];
    fsync(this.#fd, (error) => {
      this.#syncing = false;
      for (const waiter of covered) {
        if (error) waiter.reject(error);
        else waiter.resolve();
      }
      this.#start();
    });
  }
}
