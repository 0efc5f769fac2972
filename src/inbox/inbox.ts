import { and, asc, eq, lt, ne, notExists, sql } from "drizzle-orm";
import type { Clock } from "../clock.ts";
import type { SqlDatabase } from "../platform/mod.ts";
import { deliveries, inboxEvents } from "../storage/schema.ts";

export interface InboxEventInput {
  id: string;
  chatKey: string;
  type: string;
  timestamp: number;
  destination: string | undefined;
  /** The event as received, re-serialised: nothing is dropped. */
  body: string;
  /** The event as parsed from the request: handed on to routing, which then need not read it back. */
  event?: unknown;
}

/** A newly stored event as it arrived: what routing needs, without reading the row back. */
export interface Arrival {
  event: unknown;
  destination: string | undefined;
  receivedAt: number;
}

/** What the dispatcher needs to order and find an event. */
export interface QueuedEvent {
  seq: number;
  id: string;
  chatKey: string;
  timestamp: number;
  status: "pending" | "active" | "done";
  /** Set on events stored just now from a request (see `InboxEventInput.event`). */
  arrival?: Arrival;
}

export type StoredEvent = typeof inboxEvents.$inferSelect;

interface PendingWrite {
  rows: InboxEventInput[];
  resolve(inserted: QueuedEvent[]): void;
  reject(error: unknown): void;
}

const QUEUED_COLUMNS = {
  seq: inboxEvents.seq,
  id: inboxEvents.id,
  chatKey: inboxEvents.chatKey,
  timestamp: inboxEvents.timestamp,
  status: inboxEvents.status,
};

/** Builds the two statements of the ack path once; drizzle would otherwise rebuild the SQL per call. */
function prepareStatements(db: SqlDatabase) {
  const placeholder = (name: keyof InboxEventInput | "receivedAt") => sql.placeholder(name);
  return {
    // One row per statement: a prepared single-row insert is cheaper than building a multi-row
    // one, and it needs no chunking under SQLite's cap on bound parameters.
    insert: db
      .insert(inboxEvents)
      .values({
        id: placeholder("id"),
        chatKey: placeholder("chatKey"),
        type: placeholder("type"),
        timestamp: placeholder("timestamp"),
        receivedAt: placeholder("receivedAt"),
        destination: placeholder("destination"),
        body: placeholder("body"),
      })
      .onConflictDoNothing({ target: inboxEvents.id })
      .returning(QUEUED_COLUMNS)
      .prepare(),
    get: db
      .select()
      .from(inboxEvents)
      .where(eq(inboxEvents.id, sql.placeholder("id")))
      .prepare(),
  };
}

/**
 * The durable queue. Writes from concurrent webhook requests are group-committed: everything that
 * arrives before the next turn of the event loop goes into one transaction (one fsync), and each
 * request is acked only after that commit.
 */
export class Inbox {
  readonly #db: SqlDatabase;
  readonly #clock: Clock;
  readonly #statements: ReturnType<typeof prepareStatements>;
  #writes: PendingWrite[] = [];
  #flushScheduled = false;

  constructor(db: SqlDatabase, clock: Clock) {
    this.#db = db;
    this.#clock = clock;
    this.#statements = prepareStatements(db);
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
    const { insert } = this.#statements;
    let results: QueuedEvent[][];
    try {
      // IMMEDIATE takes the write lock at BEGIN, where busy_timeout waits for plugin workers'
      // writes; a deferred transaction could instead fail at once with SQLITE_BUSY on upgrade.
      results = this.#db.transaction(
        () =>
          writes.map((write) => {
            const inserted: QueuedEvent[] = [];
            for (const row of write.rows) {
              const created = insert.get({
                id: row.id,
                chatKey: row.chatKey,
                type: row.type,
                timestamp: row.timestamp,
                receivedAt,
                destination: row.destination ?? null,
                body: row.body,
              });
              // Nothing comes back for a duplicate (ON CONFLICT DO NOTHING).
              if (!created) continue;
              const { event, destination } = row;
              inserted.push(
                event === undefined
                  ? created
                  : { ...created, arrival: { event, destination, receivedAt } },
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
      .select(QUEUED_COLUMNS)
      .from(inboxEvents)
      .where(ne(inboxEvents.status, "done"))
      .orderBy(asc(inboxEvents.timestamp), asc(inboxEvents.seq))
      .all();
  }

  get(id: string): StoredEvent | undefined {
    return this.#statements.get.get({ id });
  }

  /**
   * Settled events are kept for `retentionMs` so LINE's redeliveries of them still dedup, then
   * deleted with their delivery records. An event with a dead-lettered delivery stays until an
   * operator retries or discards it: pruning must never be what loses an event.
   */
  prune(retentionMs: number): number {
    const cutoff = this.#clock.now() - retentionMs;
    const dead = this.#db
      .select({ id: deliveries.eventId })
      .from(deliveries)
      .where(and(eq(deliveries.eventId, inboxEvents.id), eq(deliveries.status, "dead")));
    return this.#db
      .delete(inboxEvents)
      .where(and(eq(inboxEvents.status, "done"), lt(inboxEvents.doneAt, cutoff), notExists(dead)))
      .returning({ seq: inboxEvents.seq })
      .all().length;
  }
}
