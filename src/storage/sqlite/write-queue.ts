import { closeSync, fsync, fsyncSync, openSync } from "node:fs";
import { sql } from "drizzle-orm";
import type { SqlDatabase } from "../../platform/mod.ts";

interface QueuedWrite {
  work(): unknown;
  resolve(value: unknown): void;
  reject(error: unknown): void;
}

interface CommittedWrite {
  write: QueuedWrite;
  value: unknown;
}

export interface WriteQueueOptions {
  /**
   * The database's WAL file. Given, this connection commits without its own fsync
   * (`synchronous=NORMAL`) and the queue fsyncs the WAL on a background thread instead, so the
   * event loop never waits for the disk; a write still resolves only once it is durable. Without
   * it, every commit fsyncs inline (the connection's own `synchronous=FULL`).
   */
  walFile?: string;
  /** Flushes the WAL file to disk, off the event loop (default: node:fs `fsync`). */
  fsync?: (fd: number, done: (error: Error | null) => void) => void;
}

/**
 * Group commit for the host's writes: every write queued before the next turn of the event loop
 * (webhook inserts and their routing, settlements, reply marks) commits in one transaction, and
 * each caller resumes only once that commit is durable, so nothing is acted on (no 200, no reply
 * call) before it would survive a power loss. One queue per database connection.
 *
 * With a WAL file, durability comes from fsyncing the WAL off the event loop: a commit is durable
 * once an fsync that started after it has finished (the WAL is written in commit order). While one
 * fsync runs, new writes wait and are committed together as soon as it ends, then flushed by the
 * next: under load one commit and one fsync carry everything that arrived meanwhile, and the event
 * loop keeps answering webhooks while the disk flushes.
 *
 * A write is a synchronous function of the database alone (no other side effects): when one
 * throws, the transaction rolls back, that write is rejected, and the others run again without it.
 * A failed fsync rejects the writes it covered although they are committed: their callers treat
 * them as failed (a webhook answers 500, and LINE's redelivery finds its events stored).
 */
export class WriteQueue {
  readonly #db: SqlDatabase;
  readonly #walFd: number | undefined;
  readonly #fsync: NonNullable<WriteQueueOptions["fsync"]>;
  #queued: QueuedWrite[] = [];
  /** Committed, waiting for an fsync that starts after their commit. */
  #unsynced: CommittedWrite[] = [];
  #syncing = false;
  #idleWaiters: Array<() => void> = [];
  #closed = false;
  #walClosed = false;

  constructor(db: SqlDatabase, options: WriteQueueOptions = {}) {
    this.#db = db;
    this.#fsync = options.fsync ?? fsync;
    if (options.walFile) {
      // The WAL exists once the database is in WAL mode and has been written (migrations).
      this.#walFd = openSync(options.walFile, "r");
      db.run(sql`PRAGMA synchronous = NORMAL`);
    }
  }

  write<T>(work: () => T): Promise<T> {
    if (this.#closed) return Promise.reject(new Error("the write queue is closed"));
    return new Promise<T>((resolve, reject) => {
      this.#queued.push({ work, resolve: resolve as (value: unknown) => void, reject });
      // While the WAL is being flushed, writes gather for the commit that follows it.
      if (this.#queued.length === 1 && !this.#syncing) setImmediate(() => this.#flush());
    });
  }

  /**
   * A synchronous IMMEDIATE transaction, durable when it returns (for the rare writes that cannot
   * wait: operator actions, recovery). IMMEDIATE: the writes read before they write, and plugin
   * workers write the same file on their own connections. A deferred transaction would fail its
   * lock upgrade at once with SQLITE_BUSY (busy_timeout does not cover upgrades); taking the write
   * lock up front waits instead.
   */
  transaction<T>(work: () => T): T {
    const result = this.#transaction(work);
    if (this.#walFd !== undefined) fsyncSync(this.#walFd);
    return result;
  }

  /** Resolves once every queued write has settled; later writes are refused. */
  close(): Promise<void> {
    this.#closed = true;
    return new Promise<void>((resolve) => {
      this.#idleWaiters.push(resolve);
      this.#notifyIfIdle();
    });
  }

  #transaction<T>(work: () => T): T {
    return this.#db.transaction(work, { behavior: "immediate" });
  }

  #flush(): void {
    if (this.#syncing) return;
    const batch = this.#queued;
    this.#queued = [];
    const committed = this.#commit(batch);
    if (this.#walFd === undefined) {
      for (const { write, value } of committed) write.resolve(value);
      this.#notifyIfIdle();
      return;
    }
    for (const entry of committed) this.#unsynced.push(entry);
    this.#sync(this.#walFd);
  }

  /** Commits what it can; rejects the writes that failed. */
  #commit(writes: QueuedWrite[]): CommittedWrite[] {
    let batch = writes;
    while (batch.length > 0) {
      const failure: { index?: number; error?: unknown } = {};
      let values: unknown[] = [];
      try {
        this.#transaction(() => {
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
          return [];
        }
        const failed = failure.index;
        batch[failed]?.reject(failure.error);
        batch = batch.filter((_, index) => index !== failed);
        continue;
      }
      return batch.map((write, index) => ({ write, value: values[index] }));
    }
    return [];
  }

  #sync(fd: number): void {
    if (this.#syncing || this.#unsynced.length === 0) return;
    this.#syncing = true;
    const covered = this.#unsynced;
    this.#unsynced = [];
    this.#fsync(fd, (error) => {
      this.#syncing = false;
      for (const { write, value } of covered) {
        if (error) write.reject(error);
        else write.resolve(value);
      }
      if (this.#queued.length > 0) this.#flush();
      this.#notifyIfIdle();
    });
  }

  #notifyIfIdle(): void {
    if (this.#queued.length > 0 || this.#syncing || this.#unsynced.length > 0) return;
    const waiters = this.#idleWaiters;
    this.#idleWaiters = [];
    if (waiters.length === 0) return;
    if (this.#closed && this.#walFd !== undefined && !this.#walClosed) {
      this.#walClosed = true;
      closeSync(this.#walFd);
    }
    for (const resolve of waiters) resolve();
  }
}
