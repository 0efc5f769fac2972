import type { SqlDatabase } from "../platform/mod.ts";

interface QueuedWrite {
  work(): unknown;
  resolve(value: unknown): void;
  reject(error: unknown): void;
}

/** Gap after a commit, in multiples of its duration: fsync then takes at most 1/(1+3) of the time. */
const GAP_RATIO = 3;
/** The longest a write waits for the gap, whatever the disk: bounds the added ack latency. */
const MAX_GAP_MS = 2;

/**
 * Group commit for the host's writes: every write queued before the next turn of the event loop
 * (webhook inserts and their routing, settlements, reply marks) commits in one transaction, one
 * fsync, and each caller resumes only after that commit, so nothing is acted on before it is
 * durable. One queue per database connection: a second one would only add commits.
 *
 * Under load, commits are paced: after a commit that carried several writes, the next one starts
 * no sooner than a few of its durations after it ended (at most MAX_GAP_MS). A commit blocks the
 * event loop for its fsync, so this bounds the share of time spent in fsync and lets batches grow.
 * After a commit of a single write (a sparse stream) the next write commits on the next turn.
 *
 * A write is a synchronous function of the database alone (no other side effects): when one
 * throws, the transaction rolls back, that write is rejected, and the others run again without it.
 */
export class WriteQueue {
  readonly #db: SqlDatabase;
  #queued: QueuedWrite[] = [];
  #lastCommitEnd = 0;
  #lastCommitMs = 0;
  #lastBatchSize = 0;

  constructor(db: SqlDatabase) {
    this.#db = db;
  }

  write<T>(work: () => T): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.#queued.push({ work, resolve: resolve as (value: unknown) => void, reject });
      if (this.#queued.length > 1) return;
      const gap =
        this.#lastBatchSize > 1 ? Math.min(this.#lastCommitMs * GAP_RATIO, MAX_GAP_MS) : 0;
      const wait = this.#lastCommitEnd + gap - performance.now();
      if (wait > 0) setTimeout(() => this.#flush(), wait);
      else setImmediate(() => this.#flush());
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
    const batch = this.#queued;
    this.#queued = [];
    const started = performance.now();
    try {
      this.#commit(batch);
    } finally {
      this.#lastCommitEnd = performance.now();
      this.#lastCommitMs = this.#lastCommitEnd - started;
      this.#lastBatchSize = batch.length;
    }
  }

  #commit(writes: QueuedWrite[]): void {
    let batch = writes;
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
