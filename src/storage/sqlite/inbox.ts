import { and, asc, eq, inArray, isNull, lt, notExists, sql } from "drizzle-orm";
import { parseEvent, type ReceivedEvent } from "../../core/parsed-event.ts";
import type { SqlDatabase } from "../../platform/mod.ts";
import type { InboxRecord, StoredEvent } from "../store.ts";
import { deliveries, inboxEvents } from "./schema.ts";

/** The columns of an `InboxRecord`: what the admin API, history and replay read of an event. */
export const recordColumns = {
  seq: inboxEvents.seq,
  id: inboxEvents.id,
  chatKey: inboxEvents.chatKey,
  type: inboxEvents.type,
  timestamp: inboxEvents.timestamp,
  receivedAt: inboxEvents.receivedAt,
  destination: inboxEvents.destination,
  body: inboxEvents.body,
  status: inboxEvents.status,
};

/** A row of `inbox_events` as the store reads it back. */
export type InboxRow = typeof inboxEvents.$inferSelect;

/** A stored event as the store hands it out, from its row (its open plugins aside). */
export function storedEventOf(row: InboxRow): Omit<StoredEvent, "openPlugins"> {
  return {
    seq: row.seq,
    parsed: parseEvent(JSON.parse(row.body), row.timestamp, row.channel),
    destination: row.destination ?? undefined,
    receivedAt: row.receivedAt,
  };
}

const param = sql.placeholder;
const bound = (name: string) => sql`${param(name)}`;
const thisEvent = eq(inboxEvents.id, param("eventId"));

/** Built once: drizzle would otherwise rebuild (and SQLite recompile) the SQL on every call. */
function prepareStatements(db: SqlDatabase) {
  return {
    // One row per statement: a prepared single-row insert is cheaper than building a multi-row
    // one, and it needs no chunking under SQLite's cap on bound parameters.
    insert: db
      .insert(inboxEvents)
      .values({
        id: param("id"),
        channel: param("channel"),
        chatKey: param("chatKey"),
        type: param("type"),
        timestamp: param("timestamp"),
        receivedAt: param("receivedAt"),
        destination: param("destination"),
        body: param("body"),
      })
      .onConflictDoNothing({ target: inboxEvents.id })
      .returning({ seq: inboxEvents.seq })
      .prepare(),
    get: db.select().from(inboxEvents).where(thisEvent).prepare(),
    markActive: db.update(inboxEvents).set({ status: "active" }).where(thisEvent).prepare(),
    markDone: db
      .update(inboxEvents)
      .set({ status: "done", doneAt: bound("now") })
      .where(thisEvent)
      .prepare(),
    markReplyAttempted: db
      .update(inboxEvents)
      .set({ replyAttemptedAt: bound("now") })
      .where(thisEvent)
      .prepare(),
    claimReplyToken: db
      .update(inboxEvents)
      .set({ replyAttemptedAt: bound("now") })
      .where(and(thisEvent, isNull(inboxEvents.replyAttemptedAt)))
      .returning({ seq: inboxEvents.seq })
      .prepare(),
  };
}

/**
 * The `inbox_events` table: every webhook event ever acked, until pruned, and its state (pending:
 * not routed yet · active: some deliveries open · done). Only this module writes it.
 */
export class InboxTable {
  readonly #db: SqlDatabase;
  readonly #statements: ReturnType<typeof prepareStatements>;

  constructor(db: SqlDatabase) {
    this.#db = db;
    this.#statements = prepareStatements(db);
  }

  /** Call inside a write. Returns the `seq` of each event that was new, undefined for duplicates. */
  insert(event: ReceivedEvent, receivedAt: number): number | undefined {
    const { parsed } = event;
    return this.#statements.insert.get({
      id: parsed.id,
      channel: parsed.channel,
      chatKey: parsed.chatKey,
      type: parsed.type,
      timestamp: parsed.timestamp,
      receivedAt,
      destination: event.destination ?? null,
      body: event.body,
    })?.seq;
  }

  get(eventId: string): InboxRow | undefined {
    return this.#statements.get.get({ eventId });
  }

  /** Routed: deliveries exist. */
  markActive(eventId: string): void {
    this.#statements.markActive.run({ eventId });
  }

  /** Every delivery is settled (or none was needed). */
  markDone(eventId: string, now: number): void {
    this.#statements.markDone.run({ eventId, now });
  }

  markReplyAttempted(eventId: string, now: number): void {
    this.#statements.markReplyAttempted.run({ eventId, now });
  }

  /** Records the event's first reply attempt; false when one is on record already. */
  claimReplyToken(eventId: string, now: number): boolean {
    return this.#statements.claimReplyToken.get({ eventId, now }) !== undefined;
  }

  /** Open again (an operator retries dead deliveries). */
  reopen(eventIds: string[]): void {
    for (let i = 0; i < eventIds.length; i += 500) {
      this.#db
        .update(inboxEvents)
        .set({ status: "active", doneAt: null })
        .where(inArray(inboxEvents.id, eventIds.slice(i, i + 500)))
        .run();
    }
  }

  /** Stored events (all, or these ids), in arrival order. */
  records(ids?: readonly string[]): InboxRecord[] {
    const query = this.#db.select(recordColumns).from(inboxEvents);
    const rows =
      ids === undefined ? query.all() : query.where(inArray(inboxEvents.id, [...ids])).all();
    return rows.sort((a, b) => a.seq - b.seq);
  }

  /** Stored, never routed: oldest first. */
  pending(): InboxRow[] {
    return this.#db
      .select()
      .from(inboxEvents)
      .where(eq(inboxEvents.status, "pending"))
      .orderBy(asc(inboxEvents.timestamp), asc(inboxEvents.seq))
      .all();
  }

  /**
   * Settled events are kept for the retention so LINE's redeliveries of them still dedup, then
   * deleted with their delivery records. An event with a dead-lettered delivery stays until an
   * operator retries or discards it: pruning must never be what loses an event.
   */
  prune(cutoff: number): number {
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
