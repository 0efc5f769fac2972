import type { SqlDatabase } from "../platform/mod.ts";

interface QueuedWrite {
  work(): unknown;
  resolve(value: unknown): void;
  reject(error: unknown): void;
}

/**
 * Group commit for the host's writes: every write queued before the next turn of the event loop
 * (webhook inserts and their routing, settlements, reply marks) commits in one transaction, one
 * fsync, and each caller resumes only after that commit, so nothing is acted on before it is
 * durable. One queue per database connection: a second one would only add commits.
 *
 * A write is a synchronous function of the database alone (no other side effects): when one
 * throws, the transaction rolls back, that write is rejected, and the others run again without it.
 */
export class WriteQueue {
  readonly #db: SqlDatabase;
  #queued: QueuedWrite[] = [];

  constructor(db: SqlDatabase) {
    this.#db = db;
  }

  write<T>(work: () => T): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.#queued.push({ work, resolve: resolve as (value: unknown) => void, reject });
      if (this.#queued.length === 1) setImmediate(() => this.#flush());
    });
  }

  /**
   * IMMEDIATE: the writes read before they write, and plugin workers write the same file on their
   * own connections. A deferred transaction would fail its lock upgrade at once with SQLITE_BUSY
   * (busy_timeout does not cover upgrades); taking the write lock up front waits instead.
   */
  transaction<T>(work: () => T): T {
    return this.#db.transaction(work, { behavior: "immediate" });
  }

  #flush(): void {
    let batch = this.#queued;
    this.#queued = [];
    while (batch.length > 0) {
      const failure: { index?: number; error?: unknown } = {};
      let values: unknown[] = [];
      try {
        this.transaction(() => {
          values = batch.map((write, index) => {
            try {
              return write.work();
            } catch (error) {
              failure.index = index;
              failure.error = error;
              throw error;
            }
          });
        });
      } catch (error) {
        // The transaction itself failed (locked, disk full): every write in it failed.
        if (failure.index === undefined) {
          for (const write of batch) write.reject(error);
          return;
        }
        const failed = failure.index;
        batch[failed]?.reject(failure.error);
        batch = batch.filter((_, index) => index !== failed);
        continue;
      }
      batch.forEach((write, index) => {
        write.resolve(values[index]);
      });
      return;
    }
  }
}
