import { and, asc, eq, lt, ne, notExists, sql } from "drizzle-orm";
import type { Clock } from "../core/clock.ts";
import type { SqlDatabase } from "../platform/mod.ts";
import { deliveries, inboxEvents } from "./schema.ts";
import { WriteQueue } from "./write-queue.ts";

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
 * The durable queue. Writes go through the database's write queue: everything stored before the
 * next turn of the event loop commits together (one fsync), and each request is acked only after
 * that commit.
 */
export class Inbox {
  readonly #db: SqlDatabase;
  readonly #clock: Clock;
  readonly #writes: WriteQueue;
  readonly #statements: ReturnType<typeof prepareStatements>;

  constructor(db: SqlDatabase, clock: Clock, writes: WriteQueue = new WriteQueue(db)) {
    this.#db = db;
    this.#clock = clock;
    this.#writes = writes;
    this.#statements = prepareStatements(db);
  }

  /** Resolves, after the commit, with the events that were new (duplicates are left out). */
  store(rows: InboxEventInput[]): Promise<QueuedEvent[]> {
    if (rows.length === 0) return Promise.resolve([]);
    return this.#writes.write(() => this.insert(rows));
  }

  /**
   * Inserts inside the caller's write (see `WriteQueue`); returns the events that were new.
   * Duplicates (LINE's redeliveries) insert nothing.
   */
  insert(rows: InboxEventInput[]): QueuedEvent[] {
    const receivedAt = this.#clock.now();
    const { insert } = this.#statements;
    const inserted: QueuedEvent[] = [];
    for (const row of rows) {
      const { event, destination } = row;
      const created = insert.get({
        id: row.id,
        chatKey: row.chatKey,
        type: row.type,
        timestamp: row.timestamp,
        receivedAt,
        destination: destination ?? null,
        body: row.body,
      });
      // Nothing comes back for a duplicate (ON CONFLICT DO NOTHING).
      if (!created) continue;
      inserted.push(
        event === undefined ? created : { ...created, arrival: { event, destination, receivedAt } },
      );
    }
    return inserted;
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
