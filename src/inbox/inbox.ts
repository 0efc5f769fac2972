import { and, asc, eq, lt, ne } from "drizzle-orm";
import type { Clock } from "../clock.ts";
import type { SqlDatabase } from "../platform/mod.ts";
import { inboxEvents } from "../storage/schema.ts";

export interface InboxEventInput {
  id: string;
  chatKey: string;
  type: string;
  timestamp: number;
  destination: string | undefined;
  /** The event as received, re-serialised: nothing is dropped. */
  body: string;
}

/** What the dispatcher needs to order and find an event. */
export interface QueuedEvent {
  seq: number;
  id: string;
  chatKey: string;
  timestamp: number;
  status: "pending" | "active" | "done";
}

export type StoredEvent = typeof inboxEvents.$inferSelect;

interface PendingWrite {
  rows: InboxEventInput[];
  resolve(inserted: QueuedEvent[]): void;
  reject(error: unknown): void;
}

// SQLite caps bound parameters per statement; 7 columns a row keeps a chunk well below it.
const INSERT_CHUNK = 500;

/**
 * The durable queue. Writes from concurrent webhook requests are group-committed: everything that
 * arrives before the next turn of the event loop goes into one transaction (one fsync), and each
 * request is acked only after that commit.
 */
export class Inbox {
  readonly #db: SqlDatabase;
  readonly #clock: Clock;
  #writes: PendingWrite[] = [];
  #flushScheduled = false;

  constructor(db: SqlDatabase, clock: Clock) {
    this.#db = db;
    this.#clock = clock;
  }

  /** Resolves, after the commit, with the events that were new (duplicates are left out). */
  store(rows: InboxEventInput[]): Promise<QueuedEvent[]> {
    if (rows.length === 0) return Promise.resolve([]);
    return new Promise((resolve, reject) => {
      this.#writes.push({ rows, resolve, reject });
      if (!this.#flushScheduled) {
        this.#flushScheduled = true;
        setImmediate(() => this.#flush());
      }
    });
  }

  #flush(): void {
    const writes = this.#writes;
    this.#writes = [];
    this.#flushScheduled = false;
    const receivedAt = this.#clock.now();
    let results: QueuedEvent[][];
    try {
      // IMMEDIATE takes the write lock at BEGIN, where busy_timeout waits for plugin workers'
      // writes; a deferred transaction could instead fail at once with SQLITE_BUSY on upgrade.
      results = this.#db.transaction(
        (tx) =>
          writes.map((write) => {
            const inserted: QueuedEvent[] = [];
            for (let i = 0; i < write.rows.length; i += INSERT_CHUNK) {
              const chunk = write.rows
                .slice(i, i + INSERT_CHUNK)
                .map((row) => ({ ...row, receivedAt }));
              inserted.push(
                ...tx
                  .insert(inboxEvents)
                  .values(chunk)
                  .onConflictDoNothing({ target: inboxEvents.id })
                  .returning({
                    seq: inboxEvents.seq,
                    id: inboxEvents.id,
                    chatKey: inboxEvents.chatKey,
                    timestamp: inboxEvents.timestamp,
                    status: inboxEvents.status,
                  })
                  .all(),
              );
            }
            return inserted;
          }),
        { behavior: "immediate" },
      );
    } catch (error) {
      for (const write of writes) write.reject(error);
      return;
    }
    writes.forEach((write, i) => {
      write.resolve(results[i] ?? []);
    });
  }

  /** Events not yet settled, oldest first: the work a (re)started process picks up. */
  open(): QueuedEvent[] {
    return this.#db
      .select({
        seq: inboxEvents.seq,
        id: inboxEvents.id,
        chatKey: inboxEvents.chatKey,
        timestamp: inboxEvents.timestamp,
        status: inboxEvents.status,
      })
      .from(inboxEvents)
      .where(ne(inboxEvents.status, "done"))
      .orderBy(asc(inboxEvents.timestamp), asc(inboxEvents.seq))
      .all();
  }

  get(id: string): StoredEvent | undefined {
    return this.#db.select().from(inboxEvents).where(eq(inboxEvents.id, id)).get();
  }

  /**
   * Settled events are kept for `retentionMs` so LINE's redeliveries of them still dedup, then
   * deleted with their delivery records.
   */
  prune(retentionMs: number): number {
    const cutoff = this.#clock.now() - retentionMs;
    return this.#db
      .delete(inboxEvents)
      .where(and(eq(inboxEvents.status, "done"), lt(inboxEvents.doneAt, cutoff)))
      .returning({ seq: inboxEvents.seq })
      .all().length;
  }
}
