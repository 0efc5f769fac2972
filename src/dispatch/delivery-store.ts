import { and, asc, eq, inArray, sql } from "drizzle-orm";
import type { SqlDatabase } from "../platform/mod.ts";
import { deliveries, inboxEvents } from "../storage/schema.ts";

export type DeliveryStatus = (typeof deliveries.$inferSelect)["status"];
const OPEN: DeliveryStatus[] = ["pending", "retry"];

/** An unsettled delivery, with what the scheduler needs to order it. */
export interface OpenDelivery {
  eventId: string;
  plugin: string;
  attempts: number;
  nextAttemptAt: number;
  chatKey: string;
  timestamp: number;
  seq: number;
}

type Tx = Parameters<Parameters<SqlDatabase["transaction"]>[0]>[0];

export type Settlement =
  | { status: "done" }
  | { status: "retry"; error: string; nextAttemptAt: number }
  | { status: "dead"; error: string }
  | { status: "dropped"; reason: string };

/** The deliveries table: one row per (event, plugin), the record of what ran and how it ended. */
export class DeliveryStore {
  readonly #db: SqlDatabase;

  constructor(db: SqlDatabase) {
    this.#db = db;
  }

  /**
   * IMMEDIATE: these transactions read before they write, and plugin workers write the same file
   * on their own connections. A deferred transaction would fail its lock upgrade at once with
   * SQLITE_BUSY (busy_timeout does not cover upgrades); taking the write lock up front waits instead.
   */
  transaction<T>(work: (tx: Tx) => T): T {
    return this.#db.transaction(work, { behavior: "immediate" });
  }

  /** Creates the event's deliveries and marks it routed (or done, when no plugin wants it). */
  route(tx: Tx, eventId: string, plugins: string[], now: number): void {
    if (plugins.length > 0) {
      tx.insert(deliveries)
        .values(plugins.map((plugin) => ({ eventId, plugin, updatedAt: now })))
        .onConflictDoNothing()
        .run();
    }
    tx.update(inboxEvents)
      .set(plugins.length > 0 ? { status: "active" } : { status: "done", doneAt: now })
      .where(eq(inboxEvents.id, eventId))
      .run();
  }

  open(): OpenDelivery[] {
    return this.#db
      .select({
        eventId: deliveries.eventId,
        plugin: deliveries.plugin,
        attempts: deliveries.attempts,
        nextAttemptAt: deliveries.nextAttemptAt,
        chatKey: inboxEvents.chatKey,
        timestamp: inboxEvents.timestamp,
        seq: inboxEvents.seq,
      })
      .from(deliveries)
      .innerJoin(inboxEvents, eq(inboxEvents.id, deliveries.eventId))
      .where(inArray(deliveries.status, OPEN))
      .orderBy(asc(inboxEvents.timestamp), asc(inboxEvents.seq))
      .all();
  }

  get(eventId: string, plugin: string) {
    return this.#db
      .select()
      .from(deliveries)
      .where(and(eq(deliveries.eventId, eventId), eq(deliveries.plugin, plugin)))
      .get();
  }

  forEvent(eventId: string) {
    return this.#db.select().from(deliveries).where(eq(deliveries.eventId, eventId)).all();
  }

  /** Recorded before the reply call: after a crash, a rejected token then means "already sent". */
  markReplyAttempted(eventId: string, plugins: string[], now: number): void {
    this.#db.transaction((tx) => {
      tx.update(inboxEvents)
        .set({ replyAttemptedAt: now })
        .where(eq(inboxEvents.id, eventId))
        .run();
      if (plugins.length > 0) {
        tx.update(deliveries)
          .set({ replyAttempted: true, updatedAt: now })
          .where(and(eq(deliveries.eventId, eventId), inArray(deliveries.plugin, plugins)))
          .run();
      }
    });
  }

  clearReplyAttempted(eventId: string, plugins: string[], now: number): void {
    if (plugins.length === 0) return;
    this.#db
      .update(deliveries)
      .set({ replyAttempted: false, updatedAt: now })
      .where(and(eq(deliveries.eventId, eventId), inArray(deliveries.plugin, plugins)))
      .run();
  }

  /** Records how one delivery ended; returns true when that settled its event. */
  settle(eventId: string, plugin: string, settlement: Settlement, now: number): boolean {
    return this.transaction((tx) => {
      const lastError =
        settlement.status === "done"
          ? null
          : settlement.status === "dropped"
            ? settlement.reason
            : settlement.error;
      tx.update(deliveries)
        .set({
          status: settlement.status,
          lastError,
          updatedAt: now,
          // A dropped delivery never ran this time; everything else was one attempt.
          ...(settlement.status === "dropped" ? {} : { attempts: sql`${deliveries.attempts} + 1` }),
          ...(settlement.status === "retry" ? { nextAttemptAt: settlement.nextAttemptAt } : {}),
        })
        .where(and(eq(deliveries.eventId, eventId), eq(deliveries.plugin, plugin)))
        .run();
      return this.#closeIfSettled(tx, eventId, now);
    });
  }

  /** Drops every unsettled delivery of a plugin; returns the events that became settled. */
  dropPlugin(plugin: string, reason: string, now: number): string[] {
    return this.transaction((tx) => {
      const dropped = tx
        .update(deliveries)
        .set({ status: "dropped", lastError: reason, updatedAt: now })
        .where(and(eq(deliveries.plugin, plugin), inArray(deliveries.status, OPEN)))
        .returning({ eventId: deliveries.eventId })
        .all();
      return dropped
        .map((row) => row.eventId)
        .filter((eventId) => this.#closeIfSettled(tx, eventId, now));
    });
  }

  #closeIfSettled(tx: Tx, eventId: string, now: number): boolean {
    const open = tx
      .select({ n: sql<number>`count(*)` })
      .from(deliveries)
      .where(and(eq(deliveries.eventId, eventId), inArray(deliveries.status, OPEN)))
      .get();
    if ((open?.n ?? 0) > 0) return false;
    tx.update(inboxEvents)
      .set({ status: "done", doneAt: now })
      .where(eq(inboxEvents.id, eventId))
      .run();
    return true;
  }
}
